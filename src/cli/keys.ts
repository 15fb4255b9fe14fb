/**
 * `portcullis keys`: creates API keys and the config entries that store them.
 *
 * - `keys create --id NAME …` generates a key from the CSPRNG, prints it once, and prints the
 *   entry (prefix and SHA-256 hash, never the key) for `policies.api-key.keys` or a keysFile.
 * - `keys hash - --id NAME …` prints the entry for a key that already exists, reading the key
 *   from standard input so it stays out of shell history (`keys hash KEY` works, with a note).
 *
 * Exit status: 0 done, 2 usage error or invalid input.
 */
import { parseArgs } from 'node:util';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { stringify } from 'yaml';
import { ApiKeyEntrySchema, generateApiKey, hashApiKey, keyPrefix } from '../policies/api-key/index.js';
import type { CliIo } from './io.js';

const USAGE = `usage: portcullis keys create --id NAME [options]
       portcullis keys hash (- | KEY) --id NAME [options]

create   generate a new API key: prints the key once, then the config entry with its hash
hash     print the config entry of an existing key; '-' reads the key from standard input
         (keeps it out of shell history)

options:
  --id NAME         the client the key belongs to (becomes the principal id)
  --roles a,b       roles of the principal
  --scopes x,y      scopes of the key
  --route R         limit the key to a route: its path template, optionally after
                    methods ('GET,HEAD /tasks/{taskId}'); repeatable
  --expires DATE    expiry, RFC 3339 with a time zone (2027-01-01T00:00:00Z)
  --json            print one JSON object instead of text
`;

/** Longest input read from standard input for `keys hash -`. */
const MAX_STDIN_BYTES = 4096;

/** The entry printed for the config (the fields a new key needs; defaults left out). */
export interface KeyEntryOutput {
  /** Client id. */
  readonly id: string;
  /** Key prefix. */
  readonly prefix: string;
  /** `sha256:<hex>`. */
  readonly hash: string;
  /** Roles. */
  readonly roles: readonly string[];
  /** Scopes. */
  readonly scopes: readonly string[];
  /** Allowed routes, when limited. */
  readonly routes?: readonly string[];
  /** Expiry, when given. */
  readonly expiresAt?: string;
}

interface KeyOptions {
  readonly id: string;
  readonly roles: string[];
  readonly scopes: string[];
  readonly routes: string[] | undefined;
  readonly expiresAt: string | undefined;
  readonly json: boolean;
}

/**
 * Runs `portcullis keys …`. `readStdin` supplies standard input for `keys hash -` (tests inject it).
 *
 * @example
 * ```ts
 * const code = await runKeys(['create', '--id', 'reporting-cli', '--roles', 'reporter'], io);
 * // stdout: the key, shown once, then "- id: reporting-cli\n  prefix: …\n  hash: sha256:…"
 * ```
 */
export async function runKeys(args: string[], io: CliIo, readStdin: () => Promise<string> = readProcessStdin): Promise<number> {
  let values: { id?: string; roles?: string; scopes?: string; route?: string[]; expires?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        id: { type: 'string' },
        roles: { type: 'string' },
        scopes: { type: 'string' },
        route: { type: 'string', multiple: true },
        expires: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return usage(io, error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (command !== 'create' && command !== 'hash') return usage(io, command === undefined ? 'a subcommand is required (create or hash)' : `unknown subcommand '${command}'`);
  if (values.id === undefined) return usage(io, '--id NAME is required');
  const options: KeyOptions = {
    id: values.id,
    roles: list(values.roles),
    scopes: list(values.scopes),
    routes: values.route,
    expiresAt: values.expires,
    json: values.json ?? false,
  };

  if (command === 'create') {
    if (rest.length > 0) return usage(io, `create takes no arguments (got '${rest[0]}')`);
    const { key, prefix, hash } = generateApiKey();
    const entry = entryOf(options, prefix, hash);
    const invalid = check(entry);
    if (invalid !== undefined) return fail(io, invalid);
    if (options.json) {
      io.stdout(`${JSON.stringify({ key, entry })}\n`);
      return 0;
    }
    io.stdout(
      `API key for ${entry.id}. It is shown only this once: the gateway keeps only its hash.\n`
      + 'Hand it to the client through a secret manager; never put it in the config file.\n\n'
      + `    ${key}\n\n`
      + 'Config entry, for policies.api-key.keys or the keysFile:\n\n'
      + stringify([entry]),
    );
    return 0;
  }

  if (rest.length !== 1) return usage(io, rest.length === 0 ? 'hash needs the key, or - to read it from standard input' : 'hash takes one key');
  let key = rest[0]!;
  if (key === '-') {
    if (readStdin === readProcessStdin && process.stdin.isTTY) io.stderr('Paste the key, then press Enter and Ctrl-D:\n');
    key = (await readStdin()).trim();
  } else {
    io.stderr('portcullis keys: note: a key given as an argument is in your shell history and the process list; `keys hash - …` reads it from standard input\n');
  }
  // Never echo the input: it may be a real key with a typo.
  const prefix = keyPrefix(key);
  if (prefix === undefined) return fail(io, 'that is not an API key of the form pk_<prefix>_<secret> (the key is not shown)');
  const entry = entryOf(options, prefix, hashApiKey(key));
  const invalid = check(entry);
  if (invalid !== undefined) return fail(io, invalid);
  io.stdout(options.json ? `${JSON.stringify({ entry })}\n` : stringify([entry]));
  return 0;
}

function entryOf(options: KeyOptions, prefix: string, hash: string): KeyEntryOutput {
  return {
    id: options.id,
    prefix,
    hash,
    roles: options.roles,
    scopes: options.scopes,
    ...(options.routes === undefined ? {} : { routes: options.routes }),
    ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
  };
}

const OPTION_OF: Record<string, string> = { id: '--id', roles: '--roles', scopes: '--scopes', routes: '--route', expiresAt: '--expires' };

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats = (addFormatsModule as unknown as { default: AddFormats }).default;
let validateEntry: ValidateFunction | undefined;

/** Checks the entry with the config's own schema, so what is printed is what `check` accepts. */
function check(entry: KeyEntryOutput, now = Date.now()): string | undefined {
  if (validateEntry === undefined) {
    const ajv = new Ajv({ allErrors: false, useDefaults: true, strict: false });
    addFormats(ajv);
    validateEntry = ajv.compile(ApiKeyEntrySchema);
  }
  if (!validateEntry(structuredClone(entry))) {
    const error = validateEntry.errors?.[0];
    const field = error?.instancePath.split('/')[1] ?? '';
    return `${OPTION_OF[field] ?? 'entry'}: ${error?.message ?? 'is invalid'}`;
  }
  if (entry.expiresAt !== undefined) {
    const at = Date.parse(entry.expiresAt);
    if (Number.isNaN(at)) return `--expires: '${entry.expiresAt}' is not a date-time`;
    if (at <= now) return `--expires: ${entry.expiresAt} is in the past`;
  }
  return undefined;
}

function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function usage(io: CliIo, message: string): number {
  io.stderr(`portcullis keys: ${message}\n\n${USAGE}`);
  return 2;
}

function fail(io: CliIo, message: string): number {
  io.stderr(`portcullis keys: ${message}\n`);
  return 2;
}

async function readProcessStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.length > MAX_STDIN_BYTES) throw new Error(`standard input is longer than ${MAX_STDIN_BYTES} bytes; expected one key`);
  }
  return text;
}
