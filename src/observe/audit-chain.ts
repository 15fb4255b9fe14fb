/**
 * The hash chain of the audit trail: each record is one JSON line that carries its sequence
 * number, the hash of the record before it (`prev`) and its own hash (`hash`, always the last
 * member), so an edited, deleted or reordered record breaks the chain. A sidecar `<file>.head`
 * holds the last record's sequence number and hash, so cutting records off the end shows too.
 * With a key, the hashes are HMAC-SHA256 and someone who can write the file cannot forge a chain.
 */
import { createHash, createHmac } from 'node:crypto';

/** `prev` of the very first record. */
export const GENESIS = '0'.repeat(64);

/** The position of a chain after a record. */
export interface ChainHead {
  /** Sequence number of the last record (0 before the first). */
  readonly seq: number;
  /** Its hash (GENESIS before the first). */
  readonly hash: string;
}

/** Hashes a record's text (its JSON without the `hash` member). */
export type RecordHasher = (text: string) => string;

/**
 * The hasher: SHA-256, or HMAC-SHA256 with a key.
 *
 * @example
 * ```ts
 * const hash = recordHasher(process.env.AUDIT_KEY);
 * ```
 */
export function recordHasher(key?: string | Buffer): RecordHasher {
  if (key === undefined || key.length === 0) return (text) => createHash('sha256').update(text).digest('hex');
  return (text) => createHmac('sha256', key).update(text).digest('hex');
}

/**
 * Chains one record: adds `seq` and `prev` in front, `hash` at the end, and returns the line
 * (without newline) and the new head.
 *
 * @example
 * ```ts
 * const { line, head } = chainRecord({ type: 'authorization', outcome: 'failure' }, { seq: 0, hash: GENESIS }, '2026-11-28T06:00:00.000Z', hasher);
 * ```
 */
export function chainRecord(record: Readonly<Record<string, unknown>>, head: ChainHead, time: string, hash: RecordHasher): { line: string; head: ChainHead } {
  const seq = head.seq + 1;
  const body = JSON.stringify({ seq, time, prev: head.hash, ...record });
  const digest = hash(body);
  return { line: `${body.slice(0, -1)},"hash":"${digest}"}`, head: { seq, hash: digest } };
}

/** What is wrong with a line of an audit file, if anything. */
export type LineProblem = 'not_json' | 'no_hash' | 'hash_mismatch' | 'seq_gap' | 'prev_mismatch';

/**
 * Checks one line against the head before it. Returns the new head, or the problem.
 *
 * @example
 * ```ts
 * const r = verifyLine(line, head, hasher);
 * if ('problem' in r) console.log(r.problem);
 * ```
 */
export function verifyLine(line: string, before: ChainHead, hash: RecordHasher): { head: ChainHead } | { problem: LineProblem } {
  let parsed: { seq?: unknown; prev?: unknown; hash?: unknown };
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    return { problem: 'not_json' };
  }
  const marker = line.lastIndexOf(',"hash":"');
  if (typeof parsed.hash !== 'string' || marker === -1 || !line.endsWith('"}')) return { problem: 'no_hash' };
  if (hash(`${line.slice(0, marker)}}`) !== parsed.hash) return { problem: 'hash_mismatch' };
  if (parsed.seq !== before.seq + 1) return { problem: 'seq_gap' };
  if (parsed.prev !== before.hash) return { problem: 'prev_mismatch' };
  return { head: { seq: parsed.seq, hash: parsed.hash } };
}

/**
 * The head file's text for a head.
 *
 * @example
 * ```ts
 * writeFileSync(`${file}.head`, headText(head));
 * ```
 */
export function headText(head: ChainHead): string {
  return `${JSON.stringify({ seq: head.seq, hash: head.hash })}\n`;
}

/**
 * Parses a head file's text; undefined when it is not one.
 *
 * @example
 * ```ts
 * parseHead('{"seq":3,"hash":"ab…"}') // { seq: 3, hash: 'ab…' }
 * ```
 */
export function parseHead(text: string): ChainHead | undefined {
  try {
    const v = JSON.parse(text) as { seq?: unknown; hash?: unknown };
    if (typeof v.seq === 'number' && Number.isInteger(v.seq) && v.seq >= 0 && typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash)) return { seq: v.seq, hash: v.hash };
  } catch {
    // not a head file
  }
  return undefined;
}
