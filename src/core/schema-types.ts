/**
 * Field types shared by the config schema and every policy's schema, defined once (Kong's
 * `typedefs`): ports, URLs, timeouts, sizes, header names. Each carries a description and, where
 * one makes sense, a safe default given by the caller.
 */
import { Type, type TSchema } from '@sinclair/typebox';

/** Common options every field takes: its description (required) and a default. */
export interface FieldOptions<T = unknown> {
  /** What the field means; becomes the docs and the editor tooltip. */
  readonly description: string;
  /** Safe default. */
  readonly default?: T;
}

/**
 * A TCP port (0 = any free port).
 *
 * @example
 * ```ts
 * port({ description: 'HTTPS port.', default: 8443 })
 * ```
 */
export function port(options: FieldOptions<number>) {
  return Type.Integer({ minimum: 0, maximum: 65535, ...options });
}

/**
 * A duration in milliseconds, bounded so that a typo cannot disable a timeout.
 *
 * @example
 * ```ts
 * durationMs({ description: 'Connect timeout.', default: 5000 })
 * ```
 */
export function durationMs(options: FieldOptions<number> & { readonly minimum?: number; readonly maximum?: number }) {
  return Type.Integer({ minimum: 1, maximum: 24 * 3600 * 1000, ...options });
}

/**
 * A size in bytes.
 *
 * @example
 * ```ts
 * bytes({ description: 'Largest body.', default: 1048576 })
 * ```
 */
export function bytes(options: FieldOptions<number> & { readonly minimum?: number; readonly maximum?: number }) {
  return Type.Integer({ minimum: 0, maximum: 2 ** 40, ...options });
}

/**
 * An http or https URL (checked for scheme by the compiler, which can also say why).
 *
 * @example
 * ```ts
 * httpUrl({ description: 'Where the upstream listens.' })
 * ```
 */
export function httpUrl(options: FieldOptions<string>) {
  return Type.String({ pattern: '^https?://[^\\s/?#]+(?:/[^\\s?#]*)?$', minLength: 8, maxLength: 2048, ...options });
}

/**
 * An HTTP header field name (RFC 9110 token).
 *
 * @example
 * ```ts
 * Type.Array(headerName({ description: 'A header to strip.' }))
 * ```
 */
export function headerName(options: FieldOptions<string>) {
  return Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", minLength: 1, maxLength: 256, ...options });
}

/**
 * An IP address or CIDR range, IPv4 or IPv6 (parsed and checked by the compiler).
 *
 * @example
 * ```ts
 * Type.Array(ipOrCidr({ description: 'A trusted proxy.' }))
 * ```
 */
export function ipOrCidr(options: FieldOptions<string>) {
  return Type.String({ minLength: 2, maxLength: 64, pattern: '^[0-9A-Fa-f:.]+(?:/\\d{1,3})?$', ...options });
}

/**
 * A strict object: unknown keys are refused, so a typo in a YAML key is an error, not a silently
 * ignored setting.
 *
 * @example
 * ```ts
 * strictObject({ port: port({ description: 'Port.', default: 80 }) }, { description: 'A listener.' })
 * ```
 */
export function strictObject<P extends Record<string, TSchema>>(properties: P, options: FieldOptions<Record<string, unknown>>) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/**
 * A string that must be one of a fixed set, as a JSON Schema `enum` (one clear error message,
 * unlike a union of literals) with the literal union as its TypeScript type.
 *
 * @example
 * ```ts
 * stringEnum(['TLSv1.2', 'TLSv1.3'] as const, { description: 'Lowest TLS version.', default: 'TLSv1.2' })
 * ```
 */
export function stringEnum<const T extends readonly string[]>(values: T, options: FieldOptions<T[number]>) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
