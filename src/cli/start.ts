/**
 * `portcullis start --config FILE [--watch]`: load, compile and serve; SIGHUP (and with --watch
 * a change of the file) reloads; SIGTERM/SIGINT drain in-flight requests and stop. Bad configuration is printed like `check` prints it, exit 1.
 */
import { parseArgs } from 'node:util';
import { createRegistry } from '../config/registry.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../core/config-error.js';
import { createLogger } from '../observe/logger.js';
import { builtinPolicies } from '../policies/index.js';
import { startGateway } from '../server/gateway.js';
import { watchFiles } from '../server/watch.js';
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
  let watchConfig = false;
  try {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, watch: { type: 'boolean' } }, strict: true });
    file = values.config;
    watchConfig = values.watch ?? false;
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
    // SIGHUP reloads (the new configuration is validated and compiled first; a bad one is
    // logged and the running one stays). --watch reloads when the file or its document changes.
    const onHangup = () => void gateway.reload('SIGHUP');
    process.on('SIGHUP', onHangup);
    const watched = [loaded.file!, ...(loaded.document === undefined ? [] : [loaded.document.file])];
    const stopWatching = watchConfig ? watchFiles(watched, () => void gateway.reload('file changed')) : () => undefined;
    const stop = (signal: string) => {
      logger.info({ event: 'signal', signal }, 'stopping');
      process.off('SIGHUP', onHangup);
      stopWatching();
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
