/**
 * The set of policies a gateway knows, with everything derived from them built once: the error
 * catalogue, one Ajv validator per policy and the validator of the whole file.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createCatalogue, type ErrorSpec } from '../core/errors.js';
import type { Policy } from '../core/policy.js';
import { buildConfigSchema } from './schema.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module namespace.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats = (addFormatsModule as unknown as { default: AddFormats }).default;

/** Policies by name plus what is compiled from them. */
export interface Registry {
  /** Registered policies by name. */
  readonly policies: ReadonlyMap<string, Policy>;
  /** Every error code the gateway can answer with. */
  readonly catalogue: ReadonlyMap<string, ErrorSpec>;
  /** Validates (and fills defaults of) the file, policy configs left untyped. */
  readonly validateFile: ValidateFunction;
  /** Validates (and fills defaults of) one policy's config. */
  readonly validatePolicy: ReadonlyMap<string, ValidateFunction>;
}

/** A validation error, re-exported for the loader. */
export type SchemaError = ErrorObject;

/**
 * Builds a registry. Throws when two policies share a name or an error code.
 *
 * @example
 * ```ts
 * const registry = createRegistry(builtinPolicies);
 * registry.policies.get('size-limit')?.phase // 'request'
 * ```
 */
export function createRegistry(policies: readonly Policy[]): Registry {
  const byName = new Map<string, Policy>();
  for (const p of policies) {
    if (byName.has(p.name)) throw new Error(`policy '${p.name}' is registered twice`);
    byName.set(p.name, p);
  }
  const ajv = createAjv();
  const validatePolicy = new Map<string, ValidateFunction>();
  for (const p of policies) validatePolicy.set(p.name, ajv.compile(p.schema));
  return {
    policies: byName,
    catalogue: createCatalogue(policies),
    validateFile: ajv.compile(buildConfigSchema(policies, 'load')),
    validatePolicy,
  };
}

/**
 * The Ajv instance every config validator uses: all errors (an operator wants the whole list),
 * defaults filled in, no type coercion (a string "10" is not a number).
 *
 * @example
 * ```ts
 * const validate = createAjv().compile(schema);
 * ```
 */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}
