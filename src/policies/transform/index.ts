/**
 * transform: the request the upstream receives and the response the client receives.
 *
 * Request: identity headers (X-User-Id …) set from the authenticated principal after any
 * client-sent copy was removed, so an upstream that trusts them is told the truth; fixed headers
 * set, client headers removed or renamed; client-sent X-Internal-* stripped (default); the path
 * rewritten (strip and add a prefix, never introducing a dot segment).
 *
 * Response: headers set and removed (static, precomputed per route), renamed and X-Internal-*
 * stripped (one pass over the head); JSON fields removed or redacted by path, arrays included.
 * Body changes are best effort: a non-JSON body passes unchanged, so security-critical removals
 * belong in property-level, which fails closed. Routes without removeFields/redactFields pay no
 * buffering.
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     transform:
 *       request:
 *         identityHeaders: { x-user-id: id, x-user-roles: roles }
 *         rewritePath: { stripPrefix: /api, addPrefix: /v2 }
 *       response:
 *         removeFields: [users[].passwordHash]
 *         redactFields: { items[].email: "***" }
 * ```
 */
import { buildPathTree, parsePropertyPath, walkPaths, type PathTree } from '../../core/json-paths.js';
import { configError, type ConfigPath } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { definePolicy, type CompiledPolicy, type ResponseHead } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import { TransformSchema, type TransformConfig } from './schema.js';

export { TransformSchema, type TransformConfig } from './schema.js';

type Reader = (principal: Principal) => string | undefined;

/** What happens to a JSON field: removed, or its value replaced. */
type FieldAction = { readonly remove: true } | { readonly remove: false; readonly value: string };

/** The prefix of internal headers, stripped by default in both directions. */
export const INTERNAL_PREFIX = 'x-internal-';

/** Request headers the gateway manages itself (framing, hop-by-hop, forwarding): never touched by config. */
const RESERVED_REQUEST = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id']);

/** Response headers the proxy manages itself (framing, encoding, hop-by-hop, correlation). */
const RESERVED_RESPONSE = new Set(['content-length', 'transfer-encoding', 'content-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'x-request-id']);

/** Renaming these would forward a credential under a name no policy strips. */
const CREDENTIALS = new Set(['authorization', 'proxy-authorization', 'cookie']);

export default definePolicy({
  name: 'transform',
  phase: 'validate',
  description: 'Transforms the request forwarded upstream (identity and other headers, path) and the response sent back (headers, JSON fields).',
  schema: TransformSchema,
  errors: {},
  compile(config: TransformConfig): CompiledPolicy {
    const request = compileRequest(config.request);
    const response = compileResponse(config.response);
    return { ...request, ...response };
  },
});

/** Checks that each header name is used once per direction and is not one the gateway manages. */
class HeaderNames {
  private readonly seen = new Map<string, string>();
  private readonly reserved: ReadonlySet<string>;
  private readonly direction: string;

  constructor(reserved: ReadonlySet<string>, direction: string) {
    this.reserved = reserved;
    this.direction = direction;
  }

  add(name: string, path: ConfigPath): string {
    const lower = name.toLowerCase();
    if (this.reserved.has(lower)) throw configError(path, `${lower} is managed by the gateway and cannot be changed in ${this.direction}`);
    const other = this.seen.get(lower);
    if (other !== undefined) throw configError(path, `${lower} is already used by ${other}`);
    this.seen.set(lower, path.join('.'));
    return lower;
  }
}

function compileRequest(config: TransformConfig['request']): CompiledPolicy {
  const names = new HeaderNames(RESERVED_REQUEST, 'the request');
  const identity = Object.entries(config.identityHeaders).map(([header, field]) => [names.add(header, ['request', 'identityHeaders', header]), reader(field)] as const);
  const set = Object.entries(config.setHeaders).map(([header, value]) => [names.add(header, ['request', 'setHeaders', header]), value] as const);
  const removed = config.removeHeaders.map((header, i) => names.add(header, ['request', 'removeHeaders', i]));
  const renames = new Map<string, string>();
  for (const [from, to] of Object.entries(config.renameHeaders)) {
    const path = ['request', 'renameHeaders', from];
    if (CREDENTIALS.has(from.toLowerCase())) throw configError(path, `${from.toLowerCase()} carries credentials and cannot be renamed`);
    renames.set(names.add(from, path), names.add(to, path));
  }
  const rewrite = pathRewriter(config.rewritePath.stripPrefix, config.rewritePath.addPrefix);
  const stripInternal = config.stripInternalHeaders;
  const strip = [...identity.map(([h]) => h), ...set.map(([h]) => h), ...removed, ...renames.keys(), ...renames.values()];
  const scan = renames.size > 0;
  if (strip.length === 0 && !scan && !stripInternal && rewrite === undefined) return {};
  const setFlat = set.flat();
  return {
    ...(strip.length > 0 ? { stripRequestHeaders: strip } : {}),
    // The proxy drops client X-Internal-* headers while it copies the request's headers.
    ...(stripInternal ? { stripRequestHeaderPrefixes: [INTERNAL_PREFIX] } : {}),
    onRequest(ctx) {
      if (scan) renameClientHeaders(ctx, renames);
      for (let i = 0; i < setFlat.length; i += 2) ctx.addUpstreamHeader(setFlat[i]!, setFlat[i + 1]!);
      const principal = ctx.principal;
      if (principal !== undefined) {
        for (const [header, read] of identity) {
          const value = read(principal);
          if (value !== undefined) ctx.addUpstreamHeader(header, value);
        }
      }
      if (rewrite !== undefined) ctx.upstreamPath = rewrite(ctx.upstreamPath ?? ctx.path);
    },
  };
}

/** Re-adds renamed client headers under their new name (the old name is in stripRequestHeaders). */
function renameClientHeaders(ctx: RequestContext, renames: ReadonlyMap<string, string>): void {
  const raw = ctx.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const to = renames.get(raw[i]!.toLowerCase());
    if (to !== undefined) ctx.addUpstreamHeader(to, raw[i + 1]!);
  }
}

/** Case-insensitive `x-internal-` prefix check without allocating a lower-case copy. */
export function isInternal(name: string): boolean {
  if (name.length <= INTERNAL_PREFIX.length) return false;
  for (let i = 0; i < INTERNAL_PREFIX.length; i++) {
    // ASCII letters only differ by 0x20 between cases; '-' is compared exactly.
    const c = name.charCodeAt(i);
    const want = INTERNAL_PREFIX.charCodeAt(i);
    if (c !== want && (want === 0x2d || (c | 0x20) !== want)) return false;
  }
  return true;
}

/** The path rewrite, or undefined when none is configured. Prefixes are checked for dot segments here. */
export function pathRewriter(stripPrefix: string | undefined, addPrefix: string | undefined): ((path: string) => string) | undefined {
  if (stripPrefix === undefined && addPrefix === undefined) return undefined;
  for (const [field, prefix] of [['stripPrefix', stripPrefix], ['addPrefix', addPrefix]] as const) {
    if (prefix !== undefined && prefix.split('/').some((s) => s === '.' || s === '..')) throw configError(['request', 'rewritePath', field], `${prefix} must not contain a '.' or '..' segment`);
  }
  const add = addPrefix ?? '';
  return (path) => {
    let rest = path;
    if (stripPrefix !== undefined && path.startsWith(stripPrefix) && (path.length === stripPrefix.length || path.charCodeAt(stripPrefix.length) === 0x2f)) rest = path.slice(stripPrefix.length);
    let out = add + rest;
    // Never hand the upstream `//host/…` (read as a network path by some servers).
    if (out.startsWith('//')) out = `/${out.replace(/^\/+/, '')}`;
    return out === '' ? '/' : out;
  };
}

function compileResponse(config: TransformConfig['response']): CompiledPolicy {
  const names = new HeaderNames(RESERVED_RESPONSE, 'the response');
  const stripInternal = config.stripInternalHeaders;
  const internal = (name: string, path: ConfigPath) => {
    if (stripInternal && isInternal(name)) throw configError(path, `${name.toLowerCase()} would be removed again by stripInternalHeaders`);
  };
  const set = Object.entries(config.setHeaders).map(([header, value]) => {
    internal(header, ['response', 'setHeaders', header]);
    return [names.add(header, ['response', 'setHeaders', header]), value] as const;
  });
  const remove = config.removeHeaders.map((header, i) => names.add(header, ['response', 'removeHeaders', i]));
  const renames = new Map<string, string>();
  for (const [from, to] of Object.entries(config.renameHeaders)) {
    const path = ['response', 'renameHeaders', from];
    internal(to, path);
    renames.set(names.add(from, path), names.add(to, path));
  }
  // An upstream copy of a rename's target is dropped with the static removals (before the hooks).
  const removeAll = [...remove, ...renames.values()];
  const tree = fieldTree(config.removeFields, config.redactFields);
  const onResponse = stripInternal || renames.size > 0 ? (_ctx: RequestContext, head: ResponseHead) => editHead(head, renames, stripInternal) : undefined;
  return {
    ...(set.length > 0 || removeAll.length > 0 ? { responseHeaders: { set, remove: removeAll } } : {}),
    ...(onResponse !== undefined ? { onResponse } : {}),
    ...(tree !== undefined ? { onResponseBody: (_ctx, _head, body) => {
      if (!body.isJson) return;
      let changed = false;
      walkPaths(tree, body.value, (parent, key, action) => {
        if (action.remove) Reflect.deleteProperty(parent, key);
        else parent[key] = action.value;
        changed = true;
      });
      if (changed) body.changed = true;
    } } satisfies CompiledPolicy : {}),
  };
}

function editHead(head: ResponseHead, renames: ReadonlyMap<string, string>, stripInternal: boolean): void {
  const headers = head.headers;
  for (let i = 0; i < headers.length;) {
    const name = headers[i]!;
    if (stripInternal && name.startsWith(INTERNAL_PREFIX)) {
      headers.splice(i, 2);
      continue;
    }
    const to = renames.get(name);
    if (to !== undefined) headers[i] = to;
    i += 2;
  }
}

/** The tree of field rules, or undefined when there are none (no body hook, no buffering). */
function fieldTree(removeFields: readonly string[], redactFields: Readonly<Record<string, string>>): PathTree<FieldAction> | undefined {
  const entries: Array<readonly [string, FieldAction]> = [];
  const seen = new Map<string, string>();
  const claim = (path: string, where: ConfigPath) => {
    // `items.email` and `items[].email` are the same field.
    const key = (parsePropertyPath(path) ?? [path]).join('.');
    const other = seen.get(key);
    if (other !== undefined) throw configError(where, `${path} is already listed in ${other}`);
    seen.set(key, where.slice(0, 2).join('.'));
  };
  removeFields.forEach((path, i) => {
    claim(path, ['response', 'removeFields', i]);
    entries.push([path, { remove: true }]);
  });
  for (const [path, value] of Object.entries(redactFields)) {
    claim(path, ['response', 'redactFields', path]);
    entries.push([path, { remove: false, value }]);
  }
  return entries.length === 0 ? undefined : buildPathTree(entries);
}

function reader(field: string): Reader {
  if (field.startsWith('attributes.')) {
    const name = field.slice('attributes.'.length);
    return (p) => headerValue(p.attributes[name]);
  }
  const key = field as 'id' | 'kind' | 'roles' | 'scopes' | 'method' | 'credentialId';
  return (p) => headerValue(p[key]);
}

// Header values from identity data: plain text only. Anything with control or non-ASCII
// characters is percent-encoded, so a claim can never split or smuggle a header.
const SAFE = /^[\x20-\x7e]*$/;

function headerValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = Array.isArray(value) ? value.map(scalar).join(',') : scalar(value);
  return SAFE.test(text) ? text.trim() : encodeURIComponent(text);
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value) ?? '';
}
