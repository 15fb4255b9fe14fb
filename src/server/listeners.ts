/**
 * The HTTP(S) servers: TLS 1.2 minimum, timeouts against slow clients, header limits, and the
 * gateway's own problem+json for what node:http refuses before a request exists (malformed
 * requests, header overflow, timeouts). The plain-HTTP listener only redirects to HTTPS.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { GatewayConfig } from '../config/schema.js';
import { rawProblemResponse } from '../core/problem.js';
import { coreDenial, refuseInFlight, VALID_HOST, type RequestListener } from './handler.js';

/** Server settings, as validated. */
export type ServerConfig = GatewayConfig['server'];

/** Node server options shared by both listeners. */
function serverOptions(config: ServerConfig): http.ServerOptions {
  // The whole request must arrive within requestTimeout, headers included; node refuses to start
  // (RangeError) when headersTimeout is the larger, so the smaller one bounds both.
  const headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  return {
    maxHeaderSize: config.maxHeaderSize,
    headersTimeout,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default, which would let a
    // slow client hold a connection far past them).
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
    // Node's own check answers a bare 400 (no problem+json, no security headers); the request
    // listeners refuse a missing Host themselves (handler.ts, the redirect listener).
    requireHostHeader: false,
    joinDuplicateHeaders: false,
  };
}

/**
 * Creates the HTTPS server (not yet listening).
 *
 * @example
 * ```ts
 * const server = createHttpsServer(config.server, { cert, key }, listener);
 * server.listen(8443);
 * ```
 */
export function createHttpsServer(config: ServerConfig, tls: { readonly cert: string | Buffer; readonly key: string | Buffer; readonly minVersion: 'TLSv1.2' | 'TLSv1.3' }, listener: RequestListener, securityHeaders: readonly string[], onRefusal?: RawRefusalListener): https.Server {
  const server = https.createServer({
    ...serverOptions(config),
    cert: tls.cert,
    key: tls.key,
    minVersion: tls.minVersion,
    maxVersion: 'TLSv1.3',
    honorCipherOrder: true,
  }, listener);
  harden(server, config, securityHeaders, onRefusal);
  // Without this, node answers `Expect: 100-continue` itself before any policy ran, and the
  // client uploads a body that size-limit then refuses. The proxy sends 100 when it forwards.
  server.on('checkContinue', listener);
  // Failed handshakes (old TLS versions, scanners) are the client's problem; they must not
  // surface as errors of ours.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return server;
}

/**
 * Creates a plain-HTTP server that serves `listener` (only when `redirect: false`).
 *
 * @example
 * ```ts
 * createPlainServer(config.server, listener, []).listen(8080);
 * ```
 */
export function createPlainServer(config: ServerConfig, listener: RequestListener, securityHeaders: readonly string[], onRefusal?: RawRefusalListener): http.Server {
  const server = http.createServer(serverOptions(config), listener);
  harden(server, config, securityHeaders, onRefusal);
  server.on('checkContinue', listener);
  return server;
}

/**
 * Creates the redirect-only listener: every request gets 308 to the same path on HTTPS.
 *
 * @example
 * ```ts
 * createRedirectServer(config.server, 8443).listen(8080);
 * ```
 */
export function createRedirectServer(config: ServerConfig, httpsPort: number, onRefusal?: RawRefusalListener): http.Server {
  const portSuffix = httpsPort === 443 ? '' : `:${httpsPort}`;
  const server = http.createServer(serverOptions(config), (req, res) => {
    const host = req.headers.host ?? '';
    const url = req.url ?? '/';
    if (!VALID_HOST.test(host) || !url.startsWith('/')) {
      const denial = coreDenial('request.bad_request');
      res.shouldKeepAlive = false;
      res.writeHead(denial.status, { 'content-type': 'application/problem+json' });
      res.end(`${denial.bodyPrefix},"requestId":"${randomUUID()}"}`);
      return;
    }
    const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
    const location = `https://${hostname}${portSuffix}${url}`;
    const body = JSON.stringify({ location });
    res.writeHead(308, { location, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  harden(server, config, [], onRefusal);
  return server;
}

/** Told of every request refused before a request object existed (for the access log). */
export type RawRefusalListener = (code: string, requestId: string, remoteAddress: string | undefined) => void;

function harden(server: http.Server, config: ServerConfig, securityHeaders: readonly string[], onRefusal: RawRefusalListener | undefined): void {
  // One more than allowed, so the request handler can see that the limit was passed (node drops
  // the excess silently) and answer 431.
  server.maxHeadersCount = config.maxHeadersCount + 1;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const code = err.code === 'HPE_HEADER_OVERFLOW' ? 'request.headers_too_large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT' ? 'request.timeout'
        : 'request.bad_request';
    // A request already handed to the listener (its body still arriving when requestTimeout
    // fires) is answered through its own response, so its id and status reach the access log.
    // Any other response in flight on this connection (already started, or for an earlier
    // pipelined request) must not be followed by a raw status line: cut the connection.
    const inFlight = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (inFlight) {
      if (inFlight.req.complete || !refuseInFlight(inFlight, code)) socket.destroy();
      return;
    }
    const requestId = randomUUID();
    socket.end(rawProblemResponse(coreDenial(code), requestId, securityHeaders));
    // Slowloris and malformed requests must be visible in the logs like any other refusal.
    onRefusal?.(code, requestId, socket.remoteAddress);
  });
}
