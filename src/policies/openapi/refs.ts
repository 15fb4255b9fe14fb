/**
 * `$ref` resolution for OpenAPI documents: local pointers and relative files, no network.
 *
 * Non-schema objects (path items, parameters, request bodies, responses) are followed to the
 * object they name. Schemas are inlined, except where a schema refers back to one still being
 * inlined: that one becomes a named component (`{ $ref: '#/components/schemas/Node' }`), so a
 * recursive schema loads and the validator sees a finite tree. Every step is bounded: the number
 * of refs, the nesting depth, and the size of a schema once inlined (a DAG of refs can expand
 * exponentially, which a validator compiling it would pay for).
 */
import { basename, extname } from 'node:path';
import { child, type Problems, type Where } from './document-problems.js';
import type { DocumentFiles } from './document-files.js';
import { isMapping, lookup, MISSING, parseRef, type RefTarget } from './refs-pointer.js';

/** Most `$ref`s followed while loading one document. */
export const MAX_REFS = 100_000;
/** Most refs in one chain (a ref to a ref to …). */
export const MAX_REF_CHAIN = 32;
/** Deepest schema nesting, inlined refs included. */
export const MAX_SCHEMA_DEPTH = 256;
/** Most schema nodes one schema may expand to once its refs are inlined. */
export const MAX_INLINED_NODES = 100_000;

/** A value and where it was found (after following refs). */
export interface Located {
  readonly value: unknown;
  readonly where: Where;
}

/** A schema walked: the value with refs inlined, its size as a tree, the components it names. */
interface Walked {
  readonly value: unknown;
  readonly size: number;
  readonly comps: ReadonlySet<string> | undefined;
}

const EMPTY: Walked = { value: {}, size: 1, comps: undefined };
const NO_CHAIN: ReadonlySet<string> = new Set();

// Keywords whose value is a schema, a list of schemas, or a map of schemas; everything else
// (enum, const, default, example, x-…) is data and is copied untouched.
const ONE = new Set(['additionalProperties', 'additionalItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema', 'items']);
const LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items']);
const MAP = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
// Keywords applied to the same value: a cycle made only of these never ends.
const IN_PLACE = new Set(['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas']);

/**
 * Follows and inlines the `$ref`s of one document, reporting each failure to `problems`.
 *
 * @example
 * ```ts
 * const refs = new RefResolver(files, problems, '3.1');
 * const param = refs.follow({ $ref: '#/components/parameters/Limit' }, where);
 * const comps = new Set<string>();
 * const schema = refs.schema(media.schema, child(where, 'schema'), comps);
 * ```
 */
export class RefResolver {
  private readonly memo = new Map<string, Walked>();
  private readonly active = new Set<string>();
  private readonly componentNames = new Map<string, string>();
  private readonly bodies = new Map<string, Walked>();
  private readonly usedNames = new Set<string>();
  private refs = 0;
  private top: Where | undefined;

  private readonly files: DocumentFiles;
  private readonly problems: Problems;
  private readonly dialect: '3.0' | '3.1';

  constructor(files: DocumentFiles, problems: Problems, dialect: '3.0' | '3.1') {
    this.files = files;
    this.problems = problems;
    this.dialect = dialect;
  }

  /**
   * Follows `value` while it is a Reference Object (`{ $ref }`; siblings ignored) to the object
   * it names. Undefined (and a problem recorded) when a ref cannot be followed.
   */
  follow(value: unknown, where: Where): Located | undefined {
    let cur: Located = { value, where };
    const seen = new Set<string>();
    while (isMapping(cur.value) && typeof cur.value.$ref === 'string') {
      const at = child(cur.where, '$ref');
      const target = this.target(cur.value.$ref, at);
      if (target === undefined) return undefined;
      const key = `${target.file}#${target.where.pointer}`;
      if (seen.has(key)) return this.fail(at, 'circular $ref: the chain of references comes back to where it started');
      if (seen.size >= MAX_REF_CHAIN) return this.fail(at, `more than ${MAX_REF_CHAIN} $refs in a chain`);
      seen.add(key);
      const found = this.resolveTarget(target, at);
      if (found === MISSING) return undefined;
      cur = { value: found, where: target.where };
    }
    return cur;
  }

  /**
   * The schema at `value` with its refs inlined (recursive ones kept as component refs, whose
   * names are added to `comps`). Undefined when it is not a schema at all.
   */
  schema(value: unknown, where: Where, comps: Set<string>): Readonly<Record<string, unknown>> | undefined {
    const kind = this.dialect === '3.1' ? 'a mapping or a boolean' : 'a mapping';
    if (typeof value === 'boolean' && this.dialect === '3.0') return this.fail(where, 'schema must be a mapping (boolean schemas need OpenAPI 3.1)');
    if (!isMapping(value) && typeof value !== 'boolean') return this.fail(where, `schema must be ${kind}`);
    this.top = where;
    const walked = this.walk(value, where, 0, NO_CHAIN);
    this.top = undefined;
    if (walked.size > MAX_INLINED_NODES) this.problems.add(where, `schema expands to more than ${MAX_INLINED_NODES} nodes once its $refs are inlined`);
    for (const name of walked.comps ?? []) comps.add(name);
    if (walked.value === true) return {};
    if (walked.value === false) return { not: {} };
    if (!isMapping(walked.value)) return this.fail(where, `schema must be ${kind} (its $ref names something else)`);
    return walked.value;
  }

  /** The component schemas named in `names` and every component they refer to, by name. */
  components(names: ReadonlySet<string>): Readonly<Record<string, unknown>> {
    const out: Array<[string, unknown]> = [];
    const queue = [...names];
    const done = new Set<string>();
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      const body = this.bodies.get(name);
      if (done.has(name) || body === undefined) continue;
      done.add(name);
      out.push([name, body.value]);
      for (const next of body.comps ?? []) queue.push(next);
    }
    return Object.fromEntries(out.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }

  private walk(value: unknown, where: Where, depth: number, chain: ReadonlySet<string>): Walked {
    if (depth > MAX_SCHEMA_DEPTH) {
      // Reported where the walk began: the deep pointer itself would be unreadably long.
      this.problems.add(this.top ?? where, `schema nested more than ${MAX_SCHEMA_DEPTH} levels deep (inlined $refs included; a YAML alias inside itself does this too)`);
      return EMPTY;
    }
    if (!isMapping(value)) return { value, size: 1, comps: undefined };
    if (typeof value.$ref !== 'string') return this.walkObject(value, where, depth, chain);
    const ref = this.refSchema(value.$ref, child(where, '$ref'), depth, chain);
    const siblings = Object.keys(value).length > 1;
    // 3.0 ignores a Reference Object's siblings; in 3.1 `$ref` is a keyword like any other.
    if (this.dialect === '3.0' || !siblings) return ref;
    const rest = this.walkObject(Object.fromEntries(Object.entries(value).filter(([k]) => k !== '$ref')), where, depth, chain);
    return { value: { allOf: [ref.value, rest.value] }, size: ref.size + rest.size + 1, comps: union(ref.comps, rest.comps) };
  }

  private walkObject(value: Record<string, unknown>, where: Where, depth: number, chain: ReadonlySet<string>): Walked {
    const entries: Array<[string, unknown]> = [];
    let size = 1;
    let comps: ReadonlySet<string> | undefined;
    const add = (w: Walked): unknown => {
      size = Math.min(size + w.size, Number.MAX_SAFE_INTEGER);
      comps = union(comps, w.comps);
      return w.value;
    };
    for (const [key, sub] of Object.entries(value)) {
      const at = child(where, key);
      const next = IN_PLACE.has(key) ? chain : NO_CHAIN;
      let out = sub;
      if (Array.isArray(sub) && LIST.has(key)) out = sub.map((s, i) => add(this.walk(s, child(at, i), depth + 1, next)));
      else if (isMapping(sub) && MAP.has(key)) out = Object.fromEntries(Object.entries(sub).map(([k, s]) => [k, add(this.walk(s, child(at, k), depth + 1, next))]));
      else if (ONE.has(key)) out = add(this.walk(sub, at, depth + 1, next));
      entries.push([key, out]);
    }
    return { value: Object.fromEntries(entries), size, comps };
  }

  private refSchema(ref: string, at: Where, depth: number, chain: ReadonlySet<string>): Walked {
    const target = this.target(ref, at);
    if (target === undefined) return EMPTY;
    const key = `${target.file}#${target.where.pointer}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    if (this.active.has(key)) {
      if (chain.has(key)) {
        this.problems.add(at, 'recursive schema refers to itself without descending into a property or item; validation would never end');
        return EMPTY;
      }
      return this.componentRef(this.componentName(key, target));
    }
    const found = this.resolveTarget(target, at);
    if (found === MISSING) return EMPTY;
    this.active.add(key);
    const walked = this.walk(found, target.where, depth + 1, new Set(chain).add(key));
    this.active.delete(key);
    const name = this.componentNames.get(key);
    const result = name === undefined ? walked : this.componentRef(name);
    if (name !== undefined) this.bodies.set(name, walked);
    this.memo.set(key, result);
    return result;
  }

  private target(ref: string, at: Where): RefTarget | undefined {
    const target = parseRef(ref, at.file);
    if (typeof target === 'string') return this.fail(at, target);
    return target;
  }

  private resolveTarget(target: RefTarget, at: Where): unknown {
    if (++this.refs > MAX_REFS) {
      this.problems.addRaw(`the document has more than ${MAX_REFS} $refs to follow`);
      return MISSING;
    }
    const file = this.files.get(target.file, at);
    if (file === undefined) return MISSING;
    const found = lookup(file.data, target.segments);
    if (found === MISSING) this.problems.add(at, `$ref target ${this.problems.describe(target.where)} does not exist`);
    return found;
  }

  private componentRef(name: string): Walked {
    return { value: { $ref: `#/components/schemas/${name}` }, size: 1, comps: new Set([name]) };
  }

  private componentName(key: string, target: RefTarget): string {
    const known = this.componentNames.get(key);
    if (known !== undefined) return known;
    const segs = target.segments;
    const raw = segs.length === 3 && segs[0] === 'components' && segs[1] === 'schemas' ? segs[2]! : (segs.at(-1) ?? basename(target.file, extname(target.file)));
    // Component names are limited to [A-Za-z0-9._-] by the spec, which also keeps the pointer plain.
    const base = raw.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'Schema';
    let name = base;
    for (let i = 2; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    this.componentNames.set(key, name);
    return name;
  }

  private fail(where: Where, message: string): undefined {
    this.problems.add(where, message);
    return undefined;
  }
}

function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  if (b === undefined || b.size === 0 || a === b) return a;
  if (a === undefined || a.size === 0) return b;
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}
