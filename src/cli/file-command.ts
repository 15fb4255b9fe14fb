/**
 * What `inventory` and `audit` share: `[--json] FILE` arguments, and the configuration loaded and
 * compiled exactly as `start` would (without listening or fetching), its mistakes printed as
 * `check` prints them.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { compileGateway, type CompiledGateway } from '../config/compile.js';
import { loadConfigFile } from '../config/load.js';
import { createRegistry } from '../config/registry.js';
import { ConfigError } from '../core/config-error.js';
import { builtinPolicies } from '../policies/index.js';
import { formatIssues } from './check.js';
import type { CliIo } from './io.js';

/**
 * Parses `[--json] [--help] FILE`; prints usage or the mistake and returns the exit status when
 * there is nothing to run.
 *
 * @example
 * ```ts
 * const args = parseFileCommand('inventory', argv, USAGE, io);
 * if (typeof args === 'number') return args;
 * ```
 */
export function parseFileCommand(command: string, args: string[], usage: string, io: CliIo): { file: string; json: boolean } | number {
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }));
  } catch (error) {
    io.stderr(`portcullis ${command}: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout(usage);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr(`portcullis ${command}: one configuration FILE is required\n\n${usage}`);
    return 2;
  }
  return { file: positionals[0]!, json: values.json === true };
}

/**
 * Loads and compiles a configuration file (no network: policies are not made ready). Returns
 * the compiled routes, or prints the mistakes and returns exit status 1.
 *
 * @example
 * ```ts
 * const compiled = await compileFile(file, io);
 * if (typeof compiled === 'number') return compiled;
 * ```
 */
export async function compileFile(file: string, io: CliIo): Promise<CompiledGateway | number> {
  const registry = createRegistry(builtinPolicies);
  try {
    const loaded = await loadConfigFile(file, registry);
    const compiled = compileGateway(loaded, registry, pino({ level: 'silent' }));
    await compiled.close();
    return compiled;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(formatIssues(file, error.issues));
    return 1;
  }
}
