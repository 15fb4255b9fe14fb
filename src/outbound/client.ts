/**
 * The gateway's one outbound HTTP client. Every request of its own (JWKS, discovery,
 * introspection, later lookups and webhooks) goes through here: https only, the host resolved
 * and every address checked before connecting (the connection uses the checked address, so DNS
 * cannot change between check and use), no redirects followed, an overall deadline and a bound on
 * the response size. Origins listed in `outbound.allow` (the demo's identity provider on
 * loopback) are an explicit exception to the scheme and address rules.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { OutboundError, type OutboundClient, type OutboundRequest, type OutboundResponse } from '../core/outbound.js';
import { nonPublicAddresses } from './address-policy.js';

/** Settings of the outbound client (the config's `outbound` section). */
export interface OutboundOptions {
  /** Default overall deadline, ms. */
  readonly timeoutMs: number;
  /** Default response-size bound, bytes. */
  readonly maxResponseBytes: number;
  /** Origins (`http://localhost:9000`) exempt from the https and public-address rules. */
  readonly allow: readonly string[];
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Creates the client.
 *
 * @example
 * ```ts
 * const outbound = createOutboundClient({ timeoutMs: 5000, maxResponseBytes: 1_048_576, allow: [] });
 * const res = await outbound.request({ url: 'https://idp.example.com/jwks.json' });
 * ```
 */
export function createOutboundClient(options: OutboundOptions): OutboundClient & { close(): Promise<void> } {
  const blocked = nonPublicAddresses();
  const allowed = new Set(options.allow.map((o) => new URL(o).origin));
  const guardedLookup = (hostname: string, opts: object, callback: LookupCallback) => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses;
      const bad = list.find((a) => blocked.has(a.address));
      if (bad !== undefined || list.length === 0) {
        return callback(new OutboundError('outbound.blocked', `${hostname} resolves to a non-public address`), []);
      }
      // Node asks for all addresses when autoSelectFamily is on, else for one.
      if ((opts as { all?: boolean }).all === true) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
  const guarded = new Agent({ connect: { lookup: guardedLookup }, keepAliveTimeout: 10_000 });
  const trusted = new Agent({ keepAliveTimeout: 10_000 });

  return {
    async request(req: OutboundRequest): Promise<OutboundResponse> {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        throw new OutboundError('outbound.blocked', 'not a valid URL');
      }
      const isAllowed = allowed.has(url.origin);
      if (!isAllowed) {
        if (url.protocol !== 'https:') throw new OutboundError('outbound.blocked', `${url.origin}: only https is allowed`);
        if (url.username !== '' || url.password !== '') throw new OutboundError('outbound.blocked', 'credentials in URLs are not allowed');
        const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
        // Literal addresses skip DNS (and so the lookup hook): check them here.
        if (isIP(host) !== 0 && blocked.has(host)) throw new OutboundError('outbound.blocked', `${host} is not a public address`);
      }
      const timeoutMs = req.timeoutMs ?? options.timeoutMs;
      const maxBytes = req.maxBytes ?? options.maxResponseBytes;
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const res = await request(url, {
          method: req.method ?? 'GET',
          headers: req.headers,
          body: req.body,
          dispatcher: isAllowed ? trusted : guarded,
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        // Abandoning a body makes undici emit an abort error on it: nobody else listens for it.
        res.body.on('error', () => undefined);
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          res.body.destroy();
          throw new OutboundError('outbound.too_large', `response of ${declared} bytes exceeds ${maxBytes}`);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxBytes) {
            res.body.destroy();
            throw new OutboundError('outbound.too_large', `response exceeds ${maxBytes} bytes`);
          }
          chunks.push(chunk);
        }
        return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) };
      } catch (error) {
        if (error instanceof OutboundError) throw error;
        const cause = (error as { cause?: unknown }).cause;
        if (cause instanceof OutboundError) throw cause;
        if (signal.aborted || (error as { code?: string }).code?.includes('TIMEOUT') === true) throw new OutboundError('outbound.timeout', `${url.origin}: no answer within ${timeoutMs} ms`, { cause: error });
        throw new OutboundError('outbound.failed', `${url.origin}: ${(error as Error).message}`, { cause: error });
      }
    },
    async close() {
      await Promise.all([guarded.close(), trusted.close()]);
    },
  };
}
