/**
 * Checks a schema-valid configuration for what a schema cannot say: references between sections,
 * duplicate routes, listener combinations, files that must exist, parseable address lists.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigIssue } from '../core/config-error.js';
import { compileIpList, IpListError } from '../core/ip.js';
import { parseTemplate } from './route-template.js';
import type { GatewayConfig } from './schema.js';

/**
 * Every semantic issue of a schema-valid config (errors and warnings).
 *
 * @example
 * ```ts
 * semanticIssues(config, '/etc/portcullis') // [{ path: ['routes', 2, 'upstream'], message: "no upstream named 'x'…", severity: 'error' }]
 * ```
 */
export function semanticIssues(config: GatewayConfig, baseDir: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const error = (path: ConfigIssue['path'], message: string) => issues.push({ path, message, severity: 'error' });
  const warn = (path: ConfigIssue['path'], message: string) => issues.push({ path, message, severity: 'warning' });

  const { server } = config;
  if (!server.https && !server.http) error(['server'], 'configure at least one listener: server.https (recommended) or server.http');
  if (server.http) {
    if (server.http.redirect && !server.https) error(['server', 'http', 'redirect'], 'redirects to HTTPS need server.https; set redirect: false to serve plain HTTP');
    if (!server.http.redirect) warn(['server', 'http', 'redirect'], 'serves traffic over plain HTTP: credentials and data travel unencrypted unless a TLS-terminating proxy sits in front');
    if (server.https && server.http.port !== 0 && server.http.port === server.https.port && server.http.host === server.https.host) {
      error(['server', 'http', 'port'], 'the HTTP and HTTPS listeners cannot share a port');
    }
  }
  if (server.https) {
    for (const field of ['cert', 'key'] as const) {
      const file = resolve(baseDir, server.https[field]);
      try {
        accessSync(file, constants.R_OK);
      } catch {
        error(['server', 'https', field], `file '${server.https[field]}' does not exist or cannot be read`);
      }
    }
  }
  try {
    compileIpList(server.trustedProxies);
  } catch (e) {
    if (e instanceof IpListError) error(['server', 'trustedProxies', e.index], e.message);
    else throw e;
  }

  for (const [name, upstream] of Object.entries(config.upstreams)) {
    let url: URL | undefined;
    try {
      url = new URL(upstream.url);
    } catch {
      error(['upstreams', name, 'url'], 'is not a valid URL');
    }
    if (url && (url.username || url.password)) error(['upstreams', name, 'url'], 'must not carry credentials; use a policy that injects them');
  }

  const seen = new Map<string, number>();
  config.routes.forEach((route, i) => {
    if (!Object.hasOwn(config.upstreams, route.upstream)) {
      error(['routes', i, 'upstream'], `no upstream named '${route.upstream}' (known: ${Object.keys(config.upstreams).join(', ') || 'none'})`);
    }
    const parsed = parseTemplate(route.path);
    if (typeof parsed === 'string') {
      error(['routes', i, 'path'], parsed);
      return;
    }
    for (const method of route.methods) {
      // Two templates that differ only in parameter names are the same route to the router.
      const key = `${method} ${parsed.routerPath.replace(/:[A-Za-z0-9_]+/g, ':')}`;
      const first = seen.get(key);
      if (first !== undefined) error(['routes', i, 'path'], `${method} ${route.path} is already routed by routes[${first}]`);
      else seen.set(key, i);
    }
  });
  return issues;
}
