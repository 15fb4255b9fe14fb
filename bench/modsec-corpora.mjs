// Replays test/corpora against nginx + ModSecurity + OWASP CRS 3.3.4 (the shared benchmark's
// nginx-modsec peer) the way test/corpora/BASELINE.md describes, so `npm run waf:score`'s
// numbers can be set beside CRS's measured on the same machine and the same lines:
//   1. run the shared harness once with PEERS=nginx-modsec (it renders run/nginx-modsec/*.conf),
//   2. start an upstream on 127.0.0.1:27180 that answers 200, and
//      nginx -p <bench>/run/nginx-modsec -c <bench>/run/nginx-modsec/nginx-modsec.conf
//   3. node bench/modsec-corpora.mjs [corpus-name-filter]   (MODSEC_PORT, default 27182)
// Query placement: `GET /anything?id=1&q=<payload encoded once>` (libinjection lines as given,
// with bytes outside printable ASCII percent-encoded); JSON: `{"id":1,"q":<payload>}`.
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
const PORT = Number(process.env.MODSEC_PORT ?? 27182);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
function req(method, path, headers, body) {
  return new Promise((ok) => {
    let r;
    try { r = http.request({ host: '127.0.0.1', port: PORT, method, path, headers, agent }, (res) => { res.resume(); res.on('end', () => ok(res.statusCode)); }); } catch { ok(-1); return; }
    r.on('error', () => ok(0));
    r.end(body);
  });
}
const corpora = {};
for (const f of readdirSync('test/corpora/attacks').filter((f) => f.endsWith('.jsonl'))) corpora[`attacks/${f.replace('.jsonl', '')}`] = readFileSync(`test/corpora/attacks/${f}`, 'utf8').split('\n').filter(Boolean).map((l) => ({ raw: JSON.parse(l).payload }));
const lib = (pred) => readdirSync('test/corpora/libinjection').filter(pred).flatMap((f) => readFileSync(`test/corpora/libinjection/${f}`, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))).map((l) => { let d; try { d = decodeURIComponent(l.replaceAll('+', ' ')); } catch { d = l; } return { encoded: l, raw: d }; });
corpora['libinjection sqli-*'] = lib((f) => f.startsWith('sqli-'));
corpora['libinjection xss-*'] = lib((f) => f.startsWith('xss-'));
corpora['libinjection false_positives'] = lib((f) => f === 'false_positives.txt');
const only = process.argv[2];
for (const [name, lines] of Object.entries(corpora)) {
  if (only && !name.includes(only)) continue;
  const counts = { query: 0, json: 0 };
  for (let i = 0; i < lines.length; i += 16) {
    const batch = lines.slice(i, i + 16);
    const res = await Promise.all(batch.flatMap((l) => [
      req('GET', `/anything?id=1&q=${l.encoded === undefined ? encodeURIComponent(l.raw) : l.encoded.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c))}`, {}),
      req('POST', '/anything', { 'content-type': 'application/json' }, JSON.stringify({ id: 1, q: l.raw })),
    ]));
    for (let k = 0; k < res.length; k += 2) { if (res[k] === 403) counts.query++; if (res[k + 1] === 403) counts.json++; }
  }
  console.log(`${name.padEnd(30)} ${String(lines.length).padStart(6)}  query ${(counts.query / lines.length).toFixed(3)}  json ${(counts.json / lines.length).toFixed(3)}`);
}
agent.destroy();
