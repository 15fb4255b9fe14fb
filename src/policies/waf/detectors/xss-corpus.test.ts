// The XSS detector against the vendored corpora (test/corpora/README.md) and a benign set of our
// own. Each corpus is split by a hash of the line into a tuning half (looked at while building the
// rules) and a held-out half (never looked at); both are asserted. Rates are at paranoia level 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { xss } from './xss.js';

const CORPORA = new URL('../../../../test/corpora/', import.meta.url);

/** FNV-1a of the line: which half it belongs to, independent of line order. */
function isHeldOut(line: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < line.length; i++) h = Math.imul(h ^ line.charCodeAt(i), 0x01000193) >>> 0;
  return (h & 1) === 1;
}

/** libinjection's sample format: URL-encoded lines, '#' and empty lines skipped. */
function libinjection(file: string): string[] {
  return readFileSync(new URL(`libinjection/${file}`, CORPORA), 'utf8').split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

function decode(line: string): string {
  try {
    return decodeURIComponent(line.replaceAll('+', ' '));
  } catch {
    return line;
  }
}

interface Rates { tuning: number; heldOut: number; n: number }

/** Share of values flagged at paranoia 1, per half (lines are split before decoding). */
function rates(lines: readonly string[], toValue: (line: string) => string): Rates {
  const hit = [0, 0];
  const all = [0, 0];
  for (const line of lines) {
    const half = isHeldOut(line) ? 1 : 0;
    all[half]!++;
    if (xss.detect(toValue(line), 1, 'query') !== undefined) hit[half]!++;
  }
  return { tuning: hit[0]! / all[0]!, heldOut: hit[1]! / all[1]!, n: lines.length };
}

const format = (r: Rates): string => `n=${r.n} tuning=${r.tuning.toFixed(3)} held-out=${r.heldOut.toFixed(3)}`;

const XSS_FILES = readdirSync(new URL('libinjection/', CORPORA)).filter((f) => f.startsWith('xss-')).sort();

test('libinjection xss-* samples: at least 0.95 detected in each half', (t) => {
  for (const f of XSS_FILES) t.diagnostic(`${f} ${format(rates(libinjection(f), decode))}`);
  const all = rates(XSS_FILES.flatMap(libinjection), decode);
  t.diagnostic(`all xss-* ${format(all)}`);
  assert.ok(all.tuning >= 0.95, format(all));
  assert.ok(all.heldOut >= 0.95, format(all));
});

test('PayloadsAllTheThings xss.jsonl: at least 0.78 detected in each half', (t) => {
  // 10 % of the file are bare event-handler names ("onAbort") and 3 % lone encodings of "<": not
  // executable, and not flagged at paranoia 1 (ModSecurity + CRS does not flag them either). The
  // policy's normaliser decodes the entity- and percent-encoded lines before this detector runs.
  const payloads = readFileSync(new URL('attacks/xss.jsonl', CORPORA), 'utf8').split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { payload: string }).payload);
  const r = rates(payloads, (p) => p);
  t.diagnostic(`attacks/xss.jsonl ${format(r)}`);
  assert.ok(r.tuning >= 0.78, format(r));
  assert.ok(r.heldOut >= 0.78, format(r));
});

test('libinjection false_positives.txt: at most 0.02 flagged in each half', (t) => {
  const r = rates(libinjection('false_positives.txt'), decode);
  t.diagnostic(`false_positives.txt ${format(r)}`);
  assert.ok(r.tuning <= 0.02, format(r));
  assert.ok(r.heldOut <= 0.02, format(r));
});

/** Rich but harmless values an API sees every day. */
const BENIGN = [
  'a < b and c > d', 'Tom & Jerry', 'x<y', 'x<y and y>z', 'if (a<b && c>d) return;', '<3', 'I <3 you', 'I <3 u <3 <3',
  '2 < 3 > 1', '>_< oops', '<(^_^)>', 'Type <Enter> to continue', '<your-email-here>', 'Usage: git commit -m <message>',
  'john.doe+test@example.com', '"John Doe" <john@example.com>', 'mailto:someone@example.com', 'tel:+1-555-0100',
  'https://example.com/search?q=hello+world&lang=en#top', 'http://localhost:8080/api/v1/users?id=1&sort=name:asc',
  'ftp://files.example.org/pub/README', 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=', 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==',
  '**bold** and _italic_ [link](https://example.com) `code`', '# Title\n\n- item one\n- item two\n\n> quoted',
  '![alt text](https://img.example.com/a.png "Title")', '```js\nconsole.log(\'hi\');\nconst x = a.map((v) => v * 2);\n```',
  '{"name":"Alice","tags":["a","b"],"nested":{"k":1}}', '[1,2,3]', '{"html":"<b>bold</b>","n":null}',
  '{"fn":"max(1,2)","expr":"a && b || c"}', 'He said "hello"; then he left.', "It's Tom's car; isn't it?",
  "She replied: 'fine' (mostly).", 'Please confirm (yes/no)', 'Prompt (optional): enter a name', 'Alert (level 2): disk full',
  'Regular expression (regex) basics', 'Set an alert; confirm it later', "O'Brien", '5\' 11"', 'Don\'t click "OK"; wait (10s).',
  '<p>Hello <b>world</b></p>', '<a href="https://example.com">link</a>', '<img src="cat.png" alt="A cat" width="20">',
  '<span style="color: red; font-weight: bold">red</span>', '<ul><li>one</li><li>two</li></ul>',
  '<blockquote cite="https://example.com/q">quote</blockquote>', '<table><tr><td>1</td></tr></table>',
  '<a href="/relative/path?x=1&amp;y=2" title="Go">Go</a>', '<code>x &lt; y</code>', '<!-- wp:paragraph --><p>Hi</p><!-- /wp:paragraph -->',
  'SELECT name FROM users WHERE id = 1', 'a == b', 'x = (y + z) * 2', 'f(x) = x^2 + 1', 'sum(1, 2)', 'print(\'hello\')',
  'console.log(value)', 'JavaScript: The Good Parts', 'I love JavaScript: it is great (mostly)', 'javascript tutorial',
  'Hello ${name}', 'Total: ${price} USD', '${user.name} logged in', '{{user.name}}', '10:30', 'ratio 3:4', 'key:value',
  'Note: this is fine', 'Data: 1, 2, 3', 'C:\\Users\\bob\\file.txt', 'Price: $5 (approx.)', '50% off!', '#hashtag @mention',
  'a+b=c', 'x=1&y=2', 'name=John Smith', '=SUM(A1:A3)', 'foo(bar)', '(555) 123-4567', 'on-call', 'online=true',
  'onboarding=complete', 'status=online&mode=once', 'The value was \'-1\' (invalid)', 'a,b,"c,d",e', 'Hello (world)!',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl', 'session=abc123; theme=dark; lang=en-US',
  'Learn about the <link> and <style> elements', 'Use document.querySelector(".x") to find it', 'The event is called onClick',
  'width: 100%; color: #333', '¡Hola! ¿Qué tal? <3', '日本語のテキスト <b>太字</b>', 'emoji 😀 <🙂>',
];

test('the benign set: nothing flagged at paranoia 1', () => {
  const flagged = BENIGN.filter((v) => xss.detect(v, 1, 'json-value') !== undefined);
  assert.deepEqual(flagged, []);
});
