/**
 * The files of one OpenAPI document: the first one named in the config and every file its `$ref`s
 * reach. Each is read at most once, must be a regular file no larger than
 * {@link MAX_DOCUMENT_BYTES}, must lie under the first document's directory (also after following
 * symlinks), and is parsed as strict YAML 1.2 (JSON is a subset): unique keys, no tags, bounded
 * aliases.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { parseDocument, visit, LineCounter, type Document } from 'yaml';
import { show, type Problems, type Where } from './document-problems.js';

/** Largest file read (Stripe's whole API is about 7 MB of YAML). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/** Most files one document may spread over. */
export const MAX_DOCUMENT_FILES = 200;

/** Anchors/aliases expanded at most this many times: a "billion laughs" file is refused. */
const MAX_ALIAS_COUNT = 100;

/**
 * Whether `file` is `dir` or below it (both absolute, normalised).
 *
 * @example
 * ```ts
 * isInside('/srv/api', '/srv/api/schemas/task.yaml') // true
 * isInside('/srv/api', '/etc/passwd')                // false
 * ```
 */
export function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/**
 * Reads and parses the document's files, once each, reporting every failure to `problems`.
 *
 * @example
 * ```ts
 * const files = new DocumentFiles('/srv/api', problems);
 * const data = files.get('/srv/api/openapi.yaml', undefined);
 * ```
 */
export class DocumentFiles {
  /** Parsed data by real path; `undefined` for a file that failed (reported once). */
  private readonly cache = new Map<string, { readonly data: unknown } | undefined>();
  private reads = 0;

  /** The real path of the first document's directory: no file outside it is read. */
  readonly rootDir: string;
  private readonly problems: Problems;

  constructor(rootDir: string, problems: Problems) {
    this.rootDir = rootDir;
    this.problems = problems;
  }

  /**
   * The parsed contents of `file` (absolute, lexically normalised), or undefined when it cannot
   * be used; `from` is the `$ref` that named it (undefined for the first document).
   */
  get(file: string, from: Where | undefined): { readonly data: unknown } | undefined {
    if (this.cache.has(file)) return this.cache.get(file);
    const fail = (message: string): undefined => {
      const name = this.problems.name(file);
      this.problems.addRaw(from === undefined ? `${name}: ${message}` : `${this.problems.describe(from)}: ${show(name)} ${message}`);
      this.cache.set(file, undefined);
      return undefined;
    };
    if (!isInside(this.rootDir, file)) return fail('is outside the directory of the OpenAPI document: $ref may only name files below it');
    let real: string;
    let text: string;
    try {
      real = realpathSync(file);
      // A symlink below the directory must not lead out of it.
      if (!isInside(this.rootDir, real)) return fail('is a symbolic link to a file outside the directory of the OpenAPI document');
      const stat = statSync(real);
      if (!stat.isFile()) return fail('is not a regular file');
      if (stat.size > MAX_DOCUMENT_BYTES) return fail(`is larger than ${MAX_DOCUMENT_BYTES} bytes`);
      const cached = this.cache.get(real);
      if (cached !== undefined || this.cache.has(real)) {
        this.cache.set(file, cached);
        return cached;
      }
      if (++this.reads > MAX_DOCUMENT_FILES) return fail(`not read: the document spans more than ${MAX_DOCUMENT_FILES} files`);
      text = readFileSync(real, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return fail(code === 'ENOENT' ? 'is not found' : `cannot be read (${code ?? 'error'})`);
    }
    if (text.length > MAX_DOCUMENT_BYTES) return fail(`is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    let parsed: { readonly data: unknown } | undefined;
    try {
      parsed = this.parse(file, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (error) {
      // The parsers recurse: absurd nesting ends in a RangeError rather than a syntax error.
      parsed = undefined;
      this.problems.addRaw(`${this.problems.name(file)}: cannot be parsed (${error instanceof RangeError ? 'nested too deeply' : 'parser error'})`);
    }
    this.cache.set(file, parsed);
    this.cache.set(real, parsed);
    return parsed;
  }

  private parse(file: string, text: string): { readonly data: unknown } | undefined {
    // JSON is YAML too, but the YAML parser takes ~0.5 s per MB: a document that is valid JSON is
    // read with JSON.parse, plus the duplicate-key check YAML would have made. Anything else
    // (including broken JSON) goes to the YAML parser, which also gives the line of a mistake.
    if (/^\s*\{/.test(text)) {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
      if (data !== undefined) {
        const duplicate = duplicateKeyAt(text);
        if (duplicate === -1) return { data };
        this.problems.addRaw(`${this.problems.name(file)}:${lineOf(text, duplicate)}: JSON: a key is repeated in one object (keys must be unique)`);
        return undefined;
      }
    }
    const lines = new LineCounter();
    // resolveKnownTags: false leaves !!binary, !!set, !!timestamp … unresolved (reported below),
    // so every value is plain JSON data.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2', resolveKnownTags: false });
    const issue = doc.errors[0] ?? doc.warnings[0];
    if (issue !== undefined) {
      const message = issue.message.split('\n')[0] ?? '';
      const tagged = message.startsWith('Unresolved tag') ? 'YAML tags are not allowed in an OpenAPI document' : `YAML: ${message}`;
      this.problems.addRaw(`${this.problems.name(file)}:${lines.linePos(issue.pos[0]).line}: ${tagged}`);
      return undefined;
    }
    const cycle = selfContainingAlias(doc);
    if (cycle !== undefined) {
      this.problems.addRaw(`${this.problems.name(file)}:${lines.linePos(cycle).line}: YAML: an alias inside the node it names makes endless data`);
      return undefined;
    }
    try {
      return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
    } catch (error) {
      this.problems.addRaw(`${this.problems.name(file)}: YAML: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
      return undefined;
    }
  }
}

/**
 * Where the first repeated key of an object is in valid JSON text, or -1. One pass: strings are
 * skipped, and a string right after `{` or `,` inside an object is a key.
 *
 * @example
 * ```ts
 * duplicateKeyAt('{"a": 1, "a": 2}') // 9
 * ```
 */
export function duplicateKeyAt(text: string): number {
  const frames: Array<Set<string> | undefined> = [];
  let prev = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (; j < text.length && text.charCodeAt(j) !== 0x22; j++) {
        if (text.charCodeAt(j) === 0x5c /* backslash */) {
          escaped = true;
          j++;
        }
      }
      const keys = frames.at(-1);
      if (keys !== undefined && (prev === 0x7b || prev === 0x2c)) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (keys.has(key)) return i;
        keys.add(key);
      }
      prev = c;
      i = j;
    } else if (c === 0x7b /* { */) {
      frames.push(new Set());
      prev = c;
    } else if (c === 0x5b /* [ */) {
      frames.push(undefined);
      prev = c;
    } else if (c === 0x7d || c === 0x5d) {
      frames.pop();
      prev = c;
    } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      prev = c;
    }
  }
  return -1;
}

/** The offset of the first alias that sits inside the node it refers to (`&a [*a]`), if any. */
function selfContainingAlias(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node, path) {
      const target = node.resolve(doc);
      if (target === undefined || !path.includes(target)) return undefined;
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
