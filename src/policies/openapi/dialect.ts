/**
 * OpenAPI Schema Objects → plain JSON Schema 2020-12, once per validator at compile time.
 *
 * - Only validation keywords are kept: annotations (`description`, `example`, `examples`),
 *   OpenAPI-only keywords (`discriminator`, `xml`, `externalDocs`) and extensions (`x-…`) are
 *   dropped, so Ajv's strict mode never meets a keyword it does not know.
 * - 3.0: `nullable` becomes a type array (and adds null to an enum), boolean
 *   `exclusiveMinimum`/`exclusiveMaximum` take the number of `minimum`/`maximum`, siblings of
 *   `$ref` are ignored (as 3.0 says).
 * - Direction: in requests a property marked `readOnly` is forbidden (and no longer required); in
 *   responses a `writeOnly` one is. That is the mass-assignment defence for server-owned fields.
 * - Closing: where asked, an object schema that declares properties and says nothing about
 *   additional or unevaluated properties gets `unevaluatedProperties: false` at its value position
 *   (so allOf compositions keep working: their members stay open, the whole is closed).
 * - `$ref: '#/components/schemas/Name'` (left by the loader in recursive schemas) points into
 *   `$defs` of the root, transformed the same way.
 * - Unknown formats are dropped and reported, so the caller can warn.
 */

/** Keyword added in place of a property a direction forbids; validators.ts registers both. */
export const FORBIDDEN_KEYWORDS = { request: 'portcullisReadOnly', response: 'portcullisWriteOnly' } as const;

/** Deepest schema nesting followed. */
export const MAX_SCHEMA_DEPTH = 64;
/** Most schema nodes in one validator (components included). */
export const MAX_SCHEMA_NODES = 100_000;
/** How far markers (readOnly, declared properties) are looked for through $ref and allOf. */
const MAX_LOOKUP_DEPTH = 8;

const COMPONENTS_PREFIX = '#/components/schemas/';

/** Validation keywords copied as they are. */
const COPIED = new Set([
  'type', 'const', 'enum', 'multipleOf', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
  'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties', 'minProperties', 'required', 'dependentRequired',
]);

type Position = 'value' | 'inplace';

/** Subschema keywords: where their schemas sit (value: they describe an instance of their own). */
const SINGLE: ReadonlyMap<string, Position> = new Map([
  ['items', 'value'], ['additionalProperties', 'value'], ['unevaluatedProperties', 'value'], ['unevaluatedItems', 'value'], ['contains', 'value'], ['propertyNames', 'value'],
  ['not', 'inplace'], ['if', 'inplace'], ['then', 'inplace'], ['else', 'inplace'],
]);
const MAPS: ReadonlyMap<string, Position> = new Map([['properties', 'value'], ['patternProperties', 'value'], ['dependentSchemas', 'inplace'], ['$defs', 'inplace']]);
const LISTS: ReadonlyMap<string, Position> = new Map([['allOf', 'inplace'], ['anyOf', 'inplace'], ['oneOf', 'inplace'], ['prefixItems', 'value']]);

/**
 * A schema that cannot be turned into a validator; `where` is a JSON pointer into the schema.
 *
 * @example
 * ```ts
 * throw new SchemaError('/properties/a/items', 'an array of schemas is not a valid `items`');
 * ```
 */
export class SchemaError extends Error {
  /** Where in the schema (`/properties/title`), or `#/components/schemas/Name/…`. */
  readonly where: string;

  constructor(where: string, message: string) {
    super(message);
    this.name = 'SchemaError';
    this.where = where;
  }
}

/** What a schema is normalised for. */
export interface NormaliseOptions {
  /** `3.0` or `3.1` (the operation's dialect). */
  readonly dialect: '3.0' | '3.1';
  /** Schemas under components/schemas, for the `$ref`s recursive schemas keep. */
  readonly components: Readonly<Record<string, unknown>>;
  /** request: readOnly properties are forbidden; response: writeOnly ones are. */
  readonly direction: 'request' | 'response';
  /** Close object schemas that declare properties (`unevaluatedProperties: false`). */
  readonly closeObjects: boolean;
  /** Format names the validator knows; others are dropped and reported. */
  readonly knownFormats: ReadonlySet<string>;
}

/** A normalised schema. */
export interface NormalisedSchema {
  /** JSON Schema 2020-12, referenced components under `$defs`. */
  readonly schema: unknown;
  /** Formats that were dropped because the validator does not know them. */
  readonly unknownFormats: readonly string[];
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Normalises one OpenAPI schema for Ajv 2020. Throws SchemaError when it cannot be.
 *
 * @example
 * ```ts
 * normaliseSchema({ type: 'string', nullable: true, example: 'x' }, { dialect: '3.0', components: {}, direction: 'request', closeObjects: false, knownFormats: new Set() }).schema
 * // { type: ['string', 'null'] }
 * ```
 */
export function normaliseSchema(schema: unknown, options: NormaliseOptions): NormalisedSchema {
  const n = new Normaliser(options);
  let root = n.walk(schema, 'value', false, 0, '');
  const defs: Obj = {};
  for (let i = 0; i < n.pending.length; i++) {
    const name = n.pending[i]!;
    defs[`components/schemas/${name}`] = n.walk(options.components[name], 'inplace', false, 0, `${COMPONENTS_PREFIX}${escapePointer(name)}`);
  }
  if (n.pending.length > 0) {
    const rootObj: Obj = isObject(root) ? root : { allOf: [root] };
    rootObj['$defs'] = { ...(isObject(rootObj['$defs']) ? rootObj['$defs'] : {}), ...defs };
    root = rootObj;
  }
  return { schema: root, unknownFormats: [...n.unknownFormats] };
}

/**
 * Whether a schema marks itself `readOnly`/`writeOnly`, directly, through a component `$ref` or an
 * allOf member (3.0's `$ref` siblings count too: forbidding more is the safe reading).
 *
 * @example
 * ```ts
 * isMarked({ allOf: [{ readOnly: true }] }, 'readOnly', {}) // true
 * ```
 */
export function isMarked(schema: unknown, key: 'readOnly' | 'writeOnly', components: Readonly<Record<string, unknown>>, depth = 0): boolean {
  if (!isObject(schema) || depth > MAX_LOOKUP_DEPTH) return false;
  if (schema[key] === true) return true;
  const target = componentOf(schema['$ref'], components);
  if (target !== undefined && isMarked(target, key, components, depth + 1)) return true;
  const all = schema['allOf'];
  return Array.isArray(all) && all.some((s) => isMarked(s, key, components, depth + 1));
}

/**
 * The component a `$ref` names, if it is `#/components/schemas/…` and the document has it.
 *
 * @example
 * ```ts
 * componentOf('#/components/schemas/Task', { Task: { type: 'object' } }) // { type: 'object' }
 * ```
 */
export function componentOf(ref: unknown, components: Readonly<Record<string, unknown>>): unknown {
  const name = componentName(ref);
  return name === undefined || !Object.hasOwn(components, name) ? undefined : components[name];
}

function componentName(ref: unknown): string | undefined {
  if (typeof ref !== 'string' || !ref.startsWith(COMPONENTS_PREFIX)) return undefined;
  const segment = ref.slice(COMPONENTS_PREFIX.length);
  if (segment.includes('/')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return decoded.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** Names of the properties a schema and its allOf members (through $ref) mark readOnly/writeOnly. */
function forbiddenNames(schema: unknown, key: 'readOnly' | 'writeOnly', components: Readonly<Record<string, unknown>>, depth = 0, out = new Set<string>()): Set<string> {
  if (!isObject(schema) || depth > MAX_LOOKUP_DEPTH) return out;
  const props = schema['properties'];
  if (isObject(props)) for (const [name, sub] of Object.entries(props)) if (isMarked(sub, key, components)) out.add(name);
  const target = componentOf(schema['$ref'], components);
  if (target !== undefined) forbiddenNames(target, key, components, depth + 1, out);
  const all = schema['allOf'];
  if (Array.isArray(all)) for (const s of all) forbiddenNames(s, key, components, depth + 1, out);
  return out;
}

/** Declared properties somewhere in place (allOf/anyOf/oneOf/$ref), and nothing saying "open". */
function closable(schema: unknown, components: Readonly<Record<string, unknown>>, depth: number, found: { props: boolean; open: boolean }): void {
  if (!isObject(schema) || depth > MAX_LOOKUP_DEPTH) return;
  if ('additionalProperties' in schema || 'unevaluatedProperties' in schema) found.open = true;
  if (isObject(schema['properties'])) found.props = true;
  const target = componentOf(schema['$ref'], components);
  if (target !== undefined) closable(target, components, depth + 1, found);
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const s of list) closable(s, components, depth + 1, found);
  }
}

class Normaliser {
  readonly pending: string[] = [];
  readonly unknownFormats = new Set<string>();
  private readonly queued = new Set<string>();
  private nodes = 0;
  private readonly o: NormaliseOptions;
  private readonly forbid: 'readOnly' | 'writeOnly';
  private readonly forbidden: Obj;

  constructor(options: NormaliseOptions) {
    this.o = options;
    this.forbid = options.direction === 'request' ? 'readOnly' : 'writeOnly';
    this.forbidden = { [FORBIDDEN_KEYWORDS[options.direction]]: true };
  }

  /**
   * `siblings`: for an allOf member, the names its sibling members forbid, so a `required` in one
   * member does not demand a readOnly property another member declares.
   */
  walk(node: unknown, position: Position, negated: boolean, depth: number, where: string, siblings?: ReadonlySet<string>): unknown {
    if (typeof node === 'boolean') return node;
    if (!isObject(node)) throw new SchemaError(where, 'is not a schema (an object or a boolean)');
    if (depth > MAX_SCHEMA_DEPTH) throw new SchemaError(where, `is nested deeper than ${MAX_SCHEMA_DEPTH} levels`);
    if (++this.nodes > MAX_SCHEMA_NODES) throw new SchemaError(where, `has more than ${MAX_SCHEMA_NODES} schema nodes`);
    const legacy = this.o.dialect === '3.0';
    // 3.0: a Reference Object's siblings are ignored.
    const src: Obj = legacy && typeof node['$ref'] === 'string' ? { $ref: node['$ref'] } : node;
    const out: Obj = {};
    let unrequired: Set<string> | undefined = siblings === undefined ? undefined : new Set(siblings);
    for (const key of Object.keys(src)) {
      const value = src[key];
      const at = `${where}/${escapePointer(key)}`;
      if (key === '$ref') out['$ref'] = this.ref(value, at);
      else if (key === '$dynamicRef' || key === '$recursiveRef') throw new SchemaError(at, `${key} is not supported`);
      else if (COPIED.has(key)) out[key] = value;
      else if (key === 'format') {
        if (typeof value === 'string' && this.o.knownFormats.has(value)) out['format'] = value;
        else if (typeof value === 'string') this.unknownFormats.add(value);
      } else if (key === 'items' && Array.isArray(value)) {
        throw new SchemaError(at, 'an array of schemas is not a valid `items` (use prefixItems)');
      } else if (SINGLE.has(key)) {
        const pos = SINGLE.get(key)!;
        out[key] = this.walk(value, pos, negated || key === 'not' || key === 'if', depth + 1, at);
      } else if (LISTS.has(key)) {
        if (!Array.isArray(value)) throw new SchemaError(at, 'must be an array of schemas');
        const forbidden = key === 'allOf' && !negated ? forbiddenNames(src, this.forbid, this.o.components) : undefined;
        out[key] = value.map((s, i) => this.walk(s, LISTS.get(key)!, negated, depth + 1, `${at}/${i}`, forbidden));
      } else if (MAPS.has(key)) {
        if (!isObject(value)) throw new SchemaError(at, 'must be an object of schemas');
        const mapped: Obj = {};
        for (const name of Object.keys(value)) {
          const sub = value[name];
          if (key === 'properties' && !negated && isMarked(sub, this.forbid, this.o.components)) {
            mapped[name] = this.forbidden;
            (unrequired ??= new Set()).add(name);
          } else {
            mapped[name] = this.walk(sub, MAPS.get(key)!, negated, depth + 1, `${at}/${escapePointer(name)}`);
          }
        }
        out[key] = mapped;
      }
      // Anything else is an annotation, an OpenAPI-only keyword or an extension: dropped.
    }
    if (legacy) legacyFixups(src, out);
    if (unrequired !== undefined && Array.isArray(out['required'])) out['required'] = (out['required'] as unknown[]).filter((r) => typeof r !== 'string' || !unrequired.has(r));
    if (this.o.closeObjects && position === 'value' && !negated && !('additionalProperties' in out) && !('unevaluatedProperties' in out)) {
      const found = { props: false, open: false };
      closable(src, this.o.components, 0, found);
      if (found.props && !found.open) out['unevaluatedProperties'] = false;
    }
    return out;
  }

  private ref(value: unknown, at: string): unknown {
    if (typeof value !== 'string') throw new SchemaError(at, 'must be a string');
    const name = componentName(value);
    if (name === undefined) return value;
    if (!Object.hasOwn(this.o.components, name)) throw new SchemaError(at, `refers to ${value}, which the document does not define`);
    if (!this.queued.has(name)) {
      this.queued.add(name);
      this.pending.push(name);
    }
    return `#/$defs/${encodeURIComponent(escapePointer(`components/schemas/${name}`))}`;
  }
}

/** 3.0's keywords that differ from 2020-12. */
function legacyFixups(src: Obj, out: Obj): void {
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    const flag = src[exclusive];
    if (typeof flag !== 'boolean') continue;
    delete out[exclusive];
    if (flag && typeof src[bound] === 'number') {
      out[exclusive] = src[bound];
      delete out[bound];
    }
  }
  // 3.0.3: nullable only adds null to a type given in the same schema.
  if (src['nullable'] === true && typeof out['type'] === 'string') {
    out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...(out['enum'] as unknown[]), null];
  }
}
