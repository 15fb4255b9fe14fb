/**
 * The client's IP address. X-Forwarded-For is believed only when the connection comes from a
 * configured trusted proxy, and then only up to the rightmost address that is not itself a
 * trusted proxy: everything left of it was written by someone we do not trust.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { compileIpList, normalizeIp } from '../core/ip.js';

const PEER = Symbol('portcullis.peer');

/** The connection's peer address, normalised once per connection. */
function peerOf(req: IncomingMessage): string {
  const socket = req.socket as Socket & { [PEER]?: string };
  return (socket[PEER] ??= normalizeIp(socket.remoteAddress ?? '') ?? '0.0.0.0');
}

/** Resolves the client IP of a request. */
export type ClientIpResolver = (req: IncomingMessage) => string;

/**
 * Compiles a resolver for a list of trusted proxies (addresses or CIDRs).
 *
 * @example
 * ```ts
 * const clientIp = createClientIpResolver(['10.0.0.0/8']);
 * clientIp(req) // '203.0.113.7' when 10.0.0.5 forwarded "203.0.113.7, 10.0.0.9"
 * ```
 */
export function createClientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  if (trustedProxies.length === 0) return peerOf;
  const trusted = compileIpList(trustedProxies);
  // Whether the peer is trusted is fixed for the connection; keep-alive requests reuse the answer.
  const peerTrusted = new WeakMap<Socket, boolean>();
  return (req) => {
    const peer = peerOf(req);
    let isTrusted = peerTrusted.get(req.socket);
    if (isTrusted === undefined) peerTrusted.set(req.socket, (isTrusted = trusted.has(peer)));
    if (!isTrusted) return peer;
    const header = req.headers['x-forwarded-for'];
    if (typeof header !== 'string' || header === '') return peer;
    let client = peer;
    let end = header.length;
    // Walk from the right: each hop was appended by the proxy to its right.
    while (end > 0) {
      const comma = header.lastIndexOf(',', end - 1);
      const hop = normalizeIp(header.slice(comma + 1, end));
      if (hop === undefined) return client; // garbage: stop at the last hop a trusted proxy vouched for
      client = hop;
      if (!trusted.has(hop)) return hop;
      end = comma === -1 ? 0 : comma;
    }
    return client;
  };
}

/** Tells whether a plain-HTTP request reached a TLS-terminating trusted proxy over https. */
export type ForwardedHttpsResolver = (req: IncomingMessage) => boolean;

/**
 * Compiles the X-Forwarded-Proto rule: believed only from a trusted proxy, and only the value
 * the nearest proxy appended (the last of a list). Behind such a proxy the gateway's plain-HTTP
 * listener answers as HTTPS (HSTS included).
 *
 * @example
 * ```ts
 * const viaHttps = createForwardedHttpsResolver(['10.0.0.0/8']);
 * viaHttps(req) // true when 10.0.0.5 sent X-Forwarded-Proto: https
 * ```
 */
export function createForwardedHttpsResolver(trustedProxies: readonly string[]): ForwardedHttpsResolver {
  if (trustedProxies.length === 0) return () => false;
  const trusted = compileIpList(trustedProxies);
  const peerTrusted = new WeakMap<Socket, boolean>();
  return (req) => {
    const header = req.headers['x-forwarded-proto'];
    if (typeof header !== 'string') return false;
    let isTrusted = peerTrusted.get(req.socket);
    if (isTrusted === undefined) peerTrusted.set(req.socket, (isTrusted = trusted.has(peerOf(req))));
    if (!isTrusted) return false;
    const comma = header.lastIndexOf(',');
    return (comma === -1 ? header : header.slice(comma + 1)).trim().toLowerCase() === 'https';
  };
}
