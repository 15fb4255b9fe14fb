/**
 * The issuer's key set, fetched through the gateway's outbound client (never jose's own fetch:
 * one module enforces timeouts, size bounds and the SSRF guard for everything the gateway
 * requests), imported once per fetch, and looked up synchronously by `kid` and `alg`.
 *
 * Fetches happen in `ready()`, on an unref'd background timer, and when a request needs one (an
 * unknown `kid`, or no usable key set): the latter at most once per cooldown, and concurrent
 * callers share the fetch in flight. A key set stays usable up to `maxStaleMs` after the last
 * successful fetch, so a short identity-provider outage does not lock everybody out.
 *
 * Each key is validated by jose's importJWK, then built once as a node:crypto KeyObject bound
 * to each algorithm it may verify, so a request pays only for the signature check itself.
 */
import type { KeyObject } from 'node:crypto';
import { importJWK } from 'jose';
import type { OutboundClient } from '../../core/outbound.js';
import { asymmetricKey, publicKeyFromJwk, type VerificationKey } from './jws.js';

/** Where the key set comes from. */
export type JwksSource =
  /** A fixed JWKS URL. */
  | { readonly jwksUri: string }
  /** OpenID Connect discovery from this issuer. */
  | { readonly issuer: string };

/** Settings of {@link createJwksCache}. */
export interface JwksCacheOptions {
  /** Where the keys come from. */
  readonly source: JwksSource;
  /** The gateway's outbound client; every request goes through it. */
  readonly outbound: OutboundClient;
  /** Algorithms keys are imported for; a key whose `alg` is outside this list is ignored. */
  readonly algorithms: readonly string[];
  /** Period of the background refresh, ms. */
  readonly refreshIntervalMs: number;
  /** Least time between two fetches that requests trigger, ms. */
  readonly unknownKidCooldownMs: number;
  /** How long after the last successful fetch the keys stay usable, ms. */
  readonly maxStaleMs: number;
  /** Largest JWKS or discovery document accepted, bytes (256 KiB). */
  readonly maxBytes?: number;
  /** Most keys imported from one key set (100); the rest are ignored. */
  readonly maxKeys?: number;
  /** The clock, ms since the epoch (tests inject a fake one). */
  readonly now?: () => number;
  /** Called after a fetch in which a previously known key disappeared (revocation). */
  readonly onKeysRemoved?: () => void;
  /** Told about background fetch failures and ignored keys (for a log line). */
  readonly onProblem?: (message: string, error?: unknown) => void;
}

/** The result of a key lookup. */
export type KeyLookup =
  /** The key, bound to the token's algorithm. */
  | { readonly key: VerificationKey }
  | { readonly miss: 'unknown_kid' | 'key_alg_mismatch' | 'ambiguous_key' };

/** The key cache. */
export interface JwksCache {
  /** The first fetch; starts the background refresh. Rejects when it fails (the cache keeps trying). */
  ready(): Promise<void>;
  /** Whether a key set is held and not older than maxStaleMs (at `at`, default now). */
  usable(at?: number): boolean;
  /** The key for a token's `kid` (or, without one, the only key for its `alg`). Synchronous. */
  find(kid: string | undefined, alg: string): KeyLookup;
  /**
   * A fetch on behalf of a request: the one in flight, a new one, or undefined while the
   * cooldown since the last request-triggered fetch runs. Resolves (never rejects) to whether it
   * succeeded.
   */
  refetch(): Promise<boolean> | undefined;
  /** Stops the background refresh. */
  close(): void;
}

/** A fetch of the key set failed; the message says why (logs only). */
export class JwksFetchError extends Error {
  /** Stable code. */
  readonly code = 'jwks.fetch_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksFetchError';
  }
}

const UNKNOWN_KID: KeyLookup = Object.freeze({ miss: 'unknown_kid' as const });
const KEY_ALG_MISMATCH: KeyLookup = Object.freeze({ miss: 'key_alg_mismatch' as const });
const AMBIGUOUS_KEY: KeyLookup = Object.freeze({ miss: 'ambiguous_key' as const });

// The algorithms a key of each type can verify, when the JWK names none.
const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const CURVE_ALGS: Readonly<Record<string, readonly string[]>> = { 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'], Ed25519: ['EdDSA', 'Ed25519'] };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

interface KeySet {
  readonly byKid: ReadonlyMap<string, ReadonlyMap<string, KeyLookup>>;
  readonly byAlg: ReadonlyMap<string, readonly KeyLookup[]>;
  readonly fingerprints: ReadonlySet<string>;
}

/**
 * Creates the cache. Nothing is fetched until `ready()`, `refetch()` or the first lookup that
 * needs keys, so compiling a configuration (`portcullis check`) makes no request.
 *
 * @example
 * ```ts
 * const jwks = createJwksCache({ source: { jwksUri }, outbound, algorithms: ['RS256'], refreshIntervalMs: 300_000, unknownKidCooldownMs: 30_000, maxStaleMs: 3_600_000 });
 * await jwks.ready();
 * const found = jwks.find(header.kid, header.alg);
 * if ('key' in found) found.key.verify(jws.signingInput, jws.signature);
 * ```
 */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytes ?? 262_144;
  const maxKeys = options.maxKeys ?? 100;
  const allowed = new Set(options.algorithms);
  const problem = options.onProblem ?? (() => undefined);

  let keys: KeySet | undefined;
  let lastSuccessAt = Number.NEGATIVE_INFINITY;
  // Only fetches that requests trigger count towards the cooldown: the startup and background
  // fetches keep their own schedule and must not delay picking up a rotation.
  let lastTriggeredAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let discoveredUri: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const getJson = async (url: string, what: string): Promise<unknown> => {
    let res;
    try {
      res = await options.outbound.request({ url, maxBytes, headers: { accept: 'application/json' } });
    } catch (error) {
      throw new JwksFetchError(`${what} ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (res.status !== 200) throw new JwksFetchError(`${what} ${url}: HTTP ${res.status}`);
    try {
      return JSON.parse(res.body.toString('utf8')) as unknown;
    } catch (error) {
      throw new JwksFetchError(`${what} ${url}: not JSON`, { cause: error });
    }
  };

  const jwksUri = async (): Promise<string> => {
    if ('jwksUri' in options.source) return options.source.jwksUri;
    if (discoveredUri !== undefined) return discoveredUri;
    const issuer = options.source.issuer;
    const doc = await getJson(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, 'discovery');
    if (!isRecord(doc)) throw new JwksFetchError('discovery: the document is not a JSON object');
    // OpenID Connect Discovery 1.0 §4.3: the issuer in the document must be the one asked for.
    if (doc.issuer !== issuer) throw new JwksFetchError(`discovery: the document's issuer ${JSON.stringify(doc.issuer)} is not ${JSON.stringify(issuer)}`);
    if (typeof doc.jwks_uri !== 'string') throw new JwksFetchError('discovery: the document has no jwks_uri');
    discoveredUri = doc.jwks_uri;
    return discoveredUri;
  };

  const load = async (): Promise<void> => {
    let uri: string;
    try {
      uri = await jwksUri();
    } catch (error) {
      throw error instanceof JwksFetchError ? error : new JwksFetchError(`discovery: ${(error as Error).message}`, { cause: error });
    }
    let doc: unknown;
    try {
      doc = await getJson(uri, 'JWKS');
    } catch (error) {
      // The discovery document may have moved the key set: ask again next time.
      discoveredUri = undefined;
      throw error;
    }
    if (!isRecord(doc) || !Array.isArray(doc.keys)) throw new JwksFetchError(`JWKS ${uri}: not a JSON Web Key Set (no "keys" array)`);
    const next = await importKeySet(doc.keys, allowed, maxKeys, problem);
    if (next.fingerprints.size === 0) throw new JwksFetchError(`JWKS ${uri}: no usable signing key for ${[...allowed].join(', ')}; keeping the previous keys`);
    if (closed) return;
    const removed = keys !== undefined && [...keys.fingerprints].some((f) => !next.fingerprints.has(f));
    keys = next;
    lastSuccessAt = now();
    if (removed) options.onKeysRemoved?.();
  };

  const fetchNow = (): Promise<void> => {
    if (inflight !== undefined) return inflight;
    startTimer();
    inflight = load().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const startTimer = () => {
    if (timer !== undefined || closed) return;
    timer = setInterval(() => {
      fetchNow().catch((error: unknown) => problem('background JWKS refresh failed; the previous keys stay in use', error));
    }, options.refreshIntervalMs);
    timer.unref();
  };

  return {
    ready: () => fetchNow(),
    usable: (at = now()) => keys !== undefined && at - lastSuccessAt <= options.maxStaleMs,
    find(kid, alg) {
      if (keys === undefined) return UNKNOWN_KID;
      if (kid !== undefined) {
        const algs = keys.byKid.get(kid);
        if (algs === undefined) return UNKNOWN_KID;
        return algs.get(alg) ?? KEY_ALG_MISMATCH;
      }
      const candidates = keys.byAlg.get(alg);
      if (candidates === undefined) return UNKNOWN_KID;
      return candidates.length === 1 ? candidates[0]! : AMBIGUOUS_KEY;
    },
    refetch() {
      if (closed) return undefined;
      if (inflight === undefined) {
        const at = now();
        if (at - lastTriggeredAt < options.unknownKidCooldownMs) return undefined;
        lastTriggeredAt = at;
      }
      return fetchNow().then(() => true, (error: unknown) => {
        problem('JWKS fetch failed', error);
        return false;
      });
    },
    close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Imports the usable keys of a JWKS `keys` array: signing keys for allowed algorithms, public only. */
async function importKeySet(jwks: readonly unknown[], allowed: ReadonlySet<string>, maxKeys: number, problem: (message: string, error?: unknown) => void): Promise<KeySet> {
  const byKid = new Map<string, Map<string, KeyLookup>>();
  const byAlg = new Map<string, KeyLookup[]>();
  const fingerprints = new Set<string>();
  let imported = 0;
  for (const jwk of jwks) {
    if (imported >= maxKeys) {
      problem(`JWKS has more than ${maxKeys} keys; the rest are ignored`);
      break;
    }
    const algs = usableAlgorithms(jwk, allowed);
    if (algs.length === 0) continue;
    const key = jwk as Record<string, unknown>;
    const kid = typeof key.kid === 'string' ? key.kid : undefined;
    let keyObject: KeyObject;
    try {
      keyObject = publicKeyFromJwk(key);
    } catch (error) {
      problem(`JWKS key ${kid ?? '(no kid)'} cannot be imported; ignored`, error);
      continue;
    }
    if (keyObject.asymmetricKeyType === 'rsa' && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
      problem(`JWKS key ${kid ?? '(no kid)'}: RSA keys under 2048 bits are ignored`);
      continue;
    }
    const entries: Array<[string, KeyLookup]> = [];
    for (const alg of algs) {
      try {
        // jose stays the judge of what a valid JWK for this algorithm is (members, curve, use,
        // key_ops); node:crypto only does the per-request work.
        const imported = await importJWK(key, alg);
        if (imported instanceof Uint8Array) continue;
        entries.push([alg, Object.freeze({ key: asymmetricKey(alg, keyObject) })]);
      } catch (error) {
        problem(`JWKS key ${kid ?? '(no kid)'} cannot be imported for ${alg}; ignored`, error);
      }
    }
    if (entries.length === 0) continue;
    imported++;
    fingerprints.add(JSON.stringify([kid, key.kty, key.crv, key.n, key.e, key.x, key.y]));
    for (const [alg, lookup] of entries) {
      if (kid !== undefined) {
        let forKid = byKid.get(kid);
        if (forKid === undefined) byKid.set(kid, (forKid = new Map<string, KeyLookup>()));
        if (forKid.has(alg)) {
          problem(`JWKS has two keys with kid ${kid} for ${alg}; the first is used`);
          continue;
        }
        forKid.set(alg, lookup);
      }
      let list = byAlg.get(alg);
      if (list === undefined) byAlg.set(alg, (list = [] as KeyLookup[]));
      list.push(lookup);
    }
  }
  return { byKid, byAlg, fingerprints };
}

/** The allowed algorithms a JWK may verify: none for encryption, private or unknown keys. */
function usableAlgorithms(jwk: unknown, allowed: ReadonlySet<string>): readonly string[] {
  if (!isRecord(jwk)) return [];
  if (jwk.use !== undefined && jwk.use !== 'sig') return [];
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return [];
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return [];
  if (PRIVATE_MEMBERS.some((m) => jwk[m] !== undefined)) return [];
  let candidates: readonly string[];
  if (jwk.kty === 'RSA') candidates = RSA_ALGS;
  else if ((jwk.kty === 'EC' || jwk.kty === 'OKP') && typeof jwk.crv === 'string') candidates = CURVE_ALGS[jwk.crv] ?? [];
  else return [];
  if (jwk.alg !== undefined) return typeof jwk.alg === 'string' && candidates.includes(jwk.alg) && allowed.has(jwk.alg) ? [jwk.alg] : [];
  return candidates.filter((a) => allowed.has(a));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
