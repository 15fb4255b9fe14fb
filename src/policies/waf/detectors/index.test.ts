import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RULE_CLASSES } from '../detector.js';
import { DETECTORS } from './index.js';

test('there is exactly one detector per rule class, in the order of RULE_CLASSES', () => {
  assert.deepEqual(DETECTORS.map((d) => d.ruleClass), [...RULE_CLASSES]);
});
