/**
 * `portcullis <command>`: the command-line entry. Each command is its own module exporting
 * `run(args, io)` that returns an exit code; this file only dispatches.
 */
import { runCheck } from './check.js';
import { runKeys } from './keys.js';
import { runStart } from './start.js';
import type { CliIo } from './io.js';

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  start: runStart,
  check: runCheck,
  keys: runKeys,
};

const USAGE = `usage: portcullis <command> [options]

commands:
  start --config FILE   run the gateway
  check FILE [--json]   validate a configuration file: each mistake with its path, line and reason
  keys create --id NAME create an API key: prints it once, and its config entry (hash only)
  keys hash - --id NAME print the config entry of an existing key read from standard input
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.stderr(`portcullis: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  return run(rest, io);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`portcullis: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
