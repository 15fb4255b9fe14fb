/**
 * What a parameter's (or a form field's) schema says about its shape and the types its strings
 * become, worked out once at compile time. Coercion is strict on purpose: `10`, `-3`, `1.5e3`,
 * `true`, `false` — never ` 10`, `0x10` or `1_000`, which an upstream's parser might read
 * differently from the value the gateway checked.
 */
import { componentOf } from './dialect.js';

/** How a value is serialised: one string, a list, or name/value pairs. */
export type ParamShape =
  | { readonly kind: 'primitive' }
  | { readonly kind: 'array' }
  | { readonly kind: 'object'; readonly properties: readonly string[] };

/** Turns deserialised strings into the schema's types (strings it cannot convert are left for the validator to refuse). */
export type Coercer = (value: unknown) => unknown;

/** A shape and its coercer. */
export interface ParamPlan {
  /** The shape deserialisation produces. */
  readonly shape: ParamShape;
  /** Applied to the deserialised value. */
  readonly coerce: Coercer;
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const MAX_DEPTH = 8;

type Obj = Record<string, unknown>;
type Components = Readonly<Record<string, unknown>>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Types a schema admits, looking through $ref and allOf/anyOf/oneOf; empty when it says nothing. */
function typesOf(schema: unknown, components: Components, depth = 0, out = new Set<string>()): Set<string> {
  if (!isObject(schema) || depth > MAX_DEPTH) return out;
  const type = schema['type'];
  if (typeof type === 'string') out.add(type);
  else if (Array.isArray(type)) for (const t of type) if (typeof t === 'string') out.add(t);
  if (type === undefined) {
    if (isObject(schema['properties'])) out.add('object');
    if (schema['items'] !== undefined) out.add('array');
  }
  if (schema['nullable'] === true) out.add('null');
  const target = componentOf(schema['$ref'], components);
  if (target !== undefined) typesOf(target, components, depth + 1, out);
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const s of list) typesOf(s, components, depth + 1, out);
  }
  return out;
}

/** The first subschema found under `key` (items), through $ref and allOf/anyOf/oneOf. */
function subschema(schema: unknown, key: string, components: Components, depth = 0): unknown {
  if (!isObject(schema) || depth > MAX_DEPTH) return undefined;
  if (schema[key] !== undefined) return schema[key];
  const target = componentOf(schema['$ref'], components);
  const found = target === undefined ? undefined : subschema(target, key, components, depth + 1);
  if (found !== undefined) return found;
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[k];
    if (Array.isArray(list)) for (const s of list) {
      const f = subschema(s, key, components, depth + 1);
      if (f !== undefined) return f;
    }
  }
  return undefined;
}

/** Declared properties and their schemas, through $ref and allOf/anyOf/oneOf. */
function propertiesOf(schema: unknown, components: Components, depth = 0, out = new Map<string, unknown>()): Map<string, unknown> {
  if (!isObject(schema) || depth > MAX_DEPTH) return out;
  const props = schema['properties'];
  if (isObject(props)) for (const [name, s] of Object.entries(props)) if (!out.has(name)) out.set(name, s);
  const target = componentOf(schema['$ref'], components);
  if (target !== undefined) propertiesOf(target, components, depth + 1, out);
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const s of list) propertiesOf(s, components, depth + 1, out);
  }
  return out;
}

const identity: Coercer = (v) => v;

/**
 * The coercer of a scalar schema: strings that are exactly a number, integer or boolean of a type
 * the schema admits become that; everything else stays a string.
 *
 * @example
 * ```ts
 * scalarCoercer({ type: 'integer' }, {})('10') // 10
 * scalarCoercer({ type: 'integer' }, {})('0x10') // '0x10' (the validator refuses it)
 * ```
 */
export function scalarCoercer(schema: unknown, components: Components): Coercer {
  const types = typesOf(schema, components);
  const num = types.has('number');
  const int = types.has('integer');
  const bool = types.has('boolean');
  if (!num && !int && !bool) return identity;
  return (v) => {
    if (typeof v !== 'string') return v;
    if ((num && NUMBER.test(v)) || (int && INTEGER.test(v))) return Number(v);
    if (bool && (v === 'true' || v === 'false')) return v === 'true';
    return v;
  };
}

/**
 * The shape and coercer of a parameter's (or a form field's) schema.
 *
 * @example
 * ```ts
 * planFor({ type: 'array', items: { type: 'integer' } }, {}).coerce(['1', '2']) // [1, 2]
 * ```
 */
export function planFor(schema: unknown, components: Components): ParamPlan {
  const types = typesOf(schema, components);
  types.delete('null');
  if (types.size === 1 && types.has('array')) {
    const item = scalarCoercer(subschema(schema, 'items', components), components);
    return { shape: { kind: 'array' }, coerce: (v) => (Array.isArray(v) ? v.map(item) : item(v)) };
  }
  if (types.size === 1 && types.has('object')) {
    const props = propertiesOf(schema, components);
    const coercers = new Map<string, Coercer>();
    for (const [name, s] of props) coercers.set(name, planFor(s, components).coerce);
    return {
      shape: { kind: 'object', properties: [...props.keys()] },
      coerce: (v) => {
        if (!isObject(v)) return v;
        for (const key of Object.keys(v)) {
          const c = coercers.get(key);
          if (c !== undefined) v[key] = c(v[key]);
        }
        return v;
      },
    };
  }
  return { shape: { kind: 'primitive' }, coerce: scalarCoercer(schema, components) };
}

/**
 * The declared properties of an object schema whose values are arrays (a form body's fields that
 * may repeat).
 *
 * @example
 * ```ts
 * arrayProperties({ properties: { tags: { type: 'array' }, title: { type: 'string' } } }, {}) // Set { 'tags' }
 * ```
 */
export function arrayProperties(schema: unknown, components: Components): Set<string> {
  const out = new Set<string>();
  for (const [name, s] of propertiesOf(schema, components)) if (planFor(s, components).shape.kind === 'array') out.add(name);
  return out;
}
