import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedLog } from '../support/simulators/bounded-log';

test('a bounded log keeps the last entries in order and counts the dropped ones', () => {
  const log = new BoundedLog<number>(3);
  assert.deepEqual([log.toArray(), log.length, log.dropped], [[], 0, 0]);
  for (let i = 1; i <= 2; i += 1) log.push(i);
  assert.deepEqual([log.toArray(), log.dropped], [[1, 2], 0]);
  for (let i = 3; i <= 10; i += 1) log.push(i);
  assert.deepEqual([log.toArray(), log.length, log.dropped], [[8, 9, 10], 3, 7]);
  for (let i = 0; i < 100_000; i += 1) log.push(i);
  assert.equal(log.length, 3, 'it never grows past its capacity');
});

test('a bounded log needs a whole positive capacity', () => {
  for (const capacity of [0, -1, 1.5, Number.NaN]) assert.throws(() => new BoundedLog(capacity), /capacity/);
});

test('a cleared bounded log starts again from its first slot: what is pushed next comes out in order', () => {
  const log = new BoundedLog<number>(3);
  for (let i = 1; i <= 4; i += 1) log.push(i);
  log.clear();
  assert.deepEqual([log.toArray(), log.length, log.dropped], [[], 0, 0]);
  log.push(1);
  log.push(2);
  assert.deepEqual(log.toArray(), [1, 2]);
  for (let i = 3; i <= 5; i += 1) log.push(i);
  assert.deepEqual([log.toArray(), log.dropped], [[3, 4, 5], 2]);
});
