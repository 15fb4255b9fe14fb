/**
 * `portcullis audit-log verify [--key-env NAME] FILE...`: checks the hash chain of audit-trail
 * files (oldest first) and that nothing was cut off the end. Exit status: 0 intact, 1 tampered
 * or truncated (each finding printed as FILE:LINE: reason), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { verifyAuditFiles } from '../observe/audit-verify.js';
import type { CliIo } from './io.js';

const USAGE = `usage: portcullis audit-log verify [--key-env NAME] FILE...

Verifies the hash chain of audit-trail files, oldest first (audit.log.2 audit.log.1 audit.log):
edited, deleted, reordered and cut-off records are reported.

  --key-env NAME   the environment variable holding the trail's HMAC key (audit.keyEnv)
`;

/**
 * Runs the command; returns the exit status.
 *
 * @example
 * ```ts
 * await runAuditLog(['verify', 'audit.log'], io) // 0 when intact
 * ```
 */
export async function runAuditLog(args: string[], io: CliIo): Promise<number> {
  let values: { 'key-env'?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: { 'key-env': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }));
  } catch (error) {
    io.stderr(`portcullis audit-log: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout(USAGE);
    return 0;
  }
  const [sub, ...files] = positionals;
  if (sub !== 'verify' || files.length === 0) {
    io.stderr(`portcullis audit-log: expected 'verify FILE...'\n\n${USAGE}`);
    return 2;
  }
  const keyEnv = values['key-env'];
  const key = keyEnv === undefined ? undefined : process.env[keyEnv];
  if (keyEnv !== undefined && (key === undefined || key === '')) {
    io.stderr(`portcullis audit-log: environment variable ${keyEnv} is not set\n`);
    return 2;
  }
  let result;
  try {
    result = await verifyAuditFiles(files, key);
  } catch (error) {
    io.stderr(`portcullis audit-log: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot read the files'}\n`);
    return 2;
  }
  for (const f of result.findings) io.stderr(`${f.file}${f.line > 0 ? `:${f.line}` : ''}: ${f.problem === 'no_head' ? 'note' : 'error'}: ${f.message}\n`);
  if (result.ok) io.stdout(`OK: ${result.records} records, ${result.firstSeq}..${result.lastSeq}, chain intact\n`);
  else io.stdout(`TAMPERED: ${result.findings.filter((f) => f.problem !== 'no_head').length} problem(s) in ${result.records} records\n`);
  return result.ok ? 0 : 1;
}
