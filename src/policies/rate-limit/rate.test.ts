import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRate } from './rate.js';

const VALID: ReadonlyArray<readonly [string, number, number]> = [
  ['100/min', 100, 60_000],
  ['5/15m', 5, 900_000],
  ['10/s', 10, 1000],
  ['10/sec', 10, 1000],
  ['1000/day', 1000, 86_400_000],
  ['1000/d', 1000, 86_400_000],
  ['3/hour', 3, 3_600_000],
  ['3/h', 3, 3_600_000],
  ['100/2h', 100, 7_200_000],
  ['1/30s', 1, 30_000],
  ['7/minute', 7, 60_000],
  ['7/5mins', 7, 300_000],
  ['1000/30days', 1000, 2_592_000_000],
  ['1/366d', 1, 366 * 86_400_000],
  ['1000000000/s', 1_000_000_000, 1000],
];

for (const [text, limit, windowMs] of VALID) {
  test(`'${text}' is ${limit} per ${windowMs} ms`, () => {
    assert.deepEqual(parseRate(text), { limit, windowMs });
  });
}

const INVALID: ReadonlyArray<readonly [string, RegExp]> = [
  ['100/fortnight', /is not a rate/],
  ['100', /is not a rate/],
  ['/min', /is not a rate/],
  ['100/', /is not a rate/],
  ['100 / min', /is not a rate/],
  ['100/MIN', /is not a rate/],
  ['-1/min', /is not a rate/],
  ['1.5/min', /is not a rate/],
  ['100/ms', /is not a rate/],
  ['100/1.5m', /is not a rate/],
  ['100/min/2', /is not a rate/],
  ['0/min', /count must be between 1 and/],
  ['1000000001/s', /count must be between 1 and/],
  ['1/0m', /multiplier must be at least 1/],
  ['1/367d', /at most 366 days/],
];

for (const [text, message] of INVALID) {
  test(`'${text}' is refused`, () => {
    assert.throws(() => parseRate(text), (e: unknown) => e instanceof TypeError && message.test(e.message));
  });
}

test('the message quotes the rate and lists the units', () => {
  assert.throws(() => parseRate('5/fortnight'), { message: '\'5/fortnight\' is not a rate: write N/unit or N/<multiplier><unit> (100/min, 5/15m, 10/s, 1000/day); units s, sec, m, min, h, hour, d, day' });
});
