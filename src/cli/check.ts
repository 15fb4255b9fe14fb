/**
 * `portcullis check [--json] FILE`: loads and compiles a configuration exactly as `start` would,
 * without listening, and reports every mistake with its file, line, YAML path and reason.
 * Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { compileGateway } from '../config/compile.js';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';
import { createRegistry } from '../config/registry.js';
import { ConfigError, formatPath, type ConfigIssue } from '../core/config-error.js';
import { builtinPolicies } from '../policies/index.js';
import type { CliIo } from './io.js';

const USAGE = `usage: portcullis check [--json] FILE

Validates a configuration file: YAML, schema, references between sections and every policy's
settings. Prints each mistake as FILE:LINE:COLUMN: SEVERITY: PATH: REASON.

  --json   print the result as one JSON object on stdout
`;

/** One issue in `--json` output. */
export interface JsonIssue {
  /** `error` or `warning`. */
  readonly severity: ConfigIssue['severity'];
  /** The YAML path as printed (`routes[0].upstream`). */
  readonly path: string;
  /** The same path as segments (`['routes', 0, 'upstream']`). */
  readonly segments: ReadonlyArray<string | number>;
  /** 1-based line, or null when the mistake has no place in the file (file not found). */
  readonly line: number | null;
  /** 1-based column, or null. */
  readonly column: number | null;
  /** Why it is wrong. */
  readonly message: string;
}

/** The `--json` output of `check`. */
export interface JsonReport {
  /** The file as named on the command line. */
  readonly file: string;
  /** True when the file loads and compiles (warnings allowed). */
  readonly valid: boolean;
  /** Errors and warnings, in file order. */
  readonly issues: readonly JsonIssue[];
  /** Number of routes, when valid. */
  readonly routes?: number;
  /** Number of upstreams, when valid. */
  readonly upstreams?: number;
}

/**
 * Formats issues one per line, in file order: `FILE:LINE:COLUMN: SEVERITY: PATH: REASON` (the
 * form compilers print, so editors and CI annotate the line). An issue without a position (file
 * not found) prints as `FILE: SEVERITY: PATH: REASON`. Control characters from the file are
 * escaped, so a crafted config cannot drive the terminal.
 *
 * @example
 * ```ts
 * formatIssues('gw.yaml', [{ path: ['routes', 0, 'upstream'], message: 'is required', severity: 'error', line: 7, column: 5 }])
 * // 'gw.yaml:7:5: error: routes[0].upstream: is required\n'
 * ```
 */
export function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  return sortIssues(issues).map((i) => {
    const where = i.line === undefined ? file : `${file}:${i.line}:${i.column ?? 1}`;
    return `${where}: ${i.severity}: ${escapeControls(formatPath(i.path))}: ${escapeControls(i.message)}\n`;
  }).join('');
}

/**
 * Validates a config file: loads it and compiles every route's policies, as `start` does.
 * Returns the exit status: 0 valid, 1 invalid, 2 usage error.
 *
 * @example
 * ```ts
 * const code = await runCheck(['portcullis.yaml'], { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
 * // stdout: 'portcullis.yaml: OK (3 routes, 1 upstream)\n', code 0
 * ```
 */
export async function runCheck(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCheckArgs(args);
  if (parsed === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (typeof parsed === 'string') {
    io.stderr(`portcullis check: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  const { file, json } = parsed;
  let loaded: LoadedConfig;
  try {
    loaded = await loadAndCompile(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (json) io.stdout(`${JSON.stringify(jsonReport(file, false, error.issues))}\n`);
    else io.stderr(formatIssues(file, error.issues));
    return 1;
  }
  const routes = loaded.routes.length;
  const upstreams = Object.keys(loaded.config.upstreams).length;
  if (json) {
    io.stdout(`${JSON.stringify({ ...jsonReport(file, true, loaded.warnings), routes, upstreams })}\n`);
    return 0;
  }
  const counts = [plural(routes, 'route'), plural(upstreams, 'upstream')];
  if (loaded.warnings.length > 0) counts.push(plural(loaded.warnings.length, 'warning'));
  io.stdout(`${formatIssues(file, loaded.warnings)}${file}: OK (${counts.join(', ')})\n`);
  return 0;
}

async function loadAndCompile(file: string): Promise<LoadedConfig> {
  const registry = createRegistry(builtinPolicies);
  const loaded = await loadConfigFile(file, registry);
  // Policy compile() refusals (contradictory settings, unreadable files) are mistakes too, and
  // its warnings (risky settings such as HS256 secrets) are reported with the loader's.
  const compiled = compileGateway(loaded, registry, pino({ level: 'silent' }));
  await compiled.close();
  const warnings = [...loaded.warnings, ...compiled.warnings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { ...loaded, warnings };
}

function parseCheckArgs(args: string[]): { file: string; json: boolean } | string {
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (values.help) return 'help';
  if (positionals.length === 0) return 'a configuration FILE is required';
  if (positionals.length > 1) return `one FILE at a time (got ${positionals.length})`;
  return { file: positionals[0]!, json: values.json ?? false };
}

function jsonReport(file: string, valid: boolean, issues: readonly ConfigIssue[]): JsonReport {
  return {
    file,
    valid,
    issues: sortIssues(issues).map((i) => ({
      severity: i.severity,
      path: formatPath(i.path),
      segments: i.path,
      line: i.line ?? null,
      column: i.column ?? null,
      message: i.message,
    })),
  };
}

/** File order; issues without a position first (they concern the whole file). */
function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function escapeControls(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += code < 0x20 || (code >= 0x7f && code < 0xa0) ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}
