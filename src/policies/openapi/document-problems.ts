/**
 * Where a mistake in an OpenAPI document sits (a file and a JSON pointer into it), and the bounded
 * list of mistakes found while loading one, turned into one ConfigError at the end.
 */
import { relative } from 'node:path';
import { ConfigError, type ConfigIssue, type ConfigPath } from '../../core/config-error.js';

/** A place in one of the document's files. */
export interface Where {
  /** Absolute (real) path of the file. */
  readonly file: string;
  /** JSON pointer into it, escaped (`''` for the whole file, `/paths/~1tasks/post`). */
  readonly pointer: string;
}

/** Most problems reported from one document; the rest are counted. */
export const MAX_PROBLEMS = 50;

/** Distinct messages remembered for de-duplication. */
const MAX_SEEN = 10_000;

/** Longest JSON pointer shown in a message. */
const MAX_POINTER_SHOWN = 300;

/** Longest piece of document text quoted in a message. */
const MAX_SHOWN = 80;

/**
 * The place one key or index below `where`.
 *
 * @example
 * ```ts
 * child({ file, pointer: '/paths' }, '/tasks') // { file, pointer: '/paths/~1tasks' }
 * ```
 */
export function child(where: Where, key: string | number): Where {
  return { file: where.file, pointer: `${where.pointer}/${escapeSegment(String(key))}` };
}

/**
 * Escapes one JSON pointer segment (RFC 6901: `~` → `~0`, `/` → `~1`).
 *
 * @example
 * ```ts
 * escapeSegment('/tasks/{id}') // '~1tasks~1{id}'
 * ```
 */
export function escapeSegment(segment: string): string {
  return segment.includes('~') || segment.includes('/') ? segment.replace(/~/g, '~0').replace(/\//g, '~1') : segment;
}

/**
 * Quotes a piece of document text for a message: JSON-escaped (no control characters reach a
 * terminal) and cut to a readable length.
 *
 * @example
 * ```ts
 * show('/files/{name}.json') // '"/files/{name}.json"'
 * ```
 */
export function show(text: string): string {
  return JSON.stringify(text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text);
}

/**
 * The mistakes found in one document, each naming its file (relative to the first document's
 * directory) and pointer. Identical messages are kept once (a shared component used by many
 * operations is reported once), and at most {@link MAX_PROBLEMS} are kept.
 *
 * @example
 * ```ts
 * const problems = new Problems('/srv/api');
 * problems.add({ file: '/srv/api/openapi.yaml', pointer: '/paths' }, 'must be a mapping');
 * throw problems.toError(['openapi', 'document']);
 * ```
 */
export class Problems {
  private readonly messages: string[] = [];
  private readonly seen = new Set<string>();
  private dropped = 0;

  private readonly rootDir: string;

  /** @param rootDir the first document's directory; file names in messages are relative to it */
  constructor(rootDir: string) {
    this.rootDir = rootDir;
  }

  /** How many distinct problems were found (kept or not). */
  get count(): number {
    return this.messages.length + this.dropped;
  }

  /** The file's name as an operator reads it: relative to the first document's directory. */
  name(file: string): string {
    const rel = relative(this.rootDir, file);
    return rel === '' ? file : rel;
  }

  /** `openapi.yaml#/paths/~1tasks`, or the bare file name for the whole file. */
  describe(where: Where): string {
    const pointer = where.pointer.length > MAX_POINTER_SHOWN ? `${where.pointer.slice(0, MAX_POINTER_SHOWN)}…` : where.pointer;
    return pointer === '' ? this.name(where.file) : `${this.name(where.file)}#${pointer}`;
  }

  /** Records a mistake at a place. */
  add(where: Where, message: string): void {
    this.addRaw(`${this.describe(where)}: ${message}`);
  }

  /** Records a mistake with its own prefix (a file that cannot be read, YAML syntax). */
  addRaw(message: string): void {
    if (this.seen.has(message)) return;
    // Past the bound, repeats are merely counted twice in "and N more".
    if (this.seen.size < MAX_SEEN) this.seen.add(message);
    if (this.messages.length < MAX_PROBLEMS) this.messages.push(message);
    else this.dropped++;
  }

  /** One ConfigError carrying every kept problem at the config path `at`, or undefined if none. */
  toError(at: ConfigPath): ConfigError | undefined {
    if (this.count === 0) return undefined;
    const issues: ConfigIssue[] = this.messages.map((message) => ({ path: at, message, severity: 'error' }));
    if (this.dropped > 0) issues.push({ path: at, message: `and ${this.dropped} more problems in the OpenAPI document`, severity: 'error' });
    return new ConfigError(issues);
  }
}
