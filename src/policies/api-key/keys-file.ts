/**
 * Reading a keysFile: a YAML or JSON list of key entries (or `{ keys: [...] }`), validated with
 * the same schema as inline keys. Mistakes name the file, the line and the entry.
 *
 * A policy in `defaults` is compiled once per route, so the parsed file is remembered by its
 * path and the SHA-256 of its contents: a reload that changed the file reads the new contents,
 * and a hundred routes do not parse the same file a hundred times.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import crypto from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { MAX_FILE_KEYS, ApiKeyEntrySchema, type ApiKeyEntry } from './schema.js';

/** Largest keysFile read (a 100 000-key file is about 25 MB of YAML). */
export const MAX_KEYS_FILE_BYTES = 32 * 1024 * 1024;

/** Most mistakes reported from one file; the rest are summarised. */
const MAX_REPORTED = 20;

/** Anchors/aliases expanded at most this many times. */
const MAX_ALIAS_COUNT = 100;

/** What reading a keysFile gave. */
export type KeysFileResult =
  | { readonly ok: true; readonly entries: readonly KeysFileEntry[]; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** One entry of a keysFile, with where it is for messages. */
export interface KeysFileEntry {
  /** The entry, defaults filled in. */
  readonly entry: ApiKeyEntry;
  /** `keys.yaml:7` */
  readonly where: string;
}

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats = (addFormatsModule as unknown as { default: AddFormats }).default;

let validator: ValidateFunction | undefined;
function validateEntries(): ValidateFunction {
  if (validator === undefined) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false });
    addFormats(ajv);
    validator = ajv.compile(Type.Array(ApiKeyEntrySchema, { maxItems: MAX_FILE_KEYS }));
  }
  return validator;
}

const memo = new Map<string, KeysFileResult>();
const MEMO_SIZE = 8;

/**
 * Reads and validates a keysFile (relative names against `baseDir`). Never throws: an unreadable
 * or invalid file is `{ ok: false, errors }`, each error naming the file and, where it can, the
 * line.
 *
 * @example
 * ```ts
 * const result = readKeysFile('keys.yaml', env.baseDir);
 * if (!result.ok) throw configError(['keysFile'], result.errors[0]);
 * ```
 */
export function readKeysFile(name: string, baseDir: string): KeysFileResult {
  const file = resolve(baseDir, name);
  let text: string;
  let warnings: string[] = [];
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return { ok: false, errors: [`${file}: not a regular file`] };
    if (stat.size > MAX_KEYS_FILE_BYTES) return { ok: false, errors: [`${file}: larger than ${MAX_KEYS_FILE_BYTES} bytes`] };
    // Whoever can write this file can add keys.
    if (process.platform !== 'win32' && (stat.mode & 0o002) !== 0) warnings = [`${file} is writable by every user of this machine; anyone who can write it can add keys`];
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, errors: [`${file}: ${code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'error'})`}`] };
  }
  const memoKey = `${file}\0${crypto.hash('sha256', text, 'hex')}`;
  let result = memo.get(memoKey);
  if (result === undefined) {
    result = parseKeysFile(file, text);
    if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
    memo.set(memoKey, result);
  }
  return result.ok && warnings.length > 0 ? { ...result, warnings } : result;
}

function parseKeysFile(file: string, text: string): KeysFileResult {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
  const syntax = doc.errors[0];
  if (syntax !== undefined) return { ok: false, errors: [`${file}:${lines.linePos(syntax.pos[0]).line}: YAML: ${syntax.message.split('\n')[0]}`] };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    return { ok: false, errors: [`${file}: YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`] };
  }

  let list: unknown = data;
  let base: Array<string | number> = [];
  if (isPlainObject(data) && Object.keys(data).length === 1 && 'keys' in data) {
    list = data.keys;
    base = ['keys'];
  }
  if (!Array.isArray(list)) return { ok: false, errors: [`${file}: must be a list of key entries, or an object with a list under \`keys\``] };

  const validate = validateEntries();
  if (!validate(list)) {
    const all = validate.errors ?? [];
    const errors = all.slice(0, MAX_REPORTED).map((e) => {
      const path = [...base, ...pointerSegments(e.instancePath)];
      return `${file}:${lineOf(doc, lines, path)}: ${formatSegments(path.slice(base.length))}: ${describe(e)}`;
    });
    if (all.length > MAX_REPORTED) errors.push(`${file}: and ${all.length - MAX_REPORTED} more mistakes`);
    return { ok: false, errors };
  }
  const entries = (list as ApiKeyEntry[]).map((entry, i) => Object.freeze({ entry, where: `${file}:${lineOf(doc, lines, [...base, i])}` }));
  return { ok: true, entries: Object.freeze(entries), warnings: [] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => {
    const seg = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(seg) ? Number(seg) : seg;
  });
}

function formatSegments(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out === '' ? '(file)' : out;
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return `unknown key '${String((error.params as { additionalProperty: unknown }).additionalProperty)}'`;
  if (error.keyword === 'required') return `'${String((error.params as { missingProperty: unknown }).missingProperty)}' is required`;
  return error.message ?? error.keyword;
}

/** The 1-based line of the deepest node of `path` that exists. */
function lineOf(doc: Document, lines: LineCounter, path: ReadonlyArray<string | number>): number {
  let node: unknown = doc.contents;
  let offset = isNode(node) && node.range ? node.range[0] : 0;
  for (const seg of path) {
    let next: unknown;
    if (isMap(node)) next = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))?.value;
    else if (isSeq(node) && typeof seg === 'number') next = node.items[seg];
    if (!isNode(next) || !next.range) break;
    node = next;
    offset = next.range[0];
  }
  return lines.linePos(offset).line;
}
