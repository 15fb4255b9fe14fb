import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:https';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ensureDevCertificates, generateDevCertificates } from './certs.js';
import type { DevCertificatePaths, DevCertificates } from './certs.js';

const DAY_MS = 86_400_000;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-certs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function contents(paths: DevCertificatePaths): Promise<string[]> {
  return Promise.all([paths.caPath, paths.certPath, paths.keyPath].map((p) => readFile(p, 'utf8')));
}

/** An https server with the generated certificate on 127.0.0.1, answering 'ok'. */
async function serve(t: TestContext, certs: DevCertificates): Promise<number> {
  const server = createServer({ cert: certs.certPem, key: certs.keyPem }, (_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

function get(options: RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ agent: false, family: 4, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
    });
    req.on('error', reject).end();
  });
}

let shared: Promise<DevCertificates> | undefined;
function certs(): Promise<DevCertificates> {
  shared ??= generateDevCertificates();
  return shared;
}

test('the generated certificate and key load into a TLS context', async () => {
  const { certPem, keyPem } = await certs();
  assert.doesNotThrow(() => createSecureContext({ cert: certPem, key: keyPem }));
});

test('a client that trusts the CA verifies the server as localhost', async (t) => {
  const c = await certs();
  const port = await serve(t, c);
  assert.equal(await get({ host: 'localhost', port, ca: c.caPem }), 'ok');
});

test('a client that trusts the CA verifies the server as 127.0.0.1', async (t) => {
  const c = await certs();
  const port = await serve(t, c);
  assert.equal(await get({ host: '127.0.0.1', port, ca: c.caPem }), 'ok');
});

test('a client without the CA refuses the certificate', async (t) => {
  const c = await certs();
  const port = await serve(t, c);
  await assert.rejects(get({ host: 'localhost', port }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
});

test('a client asking for another host name refuses the certificate', async (t) => {
  const c = await certs();
  const port = await serve(t, c);
  await assert.rejects(get({ host: '127.0.0.1', servername: 'example.com', port, ca: c.caPem }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
});

test('the CA is a CA and signed the server certificate', async () => {
  const c = await certs();
  const ca = new X509Certificate(c.caPem);
  const cert = new X509Certificate(c.certPem);
  assert.equal(ca.ca, true);
  assert.match(ca.subject, /CN=Portcullis Development CA/);
  assert.equal(cert.ca, false);
  assert.equal(cert.verify(ca.publicKey), true);
});

test('the server certificate names localhost, 127.0.0.1 and ::1 for serverAuth only', async () => {
  const cert = new X509Certificate((await certs()).certPem);
  assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
});

test('the validity periods are 10 years for the CA and 397 days for the server', async () => {
  const c = await certs();
  const days = (pem: string): number => {
    const x = new X509Certificate(pem);
    return Math.round((Date.parse(x.validTo) - Date.parse(x.validFrom)) / DAY_MS);
  };
  assert.deepEqual([days(c.caPem), days(c.certPem)], [3652, 397]);
});

test('the key is a PKCS#8 P-256 key', async () => {
  const { keyPem } = await certs();
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(createPrivateKey(keyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
});

test('ensureDevCertificates creates the directory and the three files', async (t) => {
  const dir = join(await tempDir(t), 'nested', '.demo');
  const paths = await ensureDevCertificates(dir);
  assert.deepEqual(paths, { caPath: join(dir, 'ca.pem'), certPath: join(dir, 'server.pem'), keyPath: join(dir, 'server-key.pem') });
  const [caPem, certPem, keyPem] = await contents(paths);
  assert.equal(new X509Certificate(certPem ?? '').checkIssued(new X509Certificate(caPem ?? '')), true);
  assert.match(keyPem ?? '', /^-----BEGIN PRIVATE KEY-----/);
});

test('ensureDevCertificates keeps the directory at 0700 and the key at 0600', { skip: process.platform === 'win32' }, async (t) => {
  const dir = join(await tempDir(t), '.demo');
  const paths = await ensureDevCertificates(dir);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal((await stat(paths.keyPath)).mode & 0o777, 0o600);
});

test('ensureDevCertificates reuses valid files', async (t) => {
  const dir = await tempDir(t);
  const first = await contents(await ensureDevCertificates(dir));
  const second = await contents(await ensureDevCertificates(dir));
  assert.deepEqual(second, first);
});

test('ensureDevCertificates regenerates when a file is missing', async (t) => {
  const dir = await tempDir(t);
  const paths = await ensureDevCertificates(dir);
  const [, firstCert] = await contents(paths);
  await unlink(paths.keyPath);
  const [caPem, certPem, keyPem] = await contents(await ensureDevCertificates(dir));
  assert.notEqual(certPem, firstCert);
  assert.equal(new X509Certificate(certPem ?? '').checkPrivateKey(createPrivateKey(keyPem ?? '')), true);
  assert.equal(new X509Certificate(certPem ?? '').checkIssued(new X509Certificate(caPem ?? '')), true);
});

test('ensureDevCertificates regenerates a server certificate with less than a day left', async (t) => {
  const dir = await tempDir(t);
  const old = await generateDevCertificates({ now: new Date(Date.now() - 396.5 * DAY_MS) });
  const paths = { caPath: join(dir, 'ca.pem'), certPath: join(dir, 'server.pem'), keyPath: join(dir, 'server-key.pem') };
  await Promise.all([writeFile(paths.caPath, old.caPem), writeFile(paths.certPath, old.certPem), writeFile(paths.keyPath, old.keyPem, { mode: 0o600 })]);
  const [, certPem] = await contents(await ensureDevCertificates(dir));
  assert.ok(Date.parse(new X509Certificate(certPem ?? '').validTo) - Date.now() > 300 * DAY_MS);
});

test('ensureDevCertificates regenerates files that do not belong together', async (t) => {
  const dir = await tempDir(t);
  const paths = await ensureDevCertificates(dir);
  const [, certPem] = await contents(paths);
  await writeFile(paths.keyPath, (await generateDevCertificates()).keyPem);
  const [, newCert, newKey] = await contents(await ensureDevCertificates(dir));
  assert.notEqual(newCert, certPem);
  assert.equal(new X509Certificate(newCert ?? '').checkPrivateKey(createPrivateKey(newKey ?? '')), true);
});
