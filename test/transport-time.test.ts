import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TransportTime } from '../support/transport-time';
import { TokenBucket } from '../support/simulators/broker/token-bucket';

/** Long enough that the wall clock never ends a deadline while a test runs. */
const LONG_MS = 60_000;

test('time passed expires the deadlines due by then, earliest first, and none later', async () => {
  const time = new TransportTime();
  const expired: string[] = [];
  const cancels = [time.deadline(LONG_MS + 2, () => expired.push('later')), time.deadline(LONG_MS, () => expired.push('first')), time.deadline(3 * LONG_MS, () => expired.push('not due'))];
  try {
    time.pass(LONG_MS + 5);
    assert.deepEqual(expired, [], 'never on the caller’s turn');
    await nextTurn();
    await nextTurn();
    assert.deepEqual(expired, ['first', 'later']);
  } finally {
    cancels.forEach(cancel => cancel());
  }
});

test('a deadline cancelled before its time passed never expires, and cancelling twice is harmless', async () => {
  const time = new TransportTime();
  let expired = 0;
  const cancel = time.deadline(LONG_MS, () => (expired += 1));
  cancel();
  cancel();
  time.pass(2 * LONG_MS);
  await nextTurn();
  assert.equal(expired, 0);
});

test('a deadline still expires on the wall clock when nothing lets its time pass', async () => {
  const time = new TransportTime();
  const expired = await new Promise<boolean>(resolve => time.deadline(5, () => resolve(true)));
  assert.equal(expired, true);
});

test('a delay passes its time at once: the quota a broker refills on it is refilled after', async () => {
  const time = new TransportTime();
  // One token every 1,000 s: the wall clock a test takes refills nothing that matters.
  const bucket = new TokenBucket(1, 0.001, () => time.now());
  assert.equal(bucket.take().ok, true);
  const refused = bucket.take();
  assert.equal(refused.ok, false);
  const retryAfterMs = refused.ok ? 0 : refused.retryAfterSeconds * 1000;
  await new Promise<void>(resolve => time.delay(retryAfterMs / 4, resolve));
  assert.equal(bucket.take().ok, false, 'a quarter of the Retry-After is too soon');
  await new Promise<void>(resolve => time.delay(retryAfterMs, resolve));
  assert.equal(bucket.take().ok, true, 'the whole Retry-After is enough');
});

test('while time lapses, a deadline set anew expires too, until the lapse ends', async () => {
  const time = new TransportTime();
  const expired: string[] = [];
  const end = time.lapse(LONG_MS);
  time.deadline(LONG_MS, () => expired.push('set during the lapse'));
  await nextTurn();
  end();
  const cancel = time.deadline(LONG_MS, () => expired.push('set after it'));
  try {
    await nextTurn();
    assert.deepEqual(expired, ['set during the lapse']);
  } finally {
    cancel();
  }
});
