/**
 * transform: the request the upstream receives. Identity headers (X-User-Id …) are set from the
 * authenticated principal after any client-sent copy was removed, so an upstream that trusts them
 * (as many do) is told the truth.
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     transform:
 *       request:
 *         identityHeaders: { x-user-id: id, x-user-roles: roles }
 * ```
 */
import { definePolicy, type CompiledPolicy } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import { TransformSchema, type TransformConfig } from './schema.js';

export { TransformSchema, type TransformConfig } from './schema.js';

type Reader = (principal: Principal) => string | undefined;

export default definePolicy({
  name: 'transform',
  phase: 'validate',
  description: 'Transforms the request forwarded upstream: identity headers from the authenticated caller.',
  schema: TransformSchema,
  errors: {},
  compile(config: TransformConfig): CompiledPolicy {
    const entries = Object.entries(config.request.identityHeaders).map(([header, field]) => [header.toLowerCase(), reader(field)] as const);
    if (entries.length === 0) return {};
    const names = entries.map(([h]) => h);
    return {
      stripRequestHeaders: names,
      onRequest(ctx) {
        const principal = ctx.principal;
        if (principal === undefined) return;
        for (const [header, read] of entries) {
          const value = read(principal);
          if (value !== undefined) ctx.addUpstreamHeader(header, value);
        }
      },
    };
  },
});

function reader(field: string): Reader {
  if (field.startsWith('attributes.')) {
    const name = field.slice('attributes.'.length);
    return (p) => headerValue(p.attributes[name]);
  }
  const key = field as 'id' | 'kind' | 'roles' | 'scopes' | 'method' | 'credentialId';
  return (p) => headerValue(p[key]);
}

// Header values from identity data: plain text only. Anything with control or non-ASCII
// characters is percent-encoded, so a claim can never split or smuggle a header.
const SAFE = /^[\x20-\x7e]*$/;

function headerValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = Array.isArray(value) ? value.map(scalar).join(',') : scalar(value);
  return SAFE.test(text) ? text.trim() : encodeURIComponent(text);
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value) ?? '';
}
