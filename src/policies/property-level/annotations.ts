/**
 * The extension point for schema annotations: OpenAPI `readOnly` properties are server-owned
 * (never accepted in a request body) and `writeOnly` ones are never returned (removed from every
 * response, whatever the role). The OpenAPI loader will collect the property paths of a route's
 * request and response schemas and pass them here before the policy is compiled; nothing here
 * parses OpenAPI.
 */
import { DEFAULT_WRITE_METHODS, type PropertyLevelConfig, type ReadRules, type WriteRules } from './schema.js';

/** Property paths a schema marks (`id`, `items[].createdAt`), in property-level path syntax. */
export interface SchemaAnnotations {
  /** Properties marked readOnly: join write.serverOwned. */
  readonly readOnly?: readonly string[];
  /** Properties marked writeOnly: join read.remove and every perRole variant's remove. */
  readonly writeOnly?: readonly string[];
}

/**
 * The config with the annotated properties added (a new object; `config` is not changed). A block
 * the config does not have is created with its defaults when there is something to add to it.
 *
 * @example
 * ```ts
 * withSchemaAnnotations({ read: { remove: ['internalNotes'], mask: {}, perRole: {}, allowNonJson: false } }, { readOnly: ['id'], writeOnly: ['password'] })
 * // write.serverOwned ['id'], read.remove ['internalNotes', 'password']
 * ```
 */
export function withSchemaAnnotations(config: PropertyLevelConfig, annotations: SchemaAnnotations): PropertyLevelConfig {
  const readOnly = annotations.readOnly ?? [];
  const writeOnly = annotations.writeOnly ?? [];
  let write: WriteRules | undefined = config.write;
  if (readOnly.length > 0) {
    const base: WriteRules = write ?? { serverOwned: [], allowForRoles: {}, onViolation: 'reject', caseInsensitive: true, allowNonJson: false, methods: [...DEFAULT_WRITE_METHODS] };
    write = { ...base, serverOwned: union(base.serverOwned, readOnly) };
  }
  let read: ReadRules | undefined = config.read;
  if (writeOnly.length > 0) {
    const base: ReadRules = read ?? { remove: [], mask: {}, perRole: {}, allowNonJson: false };
    const perRole: ReadRules['perRole'] = {};
    for (const [role, variant] of Object.entries(base.perRole)) perRole[role] = { ...variant, remove: union(variant.remove, writeOnly) };
    read = { ...base, remove: union(base.remove, writeOnly), perRole };
  }
  const out: PropertyLevelConfig = {};
  if (write !== undefined) out.write = write;
  if (read !== undefined) out.read = read;
  return out;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
