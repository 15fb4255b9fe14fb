import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createForwardedHttpsResolver } from './client-ip.js';

function req(remoteAddress: string, proto?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: proto === undefined ? {} : { 'x-forwarded-proto': proto } } as unknown as IncomingMessage;
}

test('X-Forwarded-Proto: https from a trusted proxy means the client used https', () => {
  assert.equal(createForwardedHttpsResolver(['10.0.0.0/8'])(req('10.1.1.1', 'https')), true);
});

test('X-Forwarded-Proto from an untrusted peer is ignored', () => {
  assert.equal(createForwardedHttpsResolver(['10.0.0.0/8'])(req('198.51.100.7', 'https')), false);
});

test('without trusted proxies X-Forwarded-Proto is never believed', () => {
  assert.equal(createForwardedHttpsResolver([])(req('10.1.1.1', 'https')), false);
});

test('only the value the nearest proxy appended counts', () => {
  assert.equal(createForwardedHttpsResolver(['10.0.0.0/8'])(req('10.1.1.1', 'https, http')), false);
  assert.equal(createForwardedHttpsResolver(['10.0.0.0/8'])(req('10.1.1.1', 'http, https')), true);
});
