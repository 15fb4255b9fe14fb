/**
 * The Ajv 2020 instance an operation's validators are compiled with (one per compiled policy, so
 * nothing is shared between routes or kept across reloads), and the translation of Ajv's errors
 * into violations: a JSON pointer and a reason in our own words, never the offending value.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Violation } from '../../core/problem.js';
import { FORBIDDEN_KEYWORDS, normaliseSchema, SchemaError, type NormaliseOptions } from './dialect.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module namespace.
type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats: AddFormats = (addFormatsModule as unknown as { default: AddFormats }).default;

/** Longest pointer listed (a pointer can carry an attacker's property name). */
export const MAX_POINTER_LENGTH = 256;

/** Where a violation is: the part of the request (or `body` for a response). */
export type ViolationIn = Violation['in'];

/**
 * A new Ajv 2020 instance for one operation: every error (bounded when listed), formats checked,
 * no coercion (parameters are coerced by their own strict rules first), strict about keywords (the
 * dialect step leaves only keywords Ajv knows) but not about types or `required` (OpenAPI
 * documents routinely omit `type: object` and split `required` across allOf).
 *
 * @example
 * ```ts
 * const ajv = createValidatorAjv();
 * const validate = ajv.compile({ type: 'string', format: 'date' });
 * ```
 */
export function createValidatorAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    coerceTypes: false,
    useDefaults: false,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    validateFormats: true,
  });
  addFormats(ajv);
  for (const keyword of Object.values(FORBIDDEN_KEYWORDS)) {
    // A forbidden property fails whenever it is present; the keyword names why.
    ajv.addKeyword({ keyword, schemaType: 'boolean', errors: false, validate: (forbidden: boolean) => !forbidden });
  }
  return ajv;
}

/** A compiled validator, or why the schema could not be compiled. */
export type CompiledSchema = { readonly validate: ValidateFunction; readonly unknownFormats: readonly string[] };

/**
 * Normalises an OpenAPI schema and compiles it. Throws SchemaError (with a pointer into the
 * schema) when the schema is malformed or Ajv refuses it.
 *
 * @example
 * ```ts
 * const { validate } = compileSchema(ajv, { type: 'integer', maximum: 100 }, { dialect: '3.1', components: {}, direction: 'request', closeObjects: false });
 * ```
 */
export function compileSchema(ajv: Ajv2020, schema: unknown, options: Omit<NormaliseOptions, 'knownFormats'>): CompiledSchema {
  const normalised = normaliseSchema(schema, { ...options, knownFormats: new Set(Object.keys(ajv.formats)) });
  try {
    return { validate: ajv.compile(normalised.schema as object), unknownFormats: normalised.unknownFormats };
  } catch (error) {
    throw new SchemaError('', error instanceof Error ? error.message : 'does not compile');
  }
}

/**
 * Violations of one request or response: counted in full, listed up to a bound, each pointer
 * listed once per reason.
 *
 * @example
 * ```ts
 * const list = new ViolationList(20);
 * list.add('query', '/limit', 'must be at most 100');
 * ```
 */
export class ViolationList {
  /** The violations listed (at most `max`). */
  readonly items: Violation[] = [];
  /** Every violation found, listed or not. */
  count = 0;
  private readonly max: number;
  // Allocated on the first violation: a valid request pays for an empty array only.
  private seen: Set<string> | undefined;

  constructor(max: number) {
    this.max = max;
  }

  /** Adds one violation (the same pointer and reason once). */
  add(where: ViolationIn, pointer: string, reason: string): void {
    const key = `${where}\u0000${pointer}\u0000${reason}`;
    this.seen ??= new Set();
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.count++;
    if (this.items.length < this.max) this.items.push({ pointer: clipPointer(pointer), in: where, reason });
  }

  /**
   * Adds Ajv's errors. `locate` maps an instance path to the part and the pointer within it
   * (parameters are validated as one object `{ query: {…}, path: {…} }`).
   */
  addAjvErrors(errors: readonly ErrorObject[] | null | undefined, locate: (instancePath: string) => readonly [ViolationIn, string]): void {
    if (!errors) return;
    // Ajv reports every error of a large invalid body; past the bound they are only counted.
    const n = Math.min(errors.length, MAX_AJV_ERRORS);
    this.count += errors.length - n;
    const branch = branchErrors(errors, n);
    for (let i = 0; i < n; i++) {
      if (branch?.has(i) === true) continue;
      const e = errors[i]!;
      const reason = reasonOf(e);
      if (reason === undefined) continue;
      const [where, pointer] = locate(pointerOf(e));
      this.add(where, pointer, reason);
    }
  }
}

/** Most of Ajv's errors read per validation. */
const MAX_AJV_ERRORS = 1000;

/**
 * Errors from the branches of a failed anyOf/oneOf, which its one error sums up. Ajv pushes a
 * branch's errors just before the composite's, all at or under its instance path: from the
 * composite back, those inside its schema path (or inside a component a branch refers to) are
 * its branches', until an error elsewhere in the instance ends the run.
 */
function branchErrors(errors: readonly ErrorObject[], n: number): Set<number> | undefined {
  let out: Set<number> | undefined;
  for (let k = 0; k < n; k++) {
    const c = errors[k]!;
    if (c.keyword !== 'anyOf' && c.keyword !== 'oneOf') continue;
    const path = c.instancePath;
    const inside = `${c.schemaPath}/`;
    for (let j = k - 1; j >= 0; j--) {
      const e = errors[j]!;
      if (e.instancePath !== path && !e.instancePath.startsWith(`${path}/`)) break;
      if (e.schemaPath.startsWith(inside) || e.schemaPath.startsWith('#/$defs/')) (out ??= new Set()).add(j);
    }
  }
  return out;
}

function clipPointer(pointer: string): string {
  return pointer.length <= MAX_POINTER_LENGTH ? pointer : `${pointer.slice(0, MAX_POINTER_LENGTH - 1)}…`;
}

const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** The pointer of the value at fault: a missing or unknown property names the property itself. */
function pointerOf(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const name = e.keyword === 'required' || e.keyword === 'dependentRequired' ? p['missingProperty']
    : e.keyword === 'additionalProperties' ? p['additionalProperty']
      : e.keyword === 'unevaluatedProperties' ? p['unevaluatedProperty']
        : undefined;
  return typeof name === 'string' ? `${e.instancePath}/${escapePointer(name)}` : e.instancePath;
}

function plural(n: unknown, one: string, many: string): string {
  return `${String(n)} ${n === 1 ? one : many}`;
}

/**
 * A reason in our own words for one Ajv error, or undefined for errors that only repeat another
 * (`if`). Limits come from the schema, never from the request.
 *
 * @example
 * ```ts
 * reasonOf({ keyword: 'maxLength', params: { limit: 200 }, instancePath: '/title', schemaPath: '' }) // 'must be at most 200 characters'
 * ```
 */
export function reasonOf(e: ErrorObject): string | undefined {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': return `must be of type ${Array.isArray(p['type']) ? (p['type'] as unknown[]).join(' or ') : String(p['type'])}`;
    case 'required': return 'is required';
    case 'dependentRequired': return `is required when ${String(p['property'])} is present`;
    case 'maxLength': return `must be at most ${plural(p['limit'], 'character', 'characters')}`;
    case 'minLength': return `must be at least ${plural(p['limit'], 'character', 'characters')}`;
    case 'maximum': return `must be at most ${String(p['limit'])}`;
    case 'minimum': return `must be at least ${String(p['limit'])}`;
    case 'exclusiveMaximum': return `must be less than ${String(p['limit'])}`;
    case 'exclusiveMinimum': return `must be greater than ${String(p['limit'])}`;
    case 'multipleOf': return `must be a multiple of ${String(p['multipleOf'])}`;
    case 'enum': return 'must be one of the allowed values';
    case 'const': return 'must be the allowed value';
    case 'format': return `must be a valid ${String(p['format'])}`;
    case 'pattern': return 'must match the documented pattern';
    case 'maxItems': return `must have at most ${plural(p['limit'], 'item', 'items')}`;
    case 'minItems': return `must have at least ${plural(p['limit'], 'item', 'items')}`;
    case 'uniqueItems': return 'must not contain duplicate items';
    case 'contains': case 'minContains': case 'maxContains': return 'must contain the documented number of matching items';
    case 'maxProperties': return `must have at most ${plural(p['limit'], 'property', 'properties')}`;
    case 'minProperties': return `must have at least ${plural(p['limit'], 'property', 'properties')}`;
    case 'additionalProperties': case 'unevaluatedProperties': return 'unknown property';
    case 'unevaluatedItems': return 'has more items than documented';
    case 'propertyNames': return 'has a property name that is not allowed';
    case 'anyOf': return 'must match at least one of the documented schemas';
    case 'oneOf': return 'must match exactly one of the documented schemas';
    case 'not': return 'must not match the excluded schema';
    case 'false schema': return 'is not allowed';
    case FORBIDDEN_KEYWORDS.request: return 'read-only property';
    case FORBIDDEN_KEYWORDS.response: return 'write-only property';
    case 'if': return undefined;
    default: return `does not satisfy ${e.keyword}`;
  }
}
