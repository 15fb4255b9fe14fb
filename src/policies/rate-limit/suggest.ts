/**
 * `check`'s advice for routes that look like credential or account flows (login, token, password
 * reset, signup): the places attackers brute-force and automate (OWASP API2:2023 broken
 * authentication, API6:2023 sensitive business flows), which deserve a strict limit of their own.
 */

/** The parts of a route that {@link suggestStricterLimits} reads. */
export interface RouteForSuggestion {
  /** The path template (`/api/v1/password-reset`). */
  readonly path: string;
  /** The route's own policies (not the defaults'): a route-level `rate-limit` counts, `false` does not. */
  readonly policies?: Readonly<Record<string, unknown>>;
}

// A path segment (not a {param}) that is one of these words, alone or joined to others by - _ .
const SENSITIVE = /(?:^|[-_.])(log-?in|log-?on|sign-?in|sign-?on|sign-?up|token|oauth2?|password|passwd|reset|forgot|register|registration|otp|mfa|2fa|verify|activate|invite)(?:[-_.]|$)/i;

/** What each kind of flow should get, as an example to paste. */
function example(word: string): string {
  const w = word.toLowerCase().replace(/-/g, '');
  if (w === 'signup' || w === 'register' || w === 'registration' || w === 'invite' || w === 'activate') return '{ name: signup, rate: 3/hour, key: ip }';
  if (w === 'password' || w === 'passwd' || w === 'reset' || w === 'forgot') return '{ name: password-reset, rate: 5/15m, key: ip }';
  return '{ name: login, rate: 10/min, key: ip }';
}

/**
 * Advice for a route that looks like a login, token, password-reset or signup endpoint and has no
 * rate-limit of its own (a generous per-principal limit in the defaults does not stop a password
 * guesser, who has no principal yet). Undefined when the route looks ordinary or has its own limit.
 *
 * @example
 * ```ts
 * suggestStricterLimits({ path: '/api/v1/password-reset', policies: {} })
 * // "looks like a password reset flow and has no rate-limit of its own: …"
 * suggestStricterLimits({ path: '/api/v1/tasks/{taskId}', policies: {} }) // undefined
 * ```
 */
export function suggestStricterLimits(route: RouteForSuggestion): string | undefined {
  const own = route.policies?.['rate-limit'];
  if (own !== undefined && own !== false && own !== null) return undefined;
  for (const segment of route.path.split('/')) {
    if (segment === '' || segment.startsWith('{') || segment === '*') continue;
    const m = SENSITIVE.exec(segment);
    if (m === null) continue;
    const rule = example(m[1]!);
    const kind = rule.includes('signup') ? 'a signup' : rule.includes('password-reset') ? 'a password reset' : 'a login or token';
    return `looks like ${kind} flow ('${segment}') and has no rate-limit of its own; attackers brute-force and automate such routes (OWASP API2, API6): add a strict per-IP limit, e.g. rate-limit: { limits: [${rule}], failureMode: closed }`;
  }
  return undefined;
}
