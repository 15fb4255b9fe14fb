/**
 * OpenTelemetry through a real gateway: the caller's W3C trace continues through the gateway's
 * spans (server, one per policy step, the upstream call) to the upstream, and the spans reach an
 * OTLP/HTTP collector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from './helpers/client.js';
import { startTestGateway } from './helpers/gateway.js';

interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }

test('the trace of a request continues through the gateway to the upstream and reaches the collector', async (t) => {
  const batches: string[] = [];
  const collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      if (req.url === '/v1/traces') batches.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => collector.listen(0, '127.0.0.1', ok));
  t.after(() => collector.close());
  const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const gw = await startTestGateway({ tls: false, config: { outbound: { allow: [collectorUrl] }, tracing: { otlpEndpoint: collectorUrl } } });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const clientSpan = '00f067aa0ba902b7';
  assert.equal((await send(`${gw.url}/api/x`, { headers: { traceparent: `00-${traceId}-${clientSpan}-01` } })).status, 200);
  await gw.upstream.recorded(1);
  const upstreamParent = String(gw.upstream.requests[0]!.headers.traceparent);
  await gw.close();
  const spans = batches.flatMap((b) => (JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Span[] }> }> }).resourceSpans[0]!.scopeSpans[0]!.spans);
  const server = spans.find((s) => s.kind === 2)!;
  const upstream = spans.find((s) => s.kind === 3)!;
  assert.equal(server.traceId, traceId);
  assert.equal(server.parentSpanId, clientSpan);
  assert.equal(upstream.parentSpanId, server.spanId);
  assert.equal(upstreamParent, `00-${traceId}-${upstream.spanId}-01`);
  assert.ok(spans.some((s) => s.kind === 1 && s.name === 'policy size-limit' && s.parentSpanId === server.spanId));
});

test('without tracing the caller\'s traceparent passes through unchanged', async (t) => {
  const gw = await startTestGateway({ tls: false });
  t.after(() => gw.close());
  const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  await send(`${gw.url}/api/x`, { headers: { traceparent: header } });
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.headers.traceparent, header);
});
