/**
 * Development PKI for the demo: a local CA and a `localhost` server certificate signed by it, both
 * ECDSA P-256. The CA's private key is never written anywhere: it signs the server certificate and
 * is dropped, so a leaked `.demo` directory cannot mint certificates. Trust `ca.pem` in a client
 * (`curl --cacert`, `NODE_EXTRA_CA_CERTS`) to reach the gateway over verified TLS.
 *
 * @peculiar/x509 depends on tsyringe, which refuses to load without the Reflect metadata API, so
 * both it and the `reflect-metadata` polyfill are imported lazily, on the first generation; the
 * gateway never loads them and importing this module has no side effects.
 */
import { KeyObject, X509Certificate as NodeX509Certificate, createPrivateKey, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';

const DAY_MS = 86_400_000;
/** Backdating of notBefore, for clocks that are a little behind. */
const SKEW_MS = 5 * 60_000;
const CA_VALIDITY_DAYS = 3652;
const SERVER_VALIDITY_DAYS = 397;
/** A server certificate that expires sooner than this is replaced. */
const MIN_REMAINING_MS = DAY_MS;
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** PEM texts of a development CA and a server certificate it signed. */
export interface DevCertificates {
  /** The CA certificate; clients trust this. */
  readonly caPem: string;
  /** The server certificate (leaf only) for localhost, 127.0.0.1 and ::1. */
  readonly certPem: string;
  /** The server's private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  readonly keyPem: string;
}

/** Where {@link ensureDevCertificates} keeps the files. */
export interface DevCertificatePaths {
  /** `<dir>/ca.pem` */
  readonly caPath: string;
  /** `<dir>/server.pem` */
  readonly certPath: string;
  /** `<dir>/server-key.pem`, mode 0600 */
  readonly keyPath: string;
}

/** Options of {@link generateDevCertificates}. */
export interface GenerateDevCertificatesOptions {
  /** The moment the certificates are issued at; default now. Tests use it to make old ones. */
  now?: Date;
}

/**
 * Generates a fresh CA and server certificate in memory.
 *
 * @example
 * ```ts
 * const { caPem, certPem, keyPem } = await generateDevCertificates();
 * const server = https.createServer({ cert: certPem, key: keyPem }, handler);
 * https.get({ host: 'localhost', port, ca: caPem }, onResponse); // verifies
 * ```
 */
export async function generateDevCertificates(options: GenerateDevCertificatesOptions = {}): Promise<DevCertificates> {
  const x509 = await loadX509();
  x509.cryptoProvider.set(webcrypto);
  const notBefore = new Date((options.now ?? new Date()).getTime() - SKEW_MS);
  const caKeys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, false, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=Portcullis Development CA, O=Portcullis',
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=localhost, O=Portcullis',
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + SERVER_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keyPem = KeyObject.from(serverKeys.privateKey).export({ type: 'pkcs8', format: 'pem' });
  return { caPem: toPem(ca), certPem: toPem(cert), keyPem: String(keyPem) };
}

/**
 * Returns the paths of `ca.pem`, `server.pem` and `server-key.pem` in `dir`, generating them
 * first unless the existing ones belong together (key matches, CA signed the certificate, the
 * certificate is for localhost) and the server certificate is valid for at least one more day.
 * Creates `dir` with mode 0700 when missing; the key file is written with mode 0600. Each file is
 * replaced atomically (written beside, then renamed).
 *
 * @example
 * ```ts
 * const { caPath, certPath, keyPath } = await ensureDevCertificates('.demo');
 * // first start: generated; later starts: reused until a day before expiry
 * ```
 */
export async function ensureDevCertificates(dir: string): Promise<DevCertificatePaths> {
  const paths: DevCertificatePaths = {
    caPath: join(dir, 'ca.pem'),
    certPath: join(dir, 'server.pem'),
    keyPath: join(dir, 'server-key.pem'),
  };
  if (await reusable(paths)) return paths;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { caPem, certPem, keyPem } = await generateDevCertificates();
  await writeAtomically(paths.keyPath, keyPem, 0o600);
  await writeAtomically(paths.certPath, certPem, 0o644);
  await writeAtomically(paths.caPath, caPem, 0o644);
  return paths;
}

async function reusable(paths: DevCertificatePaths): Promise<boolean> {
  let texts: string[];
  try {
    texts = await Promise.all([paths.caPath, paths.certPath, paths.keyPath].map((p) => readFile(p, 'utf8')));
  } catch {
    return false;
  }
  const [caPem, certPem, keyPem] = texts as [string, string, string];
  try {
    const ca = new NodeX509Certificate(caPem);
    const cert = new NodeX509Certificate(certPem);
    const now = Date.now();
    return (
      ca.ca &&
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(keyPem)) &&
      cert.checkHost('localhost') !== undefined &&
      Date.parse(cert.validFrom) <= now &&
      Date.parse(cert.validTo) - now >= MIN_REMAINING_MS
    );
  } catch {
    return false;
  }
}

async function writeAtomically(path: string, data: string, mode: number): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, data, { mode, flag: 'wx' });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

function serialNumber(): string {
  // 16 random bytes, the first forced into 0x01–0x7f: positive and of fixed length in DER.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function toPem(cert: X509.X509Certificate): string {
  const pem = cert.toString('pem').replace(/\r\n/g, '\n');
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

/**
 * Loads @peculiar/x509 after the reflect-metadata polyfill its dependency tsyringe requires.
 * Both are loaded lazily, on the first generation: the gateway itself never loads them.
 */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}
