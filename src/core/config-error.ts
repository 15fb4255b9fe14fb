/**
 * A configuration mistake: where it is (a path into the YAML document) and why it is wrong.
 * Thrown at load and compile time only; never on the request path.
 */

/** One path segment: an object key or an array index. */
export type ConfigPath = ReadonlyArray<string | number>;

/** One mistake found in a configuration file. */
export interface ConfigIssue {
  /** Where in the document, as segments (`['routes', 0, 'upstream']`). */
  readonly path: ConfigPath;
  /** Why it is wrong, in words an operator can act on. */
  readonly message: string;
  /** `error` stops the load; `warning` is printed by `check` but the file still loads. */
  readonly severity: 'error' | 'warning';
  /** 1-based line in the YAML file, when known. */
  line?: number;
  /** 1-based column in the YAML file, when known. */
  column?: number;
}

/**
 * Formats a path the way an operator reads YAML: `routes[0].policies.size-limit.maxBodyBytes`.
 *
 * @example
 * ```ts
 * formatPath(['routes', 0, 'upstream']) // 'routes[0].upstream'
 * ```
 */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Thrown when a configuration cannot be loaded; carries every issue found, not just the first.
 *
 * @example
 * ```ts
 * throw new ConfigError([{ path: ['upstreams', 'api', 'url'], message: 'must be an http(s) URL', severity: 'error' }]);
 * ```
 */
export class ConfigError extends Error {
  /** Stable code for callers (`err.code === 'config.invalid'`). */
  readonly code = 'config.invalid';
  /** Every issue found; at least one has severity `error`. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const first = issues.find((i) => i.severity === 'error') ?? issues[0];
    super(first ? `${formatPath(first.path)}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}` : 'invalid configuration');
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Shorthand for a single-issue ConfigError, for a policy's compile() to throw with a path relative
 * to its own config (the compiler prefixes the route's path).
 *
 * @example
 * ```ts
 * if (!isCidr(entry)) throw configError(['deny', i], `'${entry}' is not an IP address or CIDR`);
 * ```
 */
export function configError(path: ConfigPath, message: string): ConfigError {
  return new ConfigError([{ path, message, severity: 'error' }]);
}
