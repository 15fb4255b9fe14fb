/**
 * Verifies audit-trail files: every line parses, carries the right hash, follows the one before
 * it (sequence and `prev`), and the last record is the one `<file>.head` names. Files are read
 * as a stream, one line at a time, so a large trail needs little memory.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseHead, recordHasher, verifyLine, type ChainHead, type LineProblem } from './audit-chain.js';

/** One finding. */
export interface AuditFinding {
  /** The file. */
  readonly file: string;
  /** 1-based line, or 0 for the file as a whole. */
  readonly line: number;
  /** What is wrong: a line problem, or `truncated` / `head_unreadable` / `empty`. */
  readonly problem: LineProblem | 'truncated' | 'head_mismatch' | 'no_head' | 'empty';
  /** Said for people. */
  readonly message: string;
}

/** The verdict. */
export interface AuditVerification {
  /** No finding other than notes. */
  readonly ok: boolean;
  /** Records checked. */
  readonly records: number;
  /** Sequence numbers covered. */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Problems (break the chain) and notes (`no_head`). */
  readonly findings: readonly AuditFinding[];
}

const MESSAGES: Record<LineProblem, string> = {
  not_json: 'not a complete JSON record (torn or edited line)',
  no_hash: 'record without its hash',
  hash_mismatch: 'the record does not match its hash: it was edited',
  seq_gap: 'sequence number does not follow the record before: records were deleted or reordered',
  prev_mismatch: 'does not chain to the record before: records were deleted, replaced or reordered',
};

/**
 * Verifies files given oldest first (`audit.log.2 audit.log.1 audit.log`). The first record of
 * the first file is taken as the start when earlier files were rotated away.
 *
 * @example
 * ```ts
 * const v = await verifyAuditFiles(['audit.log'], process.env.AUDIT_KEY);
 * if (!v.ok) for (const f of v.findings) console.log(`${f.file}:${f.line}: ${f.message}`);
 * ```
 */
export async function verifyAuditFiles(files: readonly string[], key?: string): Promise<AuditVerification> {
  const hash = recordHasher(key);
  const findings: AuditFinding[] = [];
  let head: ChainHead | undefined;
  let first = 0;
  let records = 0;
  for (const file of files) {
    let n = 0;
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      n++;
      if (line === '') continue;
      // Without the previous file, the first record's own seq and prev are the starting point.
      const before = head ?? startOf(line);
      const result = verifyLine(line, before, hash);
      if ('problem' in result) {
        findings.push({ file, line: n, problem: result.problem, message: MESSAGES[result.problem] });
        const resync = startOf(line);
        head = { seq: resync.seq + 1, hash: hashOf(line) };
        continue;
      }
      if (records === 0) first = result.head.seq;
      records++;
      head = result.head;
    }
  }
  const last = files[files.length - 1];
  if (records === 0 && findings.length === 0) findings.push({ file: last ?? '', line: 0, problem: 'empty', message: 'no records' });
  if (last !== undefined && head !== undefined) {
    const expected = await readFile(`${last}.head`, 'utf8').then(parseHead, () => undefined);
    if (expected === undefined) {
      findings.push({ file: last, line: 0, problem: 'no_head', message: `no readable ${last}.head: records cut off the end cannot be detected` });
    } else if (expected.seq > head.seq) {
      findings.push({ file: last, line: 0, problem: 'truncated', message: `the head names record ${expected.seq} but the file ends at ${head.seq}: records were cut off the end` });
    } else if (expected.seq !== head.seq || expected.hash !== head.hash) {
      findings.push({ file: last, line: 0, problem: 'head_mismatch', message: `the last record (${head.seq}) is not the one the head names (${expected.seq})` });
    }
  }
  return { ok: findings.every((f) => f.problem === 'no_head'), records, firstSeq: first, lastSeq: head?.seq ?? 0, findings };
}

function startOf(line: string): ChainHead {
  try {
    const v = JSON.parse(line) as { seq?: unknown; prev?: unknown };
    if (typeof v.seq === 'number' && typeof v.prev === 'string') return { seq: v.seq - 1, hash: v.prev };
  } catch {
    // unparseable: no starting point
  }
  return { seq: -1, hash: '' };
}

function hashOf(line: string): string {
  try {
    const v = JSON.parse(line) as { hash?: unknown };
    return typeof v.hash === 'string' ? v.hash : '';
  } catch {
    return '';
  }
}
