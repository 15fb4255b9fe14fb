/**
 * The running configuration as the admin API shows it: every value that may be a secret
 * replaced, whatever policy it belongs to — by the name of its key (secret, password, token,
 * hash, key material …) and by its form (URLs with credentials).
 */

const SECRET_NAME = /secret|passw|token|hash|credential|private|apikey|api_key|cookie|authorization|^key$|signingkey|hmac/i;
const REDACTED = '[redacted]';

/**
 * A deep copy with secrets replaced by `[redacted]`.
 *
 * @example
 * ```ts
 * redactConfig({ store: { url: 'redis://:pw@h:6379' } }) // { store: { url: 'redis://:[redacted]@h:6379' } }
 * ```
 */
export function redactConfig(value: unknown, depth = 0): unknown {
  if (depth > 64) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, depth + 1));
  if (typeof value === 'string') return redactUrl(value);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_NAME.test(k) && (typeof v === 'string' || typeof v === 'number') ? REDACTED : redactConfig(v, depth + 1);
  }
  return out;
}

function redactUrl(value: string): string {
  const at = value.indexOf('@');
  const scheme = value.indexOf('://');
  if (at === -1 || scheme === -1 || at < scheme) return value;
  const userinfo = value.slice(scheme + 3, at);
  if (userinfo.includes('/')) return value;
  const colon = userinfo.indexOf(':');
  return `${value.slice(0, scheme + 3)}${colon === -1 ? REDACTED : `${userinfo.slice(0, colon)}:${REDACTED}`}${value.slice(at)}`;
}
