/**
 * Requests node's HTTP parser refuses (ambiguous framing that enables request smuggling,
 * malformed heads and bodies) get the gateway's problem+json 400 and never reach the upstream
 * whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResponse, rawExchange, rawProblemOf } from './helpers/client.js';
import { startTestGateway } from './helpers/gateway.js';

const MALFORMED: Record<string, string> = {
  'Content-Length together with Transfer-Encoding': 'POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'two different Content-Lengths': 'POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
  'a Content-Length that is not a number': 'POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4x\r\n\r\nabcd',
  'a chunk size that is not hex': 'POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  'whitespace between a header name and the colon': 'GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Foo : bar\r\n\r\n',
  'a bare LF line ending in the head': 'GET /api/x HTTP/1.1\nHost: localhost\n\n',
  'an unknown HTTP version': 'GET /api/x HTTP/3.7\r\nHost: localhost\r\n\r\n',
};

for (const [what, request] of Object.entries(MALFORMED)) {
  test(`a request with ${what} is 400 request.bad_request and not forwarded whole`, async (t) => {
    const gw = await startTestGateway();
    t.after(() => gw.close());
    const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write(request) });
    rawProblemOf(parseResponse(r.text), 400, 'request.bad_request');
    // A body error is found while the request may already stream upstream: it must arrive cut.
    assert.ok(gw.upstream.requests.every((received) => !received.complete));
  });
}
