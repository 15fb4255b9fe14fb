/**
 * `portcullis <command>`: the command-line entry. Each command is its own module exporting
 * `run(args, io)` that returns an exit code; this file only dispatches.
 */
import { runAudit } from './audit.js';
import { runAuditLog } from './audit-log.js';
import { runCheck } from './check.js';
import { runInventory } from './inventory.js';
import { runKeys } from './keys.js';
import { runStart } from './start.js';
import type { CliIo } from './io.js';

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  start: runStart,
  check: runCheck,
  keys: runKeys,
  inventory: runInventory,
  audit: runAudit,
  'audit-log': runAuditLog,
};

const USAGE = `usage: portcullis <command> [options]

commands:
  start --config FILE [--watch]  run the gateway (SIGHUP reloads; --watch also on file changes)
  check FILE [--json]            validate a configuration: each mistake with its path, line and reason
  audit FILE [--json]            security checklist and OWASP API Top 10 coverage per route (exit 1 on failures)
  inventory FILE [--json]        every exposed route: authentication, authorization, limits, validation
  audit-log verify FILE...       verify the hash chain of audit-trail files (edits, deletions, truncation)
  keys create --id NAME          create an API key: prints it once, and its config entry (hash only)
  keys hash - --id NAME          print the config entry of an existing key read from standard input
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
