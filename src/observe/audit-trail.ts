/**
 * The audit trail file: security decisions as hash-chained JSON lines (see audit-chain.ts),
 * appended off the request path. Records are queued (bounded) and written in batches; a failed
 * write (a full disk) never blocks or fails a request: the gateway keeps serving, logs an error
 * every few seconds while it lasts, keeps what the queue holds, counts what it had to drop, and
 * writes a gap record when writing works again. Files rotate by size; the chain continues across
 * them, and `<file>.head` always names the last record written.
 */
import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { chainRecord, GENESIS, headText, parseHead, recordHasher, type ChainHead } from './audit-chain.js';

/** Settings of the trail. */
export interface AuditTrailOptions {
  /** The file (absolute). Its directory must exist. */
  readonly file: string;
  /** Rotate when the file would grow past this many bytes. */
  readonly maxFileBytes: number;
  /** Rotated files kept (`file.1` … `file.N`); older ones are deleted. */
  readonly keepFiles: number;
  /** Most records waiting to be written; beyond it new records are dropped (and counted). */
  readonly maxQueue: number;
  /** HMAC key for the chain; plain SHA-256 without. */
  readonly key?: string;
  /** Where write failures are reported. */
  readonly logger: Logger;
  /** The clock (tests). */
  readonly now?: () => number;
  /** Pause before retrying a failed write, ms (default 1000). */
  readonly retryMs?: number;
  /** Opens the file for appending (tests inject failures). */
  readonly openFile?: (file: string) => Promise<AppendTarget>;
}

/** What the trail writes to: the subset of FileHandle it uses. */
export interface AppendTarget {
  write(data: Buffer): Promise<unknown>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** A running trail. */
export interface AuditTrail {
  /** Queues a record (never throws, never waits). Never pass secrets. */
  readonly record: (record: Readonly<Record<string, unknown>>) => void;
  /** Resolves when everything queued so far is written (or failed). */
  flush(): Promise<void>;
  /** Writes what is queued and closes the file. */
  close(): Promise<void>;
  /** Health for /readyz and metrics. */
  status(): { readonly failing: boolean; readonly dropped: number; readonly queued: number; readonly seq: number };
}

const RETRY_MS = 1000;
const REPORT_EVERY_MS = 10_000;

/**
 * Opens (or continues) the trail in `file`.
 *
 * @example
 * ```ts
 * const trail = await openAuditTrail({ file: '/var/log/portcullis/audit.log', maxFileBytes: 100e6, keepFiles: 10, maxQueue: 10_000, logger });
 * trail.record({ type: 'authorization', outcome: 'failure', rule: 'rbac: requires delete' });
 * ```
 */
export async function openAuditTrail(options: AuditTrailOptions): Promise<AuditTrail> {
  const { file, logger } = options;
  const now = options.now ?? Date.now;
  const hash = recordHasher(options.key);
  const openFile = options.openFile ?? ((f: string): Promise<AppendTarget> => open(f, 'a'));
  let head = await readHead(file);
  let target = await openFile(file);
  let size = await stat(file).then((s) => s.size, () => 0);
  let queue: Array<{ record: Readonly<Record<string, unknown>>; time: string }> = [];
  let dropped = 0;
  let unreported = 0;
  let failing = false;
  let lastReport = 0;
  let writing: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = () => {
    if (writing !== undefined || retry !== undefined || queue.length === 0) return;
    writing = new Promise<void>((done) => setImmediate(() => void writeBatch().finally(() => {
      writing = undefined;
      done();
      if (!failing) schedule();
    })));
  };

  const writeBatch = async () => {
    const batch = queue;
    queue = [];
    let next = head;
    const lines: string[] = [];
    if (unreported > 0) {
      const gap = chainRecord({ type: 'audit.gap', outcome: 'failure', reason: `${unreported} records could not be written` }, next, new Date(now()).toISOString(), hash);
      lines.push(gap.line);
      next = gap.head;
    }
    for (const { record, time } of batch) {
      const chained = chainRecord(record, next, time, hash);
      lines.push(chained.line);
      next = chained.head;
    }
    const data = Buffer.from(`${lines.join('\n')}\n`);
    try {
      if (size > 0 && size + data.length > options.maxFileBytes) await rotate();
      await target.write(data);
      size += data.length;
      await writeFile(`${file}.head.tmp`, headText(next));
      await rename(`${file}.head.tmp`, `${file}.head`);
      head = next;
      unreported = 0;
      if (failing) logger.warn({ event: 'audit_write_recovered', file }, 'the audit trail is being written again');
      failing = false;
    } catch (error) {
      // Undo a partial line so the chain resumes cleanly; keep the batch for the next try.
      await target.truncate(size).catch(() => undefined);
      const room = Math.max(0, options.maxQueue - queue.length);
      const kept = batch.slice(0, room);
      dropped += batch.length - kept.length;
      unreported += batch.length - kept.length;
      queue = [...kept, ...queue];
      failing = true;
      if (now() - lastReport >= REPORT_EVERY_MS) {
        lastReport = now();
        logger.error({ event: 'audit_write_failed', file, code: (error as NodeJS.ErrnoException).code, queued: queue.length, dropped }, 'AUDIT TRAIL CANNOT BE WRITTEN: security records are queued and will be dropped when the queue is full; requests are still served');
      }
      if (!closed) {
        retry = setTimeout(() => {
          retry = undefined;
          schedule();
        }, options.retryMs ?? RETRY_MS);
        retry.unref();
      }
    }
  };

  const rotate = async () => {
    await target.close();
    await rm(`${file}.${options.keepFiles}`, { force: true });
    for (let i = options.keepFiles - 1; i >= 1; i--) await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => undefined);
    if (options.keepFiles >= 1) await rename(file, `${file}.1`);
    else await rm(file, { force: true });
    target = await openFile(file);
    size = 0;
  };

  const trail: AuditTrail = {
    record(record) {
      if (closed) return;
      if (queue.length >= options.maxQueue) {
        dropped++;
        unreported++;
        return;
      }
      queue.push({ record, time: new Date(now()).toISOString() });
      schedule();
    },
    async flush() {
      const pending = (): Promise<void> | undefined => writing;
      for (let w = pending(); w !== undefined; w = pending()) await w;
      if (queue.length > 0 && retry === undefined) {
        schedule();
        for (let w = pending(); w !== undefined; w = pending()) await w;
      }
    },
    async close() {
      await trail.flush();
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      await target.close();
    },
    status: () => ({ failing, dropped, queued: queue.length, seq: head.seq }),
  };
  return trail;
}

// The chain continues from the head file (it survives rotation); without one, from the last
// complete line of the file; without either, from the beginning.
async function readHead(file: string): Promise<ChainHead> {
  const fromHead = await readFile(`${file}.head`, 'utf8').then(parseHead, () => undefined);
  if (fromHead !== undefined) return fromHead;
  const text = await readTail(file, 1_048_576);
  const lines = text.split('\n').filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v = JSON.parse(lines[i]!) as { seq?: unknown; hash?: unknown };
      if (typeof v.seq === 'number' && typeof v.hash === 'string') return { seq: v.seq, hash: v.hash };
    } catch {
      // a torn last line: look further up
    }
  }
  return { seq: 0, hash: GENESIS };
}

async function readTail(file: string, bytes: number): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}
