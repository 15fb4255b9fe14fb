/**
 * `portcullis check FILE` (placeholder until the full implementation lands).
 */
import type { ConfigIssue } from '../core/config-error.js';
import { formatPath } from '../core/config-error.js';
import type { CliIo } from './io.js';

/**
 * Formats issues one per line: `FILE:LINE:COL  PATH  REASON`.
 *
 * @example
 * ```ts
 * formatIssues('gw.yaml', error.issues)
 * ```
 */
export function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${file}:${i.line ?? 0}:${i.column ?? 0}: ${i.severity}: ${formatPath(i.path)}: ${i.message}\n`).join('');
}

/**
 * Validates a config file.
 *
 * @example
 * ```ts
 * const code = await runCheck(['portcullis.yaml'], io);
 * ```
 */
export function runCheck(_args: string[], io: CliIo): Promise<number> {
  io.stderr('not implemented yet\n');
  return Promise.resolve(2);
}
