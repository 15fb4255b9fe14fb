/**
 * Scoring the waf policy on the vendored corpora (test/corpora), in process: each line is put in
 * a request exactly as test/corpora/BASELINE.md describes the ModSecurity + CRS run, handed to the
 * compiled policy's onRequest, and counted as blocked when the policy refuses it. Shared by
 * `npm run waf:score` (scripts/waf-score.ts) and test/waf-corpora.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { RequestContext } from '../../src/core/context.js';
import type { Policy } from '../../src/core/policy.js';
import { compileEnvFor, fakeContext, schemaValidator } from '../../src/policies/test-helpers.js';
import waf, { WafSchema } from '../../src/policies/waf/index.js';

/** How a corpus line is placed in a request. */
export const PLACEMENTS = ['query', 'json', 'header'] as const;

/** One of {@link PLACEMENTS}. */
export type Placement = (typeof PLACEMENTS)[number];

/** One corpus: its lines, whether they should be blocked, whether they are URL-encoded already. */
export interface Corpus {
  /** `attacks/sqli`, `libinjection sqli-*`, `libinjection false_positives` (as in BASELINE.md). */
  readonly name: string;
  readonly lines: readonly string[];
  /** Attack lines should be blocked; benign ones must pass. */
  readonly benign: boolean;
  /** libinjection lines are URL-encoded query input. */
  readonly encoded: boolean;
}

/** The block rates of one corpus. */
export interface CorpusScore {
  readonly corpus: string;
  readonly lines: number;
  readonly rates: Readonly<Record<Placement, number>>;
}

/** A row of test/corpora/BASELINE.md: nginx + ModSecurity v3 + OWASP CRS 3.3.4, PL1, threshold 5. */
export interface BaselineRow {
  readonly lines: number;
  readonly query: number;
  readonly json: number;
  readonly header: number | undefined;
}

/** The CRS 3.3.4 PL1 block rates, copied from test/corpora/BASELINE.md (measured 2026-11-28). */
export const CRS_BASELINE: Readonly<Record<string, BaselineRow>> = {
  'attacks/sqli': { lines: 1354, query: 0.832, json: 0.830, header: 0.001 },
  'attacks/xss': { lines: 2169, query: 0.818, json: 0.818, header: 0.017 },
  'attacks/cmdi': { lines: 496, query: 0.786, json: 0.780, header: 0.050 },
  'attacks/path-traversal': { lines: 4443, query: 0.917, json: 0.825, header: 0.791 },
  'attacks/lfi': { lines: 4787, query: 0.874, json: 0.849, header: 0.643 },
  'attacks/ssti': { lines: 107, query: 0.729, json: 0.710, header: 0.065 },
  'attacks/nosqli': { lines: 26, query: 0.346, json: 0.346, header: 0.154 },
  'attacks/ldapi': { lines: 33, query: 0.121, json: 0.121, header: 0.030 },
  'attacks/crlf': { lines: 17, query: 0.765, json: 0.706, header: 0.059 },
  'attacks/xxe': { lines: 108, query: 0.935, json: 0.926, header: 0.028 },
  'libinjection sqli-*': { lines: 17149, query: 1.000, json: 1.000, header: undefined },
  'libinjection xss-*': { lines: 1645, query: 0.997, json: 0.997, header: undefined },
  'libinjection false_positives': { lines: 421, query: 0.095, json: 0.088, header: undefined },
};

const CORPORA = new URL('../corpora/', import.meta.url);

/**
 * Every corpus of BASELINE.md, in its order.
 *
 * @example
 * ```ts
 * loadCorpora().map((c) => c.name) // ['attacks/sqli', …, 'libinjection false_positives']
 * ```
 */
export function loadCorpora(): Corpus[] {
  const out: Corpus[] = [];
  const attacks = new URL('attacks/', CORPORA);
  const files = new Set(readdirSync(attacks).filter((f) => f.endsWith('.jsonl')));
  const ordered = Object.keys(CRS_BASELINE).filter((n) => n.startsWith('attacks/')).map((n) => `${n.slice(8)}.jsonl`);
  for (const file of [...ordered.filter((f) => files.has(f)), ...[...files].filter((f) => !ordered.includes(f)).sort()]) {
    const lines = readFileSync(new URL(file, attacks), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => (JSON.parse(l) as { payload: string }).payload);
    out.push({ name: `attacks/${file.slice(0, -6)}`, lines, benign: false, encoded: false });
  }
  const lib = new URL('libinjection/', CORPORA);
  const libFiles = readdirSync(lib).sort();
  const libLines = (names: string[]) => names.flatMap((f) => readFileSync(new URL(f, lib), 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '' && !l.startsWith('#')));
  out.push({ name: 'libinjection sqli-*', lines: libLines(libFiles.filter((f) => f.startsWith('sqli-'))), benign: false, encoded: true });
  out.push({ name: 'libinjection xss-*', lines: libLines(libFiles.filter((f) => f.startsWith('xss-'))), benign: false, encoded: true });
  out.push({ name: 'libinjection false_positives', lines: libLines(['false_positives.txt']), benign: true, encoded: true });
  return out;
}

/**
 * Percent-decodes a libinjection line ('+' is a space); malformed escapes stay as they are and
 * bytes that are not UTF-8 become U+FFFD, as a lenient server would read them.
 *
 * @example
 * ```ts
 * urlDecode('1%27+OR+1') // "1' OR 1"
 * ```
 */
export function urlDecode(line: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 1, i + 3))) {
      bytes.push(parseInt(line.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x2b) bytes.push(0x20);
    else for (const b of Buffer.from(line[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Percent-encodes every byte of the UTF-8 form except unreserved characters (RFC 3986), once. */
function percentEncode(value: string): string {
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A header value as node:http hands it over: UTF-8 bytes read as latin1, control characters spaces, trimmed. */
function headerValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return Buffer.from(value, 'utf8').toString('latin1').replace(/[\x00-\x1f\x7f]/g, ' ').trim();
}

/**
 * The request context for one line in one placement (see BASELINE.md).
 *
 * @example
 * ```ts
 * const ctx = contextFor("1' OR '1'='1", false, 'query');
 * ```
 */
export function contextFor(line: string, encoded: boolean, placement: Placement): RequestContext {
  if (placement === 'query') return fakeContext({ method: 'GET', url: `/anything?id=1&q=${encoded ? line : percentEncode(line)}` });
  const value = encoded ? urlDecode(line) : line;
  if (placement === 'header') return fakeContext({ method: 'GET', url: '/anything', headers: { 'x-test-input': headerValue(value) } });
  const raw = JSON.stringify({ id: 1, q: value });
  const ctx = fakeContext({ method: 'POST', url: '/anything', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(raw)) } });
  ctx.rawBody = Buffer.from(raw);
  ctx.body = JSON.parse(raw) as unknown;
  return ctx;
}

/** Options of {@link scoreCorpora}. */
export interface ScoreOptions {
  /** Paranoia level (default 1). */
  readonly paranoia?: number;
  /** Corpora to score (default: all). */
  readonly corpora?: readonly Corpus[];
  /** Placements (default: all). */
  readonly placements?: readonly Placement[];
  /** The policy (default: the waf policy with every detector). */
  readonly policy?: Policy;
}

/**
 * Block rates per corpus and placement. The policy is configured as for a route that inspects
 * the test header: `{ paranoia, inspect: { headers: [user-agent, referer, x-test-input] } }`.
 *
 * @example
 * ```ts
 * const rows = scoreCorpora({ paranoia: 1 });
 * ```
 */
export function scoreCorpora(options: ScoreOptions = {}): CorpusScore[] {
  const policy = options.policy ?? waf;
  const config = wafScoreConfig(options.paranoia ?? 1);
  const onRequest = policy.compile(config as never, compileEnvFor(policy)).onRequest;
  if (onRequest === undefined) throw new Error('the waf policy has no request handler');
  const placements = options.placements ?? PLACEMENTS;
  return (options.corpora ?? loadCorpora()).map((corpus) => {
    const rates = { query: Number.NaN, json: Number.NaN, header: Number.NaN };
    for (const placement of placements) {
      let blocked = 0;
      for (const line of corpus.lines) if (onRequest(contextFor(line, corpus.encoded, placement)) !== undefined) blocked++;
      rates[placement] = corpus.lines.length === 0 ? 0 : blocked / corpus.lines.length;
    }
    return { corpus: corpus.name, lines: corpus.lines.length, rates };
  });
}

/**
 * The waf config of the score run, defaults filled in as the loader would.
 *
 * @example
 * ```ts
 * wafScoreConfig(2).paranoia // 2
 * ```
 */
export function wafScoreConfig(paranoia: number): Record<string, unknown> {
  const config = { paranoia, inspect: { headers: ['user-agent', 'referer', 'x-test-input'] } };
  if (!validateConfig(config)) throw new Error(`bad waf config: ${JSON.stringify(validateConfig.errors)}`);
  return config;
}

const validateConfig = schemaValidator(WafSchema);

/**
 * The score table, ours beside CRS PL1 and the difference, one row per corpus.
 *
 * @example
 * ```ts
 * console.log(formatScoreTable(scoreCorpora()));
 * ```
 */
export function formatScoreTable(rows: readonly CorpusScore[]): string {
  const f = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(3));
  const d = (a: number, b: number | undefined) => (b === undefined || Number.isNaN(a) ? '—' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(3)}`);
  const head = `${'corpus'.padEnd(30)} ${'lines'.padStart(6)} | ${PLACEMENTS.map((p) => `${p.padEnd(6)} ours    CRS     diff`).join(' | ')}`;
  const out = [head, '-'.repeat(head.length)];
  for (const row of rows) {
    const base = CRS_BASELINE[row.corpus];
    const cells = PLACEMENTS.map((p) => `${''.padEnd(6)} ${f(row.rates[p]).padEnd(7)} ${f(base?.[p]).padEnd(7)} ${d(row.rates[p], base?.[p]).padEnd(6)}`);
    out.push(`${row.corpus.padEnd(30)} ${String(row.lines).padStart(6)} | ${cells.join(' | ')}`);
  }
  return out.join('\n');
}
