/**
 * Reading an allowFile or denyFile: one address or CIDR per line, `#` starts a comment, blank
 * lines are skipped. Read at compile time, so a config reload reads the file again. Mistakes
 * name the file and the line.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** Largest list file read (100 000 IPv6 CIDRs with comments fit several times over). */
export const MAX_LIST_FILE_BYTES = 16 * 1024 * 1024;

/** Most mistakes reported from one file. */
const MAX_REPORTED = 20;

/** The shape the config schema's ipOrCidr accepts; the address itself is checked by compileIpList. */
const ENTRY = /^[0-9A-Fa-f:.]{2,60}(?:\/\d{1,3})?$/;

/** What reading a list file gave. */
export type ListFileResult =
  | {
    readonly ok: true;
    /** The resolved file name, for messages. */
    readonly file: string;
    /** The entries, in file order. */
    readonly entries: readonly string[];
    /** The 1-based line of each entry. */
    readonly lines: readonly number[];
    readonly warnings: readonly string[];
  }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * Reads a list file (relative names against `baseDir`). Never throws: an unreadable file, one
 * with too many entries or a line that is not an address or CIDR gives `{ ok: false, errors }`,
 * each error naming the file and, where there is one, the line.
 *
 * @example
 * ```ts
 * const result = readListFile('blocked.txt', env.baseDir, 100_000);
 * if (result.ok) result.entries // ['203.0.113.0/24', …]
 * ```
 */
export function readListFile(name: string, baseDir: string, maxEntries: number): ListFileResult {
  const file = resolve(baseDir, name);
  let text: string;
  const warnings: string[] = [];
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return { ok: false, errors: [`${file}: not a regular file`] };
    if (stat.size > MAX_LIST_FILE_BYTES) return { ok: false, errors: [`${file}: larger than ${MAX_LIST_FILE_BYTES} bytes`] };
    // Whoever can write this file decides who may connect.
    if (process.platform !== 'win32' && (stat.mode & 0o002) !== 0) warnings.push(`${file} is writable by every user of this machine; anyone who can write it decides which clients are let through`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, errors: [`${file}: ${code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'error'})`}`] };
  }

  const entries: string[] = [];
  const lines: number[] = [];
  const errors: string[] = [];
  let bad = 0;
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const hash = row.indexOf('#');
    // trim() also removes a byte-order mark and the \r of CRLF files.
    const entry = (hash === -1 ? row : row.slice(0, hash)).trim();
    if (entry === '') continue;
    if (!ENTRY.test(entry)) {
      if (++bad <= MAX_REPORTED) errors.push(`${file}:${i + 1}: ${quote(entry)} is not an IP address or CIDR`);
      continue;
    }
    if (entries.length === maxEntries) return { ok: false, errors: [`${file}: more than ${maxEntries} entries`] };
    entries.push(entry);
    lines.push(i + 1);
  }
  if (bad > MAX_REPORTED) errors.push(`${file}: and ${bad - MAX_REPORTED} more lines that are not an IP address or CIDR`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, file, entries, lines, warnings };
}

/** An entry for a message, cut short so a garbage line cannot flood the log. */
export function quote(entry: string): string {
  return `'${entry.length > 64 ? `${entry.slice(0, 64)}…` : entry}'`;
}
