/**
 * `portcullis start --config FILE`: load, compile and serve; SIGTERM/SIGINT drain in-flight
 * requests and stop. Bad configuration is printed like `check` prints it, exit 1.
 */
import { parseArgs } from 'node:util';
import { createRegistry } from '../config/registry.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../core/config-error.js';
import { createLogger } from '../observe/logger.js';
import { builtinPolicies } from '../policies/index.js';
import { startGateway } from '../server/gateway.js';
import { formatIssues } from './check.js';
import type { CliIo } from './io.js';

/**
 * Runs the gateway until a signal stops it.
 *
 * @example
 * ```ts
 * await runStart(['--config', 'portcullis.yaml'], io);
 * ```
 */
export async function runStart(args: string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  try {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true });
    file = values.config;
  } catch (error) {
    io.stderr(`portcullis start: ${(error as Error).message}\n`);
    return 2;
  }
  if (file === undefined) {
    io.stderr('portcullis start: --config FILE is required\n');
    return 2;
  }
  const registry = createRegistry(builtinPolicies);
  try {
    const loaded = await loadConfigFile(file, registry);
    const logger = createLogger(loaded.config.log);
    for (const w of loaded.warnings) logger.warn({ event: 'config_warning', path: w.path, line: w.line }, w.message);
    const gateway = await startGateway({ loaded, registry, logger });
    const stop = (signal: string) => {
      logger.info({ event: 'signal', signal }, 'stopping');
      gateway.close().then(() => logger.flush(), () => logger.flush());
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(formatIssues(file, error.issues));
      return 1;
    }
    throw error;
  }
}
