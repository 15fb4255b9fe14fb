/**
 * API-key administration over a keysFile (the one named by admin.keysFile, which an api-key
 * policy also reads): list by prefix, create, rotate, revoke. The file holds only prefixes and
 * hashes; a new key is returned once and never stored. Every change writes the whole file
 * atomically (temporary file + rename) and is applied by a reload.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { generateApiKey, type ApiKeyEntry } from '../policies/api-key/index.js';
import { readKeysFile } from '../policies/api-key/keys-file.js';

/** A key as the admin API shows it: never the hash, never the key. */
export interface KeySummary {
  readonly id: string;
  readonly prefix: string;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly expiresAt: string | undefined;
  readonly revoked: boolean;
}

/** A created key: the only time the key itself is seen. */
export interface CreatedKey extends KeySummary {
  /** The whole key, `pk_<prefix>_<secret>`: give it to the client now; it cannot be shown again. */
  readonly key: string;
}

/** What a new key carries. */
export interface NewKey {
  readonly id: string;
  readonly roles?: readonly string[];
  readonly scopes?: readonly string[];
  readonly expiresAt?: string;
}

/** A failure the admin API answers with 4xx. */
export class KeyAdminError extends Error {
  readonly status: 400 | 404 | 409;
  constructor(status: 400 | 404 | 409, message: string) {
    super(message);
    this.name = 'KeyAdminError';
    this.status = status;
  }
}

/** The operations. */
export interface KeyAdmin {
  list(prefix?: string): Promise<KeySummary[]>;
  create(key: NewKey): Promise<CreatedKey>;
  /** A new key for the client of `prefix`; the old one is revoked at once, or expires at `graceUntil`. */
  rotate(prefix: string, graceUntil?: string): Promise<CreatedKey>;
  revoke(prefix: string): Promise<KeySummary>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const TOKEN = /^[\x21-\x7e]{1,128}$/;

/**
 * Key administration over one keysFile (absolute path).
 *
 * @example
 * ```ts
 * const keys = keyAdmin('/etc/portcullis/keys.yaml');
 * const { key } = await keys.create({ id: 'billing', roles: ['service'] });
 * ```
 */
export function keyAdmin(file: string): KeyAdmin {
  let queue: Promise<unknown> = Promise.resolve();
  // One change at a time: two concurrent rotations must not lose each other's write.
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };
  const load = async (): Promise<ApiKeyEntry[]> => {
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
    if (text.trim() === '') return [];
    const result = readKeysFile(file, '/');
    if (!result.ok) throw new KeyAdminError(409, 'the keys file is not valid; fix it before changing keys through the API');
    return result.entries.map((e) => ({ ...e.entry }));
  };
  const save = async (entries: readonly ApiKeyEntry[]) => {
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, `# Managed by the Portcullis admin API: prefixes and hashes only.\n${stringify({ keys: entries })}`, { mode: 0o600 });
    await rename(tmp, file);
  };
  const find = (entries: ApiKeyEntry[], prefix: string) => {
    const entry = entries.find((e) => e.prefix === prefix);
    if (entry === undefined) throw new KeyAdminError(404, 'no key with this prefix');
    return entry;
  };
  const fresh = (template: NewKey, entries: readonly ApiKeyEntry[]): { entry: ApiKeyEntry; key: string } => {
    let generated = generateApiKey();
    while (entries.some((e) => e.prefix === generated.prefix)) generated = generateApiKey();
    const entry: ApiKeyEntry = { id: template.id, prefix: generated.prefix, hash: generated.hash, roles: [...(template.roles ?? [])], scopes: [...(template.scopes ?? [])], revoked: false, attributes: {}, ...(template.expiresAt === undefined ? {} : { expiresAt: template.expiresAt }) };
    return { entry, key: generated.key };
  };
  return {
    list: (prefix) => serial(async () => (await load()).filter((e) => prefix === undefined || e.prefix.startsWith(prefix)).map(summary)),
    create: (template) => serial(async () => {
      checkNewKey(template);
      const entries = await load();
      const { entry, key } = fresh(template, entries);
      await save([...entries, entry]);
      return { ...summary(entry), key };
    }),
    rotate: (prefix, graceUntil) => serial(async () => {
      if (graceUntil !== undefined && !Number.isFinite(Date.parse(graceUntil))) throw new KeyAdminError(400, 'graceUntil must be an RFC 3339 date-time');
      const entries = await load();
      const old = find(entries, prefix);
      if (old.revoked) throw new KeyAdminError(409, 'the key is revoked');
      const { entry, key } = fresh({ id: old.id, roles: old.roles, scopes: old.scopes, ...(old.expiresAt === undefined ? {} : { expiresAt: old.expiresAt }) }, entries);
      const next = entries.map((e) => (e !== old ? e : graceUntil === undefined ? { ...e, revoked: true } : { ...e, expiresAt: graceUntil }));
      await save([...next, { ...entry, attributes: old.attributes, ...(old.routes === undefined ? {} : { routes: old.routes }) }]);
      return { ...summary(entry), key };
    }),
    revoke: (prefix) => serial(async () => {
      const entries = await load();
      const old = find(entries, prefix);
      const revoked = { ...old, revoked: true };
      await save(entries.map((e) => (e === old ? revoked : e)));
      return summary(revoked);
    }),
  };
}

function checkNewKey(key: NewKey): void {
  if (typeof key.id !== 'string' || !ID.test(key.id)) throw new KeyAdminError(400, 'id must be 1-128 letters, digits and ._:@- starting with a letter or digit');
  for (const list of [key.roles, key.scopes]) {
    if (list !== undefined && (!Array.isArray(list) || list.length > 100 || !list.every((v) => typeof v === 'string' && TOKEN.test(v)))) throw new KeyAdminError(400, 'roles and scopes must be lists of up to 100 short names');
  }
  if (key.expiresAt !== undefined && (typeof key.expiresAt !== 'string' || !Number.isFinite(Date.parse(key.expiresAt)))) throw new KeyAdminError(400, 'expiresAt must be an RFC 3339 date-time');
}

function summary(e: ApiKeyEntry): KeySummary {
  return { id: e.id, prefix: e.prefix, roles: e.roles, scopes: e.scopes, expiresAt: e.expiresAt, revoked: e.revoked };
}
