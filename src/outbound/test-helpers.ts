/**
 * Helpers for SSRF tests: a DNS resolver under the test's control (no real DNS: unknown names
 * fail like NXDOMAIN), one that rebinds, and servers on 127.0.0.1:0 that count connections.
 * Test-only (excluded from the build by name).
 */
import { channel } from 'node:diagnostics_channel';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { HostResolver } from '../core/outbound.js';

/** A resolver that records every name it was asked. */
export interface TestResolver {
  readonly resolve: HostResolver;
  /** Names asked, in order. */
  readonly asked: string[];
}

function family(address: string): 4 | 6 {
  return net.isIP(address) === 6 ? 6 : 4;
}

/**
 * A resolver answering from a table (name → addresses); any other name fails with ENOTFOUND.
 *
 * @example
 * ```ts
 * const dns = tableResolver({ 'localtest.me': ['127.0.0.1'] });
 * createOutboundClient({ …, resolve: dns.resolve });
 * ```
 */
export function tableResolver(table: Readonly<Record<string, readonly string[]>>): TestResolver {
  const asked: string[] = [];
  return {
    asked,
    resolve(hostname: string) {
      asked.push(hostname);
      const found = Object.hasOwn(table, hostname) ? table[hostname] : undefined;
      if (found === undefined) return Promise.reject(Object.assign(new Error(`test resolver: ${hostname} not found`), { code: 'ENOTFOUND' }));
      return Promise.resolve(found.map((address) => ({ address, family: family(address) })));
    },
  };
}

/**
 * A resolver whose first answer is `first` and every later one `then` (DNS rebinding).
 *
 * @example
 * ```ts
 * const dns = rebindingResolver('2001:10::1', '127.0.0.1');
 * ```
 */
export function rebindingResolver(first: string, then: string): TestResolver {
  const asked: string[] = [];
  return {
    asked,
    resolve(hostname: string) {
      asked.push(hostname);
      const address = asked.length === 1 ? first : then;
      return Promise.resolve([{ address, family: family(address) }]);
    },
  };
}

/**
 * An address every rule here treats as public that nothing routes to (the deprecated ORCHID
 * prefix 2001:10::/28): a pinned connection to it fails or times out without reaching any host.
 */
export const UNROUTED_PUBLIC = '2001:10::1';

/**
 * A TCP server on 127.0.0.1:0 that counts the connections it accepts (and closes them).
 *
 * @example
 * ```ts
 * const sink = await countingServer(t);
 * … ; assert.equal(sink.connections(), 0);
 * ```
 */
export async function countingServer(t: TestContext): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, connections: () => count };
}

/**
 * An HTTP server on 127.0.0.1:0 with a handler, counting requests.
 *
 * @example
 * ```ts
 * const s = await httpServer(t, (_req, res) => res.end('ok'));
 * ```
 */
export async function httpServer(t: TestContext, handler: http.RequestListener): Promise<{ port: number; origin: string; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const port = (server.address() as AddressInfo).port;
  return { port, origin: `http://127.0.0.1:${port}`, hits: () => hits };
}

/**
 * Records the address of every outgoing TCP connection attempt of this process (node's
 * `net.client.socket` channel) while the test runs.
 *
 * @example
 * ```ts
 * const attempts = recordConnectionAttempts(t);
 * … ; assert.deepEqual(attempts, ['2001:10::1']);
 * ```
 */
export function recordConnectionAttempts(t: TestContext): string[] {
  const attempts: string[] = [];
  const onSocket = (message: unknown) => {
    const socket = (message as { socket: net.Socket }).socket;
    socket.on('connectionAttempt', (ip: string) => attempts.push(ip));
  };
  const sockets = channel('net.client.socket');
  sockets.subscribe(onSocket);
  t.after(() => sockets.unsubscribe(onSocket));
  return attempts;
}
