/**
 * An upstream: a keep-alive undici Pool to one origin, with its timeouts, and what every
 * forwarded request needs from it (base path, Host header), computed once.
 */
import { Pool } from 'undici';
import type { GatewayConfig } from '../config/schema.js';

/** A connected upstream. */
export interface UpstreamClient {
  /** Name in the config. */
  readonly name: string;
  /** The connection pool. */
  readonly pool: Pool;
  /** Path prefix of the upstream URL without a trailing slash ('' for none). */
  readonly basePath: string;
  /** Host header sent upstream unless preserveHost. */
  readonly host: string;
  /** Send the client's Host header instead of {@link host}. */
  readonly preserveHost: boolean;
  /** Largest response body buffered for response-body policies. */
  readonly maxResponseBytes: number;
  /** Closes the pool after in-flight requests finish. */
  close(): Promise<void>;
}

/** Configuration of one upstream, as validated. */
export type UpstreamConfig = GatewayConfig['upstreams'][string];

/**
 * Creates the client for one upstream.
 *
 * @example
 * ```ts
 * const tasks = createUpstreamClient('tasks', { url: 'http://127.0.0.1:3000', connections: 128, … });
 * ```
 */
export function createUpstreamClient(name: string, config: UpstreamConfig): UpstreamClient {
  const url = new URL(config.url);
  const pool = new Pool(url.origin, {
    connections: config.connections,
    pipelining: 1,
    connect: { timeout: config.connectTimeoutMs },
    headersTimeout: config.responseTimeoutMs,
    bodyTimeout: config.bodyTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // No redirect interceptor: upstream redirects go to the client as they are, never followed.
  });
  return {
    name,
    pool,
    basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    host: url.host,
    preserveHost: config.preserveHost,
    maxResponseBytes: config.maxResponseBytes,
    close: () => pool.close(),
  };
}
