/**
 * Micro-benchmark of the strict JSON body parser against native JSON.parse, in CPU ns per body
 * (median of 5 interleaved runs, after a warm-up), on a ~150-byte and a ~2 KB body. Both sides start from
 * the Buffer a request body arrives as, so JSON.parse pays for the UTF-8 decode too. Not a test.
 *
 *   node --import tsx bench/strict-json.bench.ts [iterations]
 */
import { parseJsonStrict } from '../src/core/strict-json.js';

const N = Number(process.argv[2] ?? 200_000);
const RUNS = 5;

const small = {
  title: 'Buy milk',
  description: 'Two litres, semi-skimmed',
  dueDate: '2026-06-01T10:00:00Z',
  priority: 2,
  tags: ['home', 'errand'],
  done: false,
};

const items = Array.from({ length: 11 }, (_, i) => ({
  id: `item-${i}`,
  sku: `SKU-${String(i * 7).padStart(4, '0')}`,
  name: `Widget ${i} – größe M`,
  quantity: i + 1,
  unitPrice: 12.5 + i,
  tags: ['a', 'b'],
  meta: { color: 'blue', warehouse: `north-${i}` },
}));
const large = {
  orderId: 'ord_8f14e45fceea167a',
  customer: { id: 'cus_42', email: 'jane@example.com', name: 'Jane Doe', address: { street: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' } },
  items,
  notes: 'Leave at the door, please.',
  createdAt: '2026-06-01T10:00:00Z',
  total: 123.45,
  currency: 'EUR',
  gift: false,
};

const bodies: ReadonlyArray<readonly [string, Buffer]> = [
  ['small', Buffer.from(JSON.stringify(small))],
  ['large', Buffer.from(JSON.stringify(large))],
];

const contenders: ReadonlyArray<readonly [string, (raw: Buffer) => unknown]> = [
  ['JSON.parse', (raw) => JSON.parse(raw.toString('utf8')) as unknown],
  ['parseJsonStrict', (raw) => {
    const r = parseJsonStrict(raw);
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    return r.value;
  }],
];

let sink: unknown;

/** CPU time per call (user + system): steadier than wall time on a machine others share. */
function nsPerOp(fn: (raw: Buffer) => unknown, raw: Buffer, iterations: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) sink = fn(raw);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / iterations;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

for (const [label, raw] of bodies) {
  for (const [, fn] of contenders) nsPerOp(fn, raw, Math.min(N, 50_000));
  // Runs interleave the contenders, so load on a shared machine hits both alike.
  const samples = contenders.map((): number[] => []);
  for (let run = 0; run < RUNS; run++) contenders.forEach(([, fn], k) => samples[k]!.push(nsPerOp(fn, raw, N)));
  const base = median(samples[0]!);
  const results = contenders.map(([name], k) => {
    const ns = median(samples[k]!);
    return `${name} ${ns.toFixed(0)} ns/op (${(ns / base).toFixed(2)}x)`;
  });
  console.log(`${label} (${raw.length} B): ${results.join(', ')}`);
}
if (sink === undefined) console.log('');
