/**
 * Signing keys of the demo identity provider: generated on first start, optionally persisted to
 * a file only its owner can read (mode 0600, under .demo/, never committed), rotated on demand.
 * The first key of a set is the current signing key; the second, when present, is the previous
 * one, still published in the JWKS so tokens it signed keep verifying until they expire. The
 * confidential clients' secrets are kept the same way.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** Algorithms the demo identity provider can sign access tokens with. */
export type IdpSigningAlg = 'RS256' | 'ES256';

/** A private signing key as a JWK, with its `kid`, `alg` and `use: 'sig'`. */
export type IdpSigningKey = JWK & { readonly kid: string; readonly alg: IdpSigningAlg; readonly use: 'sig' };

/** The signing keys' file name in the demo directory (`.demo/idp-keys.json`). */
export const IDP_KEYS_FILE = 'idp-keys.json';
/** The client secrets' file name in the demo directory (`.demo/idp-clients.json`); `npm run token -- --client` reads it. */
export const IDP_SECRETS_FILE = 'idp-clients.json';

/** How many keys a set keeps published: the current one and the one before it. */
const PUBLISHED_KEYS = 2;

/**
 * Generates one private signing key.
 *
 * @example
 * ```ts
 * const key = await generateSigningKey('ES256');
 * key.kid // RFC 7638 thumbprint
 * ```
 */
export async function generateSigningKey(alg: IdpSigningAlg): Promise<IdpSigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig' };
}

/**
 * Puts a new key first and keeps the previous current key published behind it; older keys are
 * dropped.
 *
 * @example
 * ```ts
 * const next = await rotateSigningKeys(keys, 'RS256'); // [fresh, keys[0]]
 * ```
 */
export async function rotateSigningKeys(keys: readonly IdpSigningKey[], alg: IdpSigningAlg): Promise<IdpSigningKey[]> {
  return [await generateSigningKey(alg), ...keys].slice(0, PUBLISHED_KEYS);
}

/**
 * Loads the key set from `file`, or generates one (and writes it, mode 0600) when the file does
 * not exist or holds no key of the wanted algorithm. Without a file the keys live in memory only.
 *
 * @example
 * ```ts
 * const keys = await loadOrCreateSigningKeys('.demo/idp-keys.json', 'RS256');
 * ```
 */
export async function loadOrCreateSigningKeys(file: string | undefined, alg: IdpSigningAlg): Promise<IdpSigningKey[]> {
  if (file !== undefined) {
    const stored = await readKeyFile(file);
    const usable = stored.filter((k) => k.alg === alg);
    if (usable.length > 0) return usable.slice(0, PUBLISHED_KEYS);
  }
  const keys = [await generateSigningKey(alg)];
  if (file !== undefined) await saveSigningKeys(file, keys);
  return keys;
}

/**
 * Writes the key set atomically, readable by its owner only.
 *
 * @example
 * ```ts
 * await saveSigningKeys('.demo/idp-keys.json', keys);
 * ```
 */
export async function saveSigningKeys(file: string, keys: readonly IdpSigningKey[]): Promise<void> {
  await writePrivateJson(file, { keys });
}

/** Writes JSON to a file only its owner can read, atomically (a reader never sees half a file). */
async function writePrivateJson(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
}

async function readKeyFile(file: string): Promise<IdpSigningKey[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const parsed = JSON.parse(text) as { keys?: unknown };
  if (!Array.isArray(parsed.keys)) throw new Error(`${file}: not a JWK set ({ "keys": [...] })`);
  return parsed.keys.filter((k): k is IdpSigningKey => {
    const key = k as Partial<IdpSigningKey> | null;
    return key !== null && typeof key === 'object' && typeof key.kid === 'string' && typeof key.d === 'string' && (key.alg === 'RS256' || key.alg === 'ES256');
  });
}

/**
 * Loads the confidential clients' secrets from `file`, or generates random ones (and writes them,
 * mode 0600) for the ids the file lacks. Without a file they live in memory only.
 *
 * @example
 * ```ts
 * const secrets = await loadOrCreateClientSecrets('.demo/idp-clients.json', ['reporting-cli']);
 * secrets['reporting-cli'] // 64 random hex digits
 * ```
 */
export async function loadOrCreateClientSecrets<Id extends string>(file: string | undefined, ids: readonly Id[]): Promise<Record<Id, string>> {
  const stored = file === undefined ? {} : await readClientSecrets(file);
  const secrets = {} as Record<Id, string>;
  let changed = false;
  for (const id of ids) {
    const known = stored[id];
    if (typeof known === 'string' && known.length >= 32) {
      secrets[id] = known;
    } else {
      // Hex: safe in a shell and as a CLI argument (a base64url secret may start with '-').
      secrets[id] = randomBytes(32).toString('hex');
      changed = true;
    }
  }
  if (file !== undefined && changed) await writePrivateJson(file, { ...stored, ...secrets });
  return secrets;
}

/**
 * Reads the client secrets file written by the identity provider (`{ "reporting-cli": "…" }`); an
 * absent file reads as `{}`.
 *
 * @example
 * ```ts
 * (await readClientSecrets('.demo/idp-clients.json'))['reporting-cli']
 * ```
 */
export async function readClientSecrets(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed = JSON.parse(text) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: not a JSON object of client secrets`);
  return parsed as Record<string, unknown>;
}
