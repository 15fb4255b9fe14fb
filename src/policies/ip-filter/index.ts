/**
 * ip-filter: lets a request through or refuses it by the client's address, before any other
 * policy runs (connection phase).
 *
 * The address checked is `ctx.clientIp`, already resolved through `server.trustedProxies`: a
 * client that is not a trusted proxy cannot choose it by sending X-Forwarded-For. IPv4-mapped
 * IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack listener reports for IPv4 peers) and
 * ranges (`::ffff:10.0.0.0/104`) count as the IPv4 ones they carry, in lists and lookups alike.
 *
 * Rules, in order: an address on the deny list is refused; when an allow list is in force, an
 * address not on it is refused; everything else continues. Both refusals are the same 403
 * `ip-filter.denied` (the client does not learn which list it met); the audit trail records which.
 *
 * compile() parses the inline entries and the list files into one node:net BlockList per list,
 * so a request costs at most one lookup per list. The files are read at compile time: a config
 * reload reads them again.
 *
 * Per route and global: like most policies, a route's own `ip-filter` replaces the defaults' one
 * as a whole (no merge), so a route's allow list is exactly what it says. A route that should
 * keep the global deny list while adding its own allow list names the same `denyFile`; a route
 * that must be reachable from anywhere sets `ip-filter: false`.
 */
import { ConfigError, type ConfigIssue, type ConfigPath } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { compileIpList, IpListError, type IpMatcher } from '../../core/ip.js';
import { definePolicy, type CompiledPolicy, type CompileEnv, type PolicyAuditEvent } from '../../core/policy.js';
import { quote, readListFile } from './list-file.js';
import { IpFilterSchema, MAX_FILE_ENTRIES, type IpFilterConfig } from './schema.js';

export { IpFilterSchema, MAX_INLINE_ENTRIES, MAX_FILE_ENTRIES, type IpFilterConfig } from './schema.js';
export { MAX_LIST_FILE_BYTES } from './list-file.js';

/** Most bad entries reported from one list. */
const MAX_REPORTED = 20;

const DENY_LISTED: PolicyAuditEvent = Object.freeze({ type: 'ip-filter', outcome: 'failure', rule: 'deny list' });
const NOT_ALLOWED: PolicyAuditEvent = Object.freeze({ type: 'ip-filter', outcome: 'failure', rule: 'not in allow list' });

/**
 * The ip-filter policy.
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     ip-filter:
 *       deny: [203.0.113.0/24]
 *       denyFile: blocked-ips.txt
 * routes:
 *   - path: /admin/*
 *     upstream: api
 *     policies:
 *       ip-filter:
 *         allow: [10.0.0.0/8, '2001:db8::/32']
 *         denyFile: blocked-ips.txt
 * ```
 */
export default definePolicy({
  name: 'ip-filter',
  phase: 'connection',
  description: 'Allow and deny lists of IPv4/IPv6 addresses and CIDR ranges, inline or from files, checked against the client IP resolved through the trusted proxies.',
  schema: IpFilterSchema,
  errors: {
    denied: {
      status: 403,
      title: 'Forbidden',
      description: 'The client address (as resolved through server.trustedProxies) is on the route\'s ip-filter deny list, or an allow list is in force and the address is not on it. The audit log says which.',
    },
  },
  compile: compileIpFilter,
});

function compileIpFilter(config: IpFilterConfig, env: CompileEnv): CompiledPolicy {
  const issues: ConfigIssue[] = [];
  const allow = buildList(config.allow, 'allow', config.allowFile, 'allowFile', env, issues);
  const deny = buildList(config.deny, 'deny', config.denyFile, 'denyFile', env, issues);
  if (issues.length > 0) throw new ConfigError(issues);

  if (allow !== undefined) {
    allow.entries.forEach((entry, i) => {
      const covers = coverage(entry);
      if (covers === undefined) return;
      const { path, message } = allow.locate(i, `${quote(entry)} allows ${covers}: the allow list does not restrict those clients`);
      env.warn(path, message);
    });
    if (allow.entries.length === 0) env.warn(['allowFile'], 'the allow list is empty: every client is refused');
  }
  const allowed = allow?.matcher;
  const denied = deny?.matcher;
  if (allowed === undefined && denied === undefined) return {};

  const refusal = env.deny('denied', { detail: 'Requests from this client address are not accepted here.' });
  return {
    onRequest(ctx: RequestContext) {
      const ip = ctx.clientIp;
      if (denied !== undefined && denied.has(ip)) {
        env.audit(ctx, DENY_LISTED);
        return refusal;
      }
      if (allowed !== undefined && !allowed.has(ip)) {
        env.audit(ctx, NOT_ALLOWED);
        return refusal;
      }
      return undefined;
    },
  };
}

/** One list, compiled. */
interface BuiltList {
  readonly matcher: IpMatcher;
  /** Inline entries, then the file's. */
  readonly entries: readonly string[];
  /** Where entry i is, for a message about it: `allow[i]`, or the file and line under `allowFile`. */
  locate(i: number, message: string): { path: ConfigPath; message: string };
}

/**
 * Compiles a list's inline entries and file into one matcher. Undefined when the list is not in
 * force: no inline entries and no file. A file that is set is in force even when empty.
 */
function buildList(inline: readonly string[], key: string, fileName: string | undefined, fileKey: string, env: CompileEnv, issues: ConfigIssue[]): BuiltList | undefined {
  if (inline.length === 0 && fileName === undefined) return undefined;
  let file: { readonly name: string; readonly lines: readonly number[] } | undefined;
  let entries = inline;
  if (fileName !== undefined) {
    const read = readListFile(fileName, env.baseDir, MAX_FILE_ENTRIES);
    if (!read.ok) {
      for (const message of read.errors) issues.push({ path: [fileKey], message, severity: 'error' });
      return undefined;
    }
    for (const warning of read.warnings) env.warn([fileKey], warning);
    file = { name: read.file, lines: read.lines };
    entries = inline.length === 0 ? read.entries : [...inline, ...read.entries];
  }
  // Entry i of `entries`: inline (path `key[i]`) or a line of the file.
  const locate = (i: number, message: string): { path: ConfigPath; message: string } => i < inline.length
    ? { path: [key, i], message }
    : { path: [fileKey], message: `${file!.name}:${file!.lines[i - inline.length]!}: ${message}` };

  const matcher = compileReportingAll(entries, (i, message) => issues.push({ ...locate(i, message), severity: 'error' }));
  return matcher === undefined ? undefined : { matcher, entries, locate };
}

/**
 * compileIpList, but every bad entry is reported (up to MAX_REPORTED), not only the first: after
 * a mistake the parse resumes just past it, so each entry is still parsed about once.
 */
function compileReportingAll(entries: readonly string[], report: (index: number, message: string) => void): IpMatcher | undefined {
  let offset = 0;
  let reported = 0;
  for (;;) {
    try {
      const matcher = compileIpList(offset === 0 ? entries : entries.slice(offset));
      return reported === 0 ? matcher : undefined;
    } catch (error) {
      if (!(error instanceof IpListError)) throw error;
      report(offset + error.index, error.message);
      offset += error.index + 1;
      if (++reported === MAX_REPORTED) return undefined;
    }
  }
}

/**
 * What a CIDR covers entirely, if anything: only prefix lengths 0 and 96 (::ffff:0:0/96, all of
 * IPv4) can, and those rare entries are probed on a list of their own.
 */
function coverage(entry: string): 'every address' | 'every IPv4 address' | 'every IPv6 address' | undefined {
  const slash = entry.indexOf('/');
  if (slash === -1) return undefined;
  const bits = entry.slice(slash + 1);
  if (bits !== '0' && bits !== '96') return undefined;
  const one = compileIpList([entry]);
  const v4 = one.has('0.0.0.0') && one.has('255.255.255.255');
  const v6 = one.has('::') && one.has('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  return v4 && v6 ? 'every address' : v4 ? 'every IPv4 address' : v6 ? 'every IPv6 address' : undefined;
}
