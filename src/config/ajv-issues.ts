/**
 * Turns Ajv's errors into config issues an operator can act on: one per place, with the path as
 * segments and a reason in plain words (unknown key, missing key, wrong type, allowed values).
 */
import type { ErrorObject } from 'ajv';
import type { ConfigIssue, ConfigPath } from '../core/config-error.js';

/**
 * Maps Ajv errors to issues, prefixed with `base` (where the validated value sits in the file).
 *
 * @example
 * ```ts
 * if (!validate(value)) issues.push(...ajvIssues(validate.errors ?? [], ['routes', 0, 'policies', 'size-limit']));
 * ```
 */
export function ajvIssues(errors: readonly ErrorObject[], base: ConfigPath = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // anyOf/oneOf summaries repeat what their branches said.
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const path = [...base, ...pointerToPath(e.instancePath)];
    const params = e.params as Record<string, unknown>;
    let message: string;
    switch (e.keyword) {
      case 'additionalProperties':
        path.push(String(params.additionalProperty));
        message = 'unknown key (not part of the configuration schema; check the spelling)';
        break;
      case 'required':
        path.push(String(params.missingProperty));
        message = 'is required';
        break;
      case 'type':
        message = `must be ${article(String(params.type))}`;
        break;
      case 'enum':
        message = `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'const':
        message = `must be ${JSON.stringify(params.allowedValue)}`;
        break;
      case 'pattern':
        message = `has an invalid format (expected to match ${String(params.pattern)})`;
        break;
      default:
        message = e.message ?? `fails ${e.keyword}`;
    }
    const key = `${JSON.stringify(path)}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message, severity: 'error' });
  }
  return out;
}

function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((raw) => {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(seg) ? Number(seg) : seg;
  });
}

function article(type: string): string {
  if (type === 'object') return 'a mapping (object)';
  if (type === 'array') return 'a list';
  if (type === 'integer') return 'an integer';
  return `a ${type}`;
}
