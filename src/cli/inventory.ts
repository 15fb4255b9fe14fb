/**
 * `portcullis inventory [--json] FILE`: the exposed surface of a configuration — each route
 * (hand-written or from the OpenAPI document), its authentication, authorization, limits and
 * validation, and which routes are public. Everything else answers 404. Exit status: 0 printed,
 * 1 the configuration is invalid (its mistakes printed as `check` prints them), 2 usage error.
 */
import { describeSurface, formatSurface } from '../config/surface.js';
import { compileFile, parseFileCommand } from './file-command.js';
import type { CliIo } from './io.js';

const USAGE = `usage: portcullis inventory [--json] FILE

Prints every route the configuration exposes (hand-written and from its OpenAPI document), with
its authentication, authorization, limits and validation; public routes say PUBLIC.

  --json   one JSON object: { file, routes: [...] }
`;

/**
 * Runs the command. Returns the exit status.
 *
 * @example
 * ```ts
 * await runInventory(['portcullis.yaml'], { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
 * ```
 */
export async function runInventory(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFileCommand('inventory', args, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const compiled = await compileFile(parsed.file, io);
  if (typeof compiled === 'number') return compiled;
  const surface = describeSurface(compiled.routes);
  io.stdout(parsed.json ? `${JSON.stringify({ file: parsed.file, routes: surface })}\n` : formatSurface(surface));
  return 0;
}
