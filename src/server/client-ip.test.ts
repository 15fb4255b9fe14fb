import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createClientIpResolver } from './client-ip.js';

/** A request as the resolver sees it: the socket's peer address and the headers. */
function req(remoteAddress: string | undefined, forwardedFor?: string): IncomingMessage {
  const headers: Record<string, string> = {};
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

const TRUSTED = ['10.0.0.0/8', '127.0.0.1'];

test('without trusted proxies the peer address is the client, whatever X-Forwarded-For says', () => {
  assert.equal(createClientIpResolver([])(req('198.51.100.7', '203.0.113.9')), '198.51.100.7');
});

test('an untrusted peer\'s X-Forwarded-For is ignored', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('198.51.100.7', '203.0.113.9')), '198.51.100.7');
});

test('a trusted peer\'s single hop is the client', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '203.0.113.9')), '203.0.113.9');
});

test('the rightmost hop that is not a trusted proxy is the client', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '192.0.2.66, 203.0.113.9, 10.0.0.9')), '203.0.113.9');
});

test('hops left of the first untrusted one are ignored (a client can write anything there)', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '10.1.1.1, 203.0.113.9')), '203.0.113.9');
});

test('when every hop is a trusted proxy the leftmost is the client', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '10.0.0.7, 10.0.0.9')), '10.0.0.7');
});

test('a trusted peer without X-Forwarded-For is the client', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5')), '10.0.0.5');
});

test('an empty X-Forwarded-For leaves the peer as the client', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '')), '10.0.0.5');
});

test('a garbage rightmost hop stops the walk at the trusted peer', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '203.0.113.9, not-an-ip')), '10.0.0.5');
});

test('a garbage hop behind trusted hops stops the walk at the last trusted hop', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '203.0.113.9, <script>, 10.0.0.9')), '10.0.0.9');
});

test('garbage left of the client hop does not matter', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', 'garbage, 203.0.113.9')), '203.0.113.9');
});

test('an empty hop is garbage', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '203.0.113.9,,10.0.0.9')), '10.0.0.9');
});

test('an address with a port is garbage, not an address', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '203.0.113.9:4711')), '10.0.0.5');
});

test('whitespace around hops is ignored', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '  203.0.113.9  ,10.0.0.9 ')), '203.0.113.9');
});

test('an IPv4-mapped IPv6 peer is the IPv4 address it carries', () => {
  assert.equal(createClientIpResolver([])(req('::ffff:198.51.100.7')), '198.51.100.7');
});

test('an IPv4-mapped IPv6 peer matches a trusted IPv4 proxy', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('::ffff:127.0.0.1', '203.0.113.9')), '203.0.113.9');
});

test('an IPv4-mapped hop is returned as IPv4', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '::ffff:203.0.113.9')), '203.0.113.9');
});

test('an IPv4-mapped hop of a trusted proxy is skipped like the IPv4 address', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '203.0.113.9, ::ffff:10.0.0.9')), '203.0.113.9');
});

test('an IPv6 hop is returned in lower case', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req('10.0.0.5', '2001:DB8::1')), '2001:db8::1');
});

test('a trusted IPv6 proxy range is honoured', () => {
  assert.equal(createClientIpResolver(['fd00::/8'])(req('fd00::1', '2001:db8::7, fd00::2')), '2001:db8::7');
});

test('a socket without a peer address (already closed) gives 0.0.0.0, never a header value', () => {
  assert.equal(createClientIpResolver(TRUSTED)(req(undefined, '203.0.113.9')), '0.0.0.0');
});

test('each request on a kept-alive connection reads its own X-Forwarded-For', () => {
  const resolve = createClientIpResolver(TRUSTED);
  const socket = { remoteAddress: '10.0.0.5' };
  const first = { socket, headers: { 'x-forwarded-for': '203.0.113.1' } } as unknown as IncomingMessage;
  const second = { socket, headers: { 'x-forwarded-for': '203.0.113.2' } } as unknown as IncomingMessage;
  assert.equal(resolve(first), '203.0.113.1');
  assert.equal(resolve(second), '203.0.113.2');
});
