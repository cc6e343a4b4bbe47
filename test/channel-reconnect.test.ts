import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ReconnectLoop } from '../domain/execution';

/** Settles what the timers released: promise callbacks run before the test looks. */
const settled = () => new Promise<void>(resolve => setImmediate(resolve));

function resolvedYet(promise: Promise<unknown>): () => boolean {
  let done = false;
  void promise.then(() => (done = true));
  return () => done;
}

test('each wait doubles the last, with the seeded jitter of ±10 % drawn once a wait', async t => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const draws = [0, 1, 0.5];
  const loop = new ReconnectLoop({ baseDelayMs: 1000, random: () => draws.shift() ?? assert.fail('one draw a wait'), connected: () => false, run: async () => undefined });
  // attempt 1: 1000 x 0.9; attempt 2: 2000 x 1.1; attempt 3: 4000 x 1.0.
  for (const [attempt, expectedMs] of [[1, 900], [2, 2200], [3, 4000]] as const) {
    const waited = resolvedYet(loop.wait(attempt));
    mock.timers.tick(expectedMs - 1);
    await settled();
    assert.equal(waited(), false, `attempt ${attempt} still waiting at ${expectedMs - 1} ms`);
    mock.timers.tick(1);
    await settled();
    assert.equal(waited(), true, `attempt ${attempt} done at ${expectedMs} ms`);
  }
  assert.deepEqual(draws, []);
});

test('close ends a wait at once and the loop reads closing until the next connect', async t => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const seen: boolean[] = [];
  let attempts = 0;
  const loop: ReconnectLoop = new ReconnectLoop({
    baseDelayMs: 60_000,
    random: () => 0.5,
    connected: () => false,
    run: async () => {
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        if (loop.closing) return;
        attempts += 1;
        await loop.wait(attempt);
        seen.push(loop.closing);
      }
    },
  });
  const connecting = resolvedYet(loop.connect());
  await settled();
  assert.equal(attempts, 1);
  loop.close();
  await settled();
  assert.equal(connecting(), true, 'the loop ended without the minute passing');
  assert.deepEqual(seen, [true]);
  assert.equal(attempts, 1);
  assert.equal(loop.closing, true);
  const again = loop.connect();
  assert.equal(loop.closing, false, 'connect() opens the channel again');
  loop.close();
  await again;
});

test('one loop at a time: connect() joins the loop running, starts none while connected, and a fresh one once the channel went live', async () => {
  let connected = false;
  let loops = 0;
  const releases: (() => void)[] = [];
  const loop = new ReconnectLoop({
    baseDelayMs: 0,
    random: () => 0.5,
    connected: () => connected,
    run: () => {
      loops += 1;
      return new Promise<void>(resolve => releases.push(resolve));
    },
  });
  const first = loop.connect();
  assert.equal(loop.connect(), first);
  assert.equal(loops, 1);
  loop.markLive();
  const second = loop.connect();
  assert.notEqual(second, first);
  assert.equal(loops, 2);
  releases.forEach(release => release());
  await Promise.all([first, second]);
  connected = true;
  await loop.connect();
  assert.equal(loops, 2, 'no loop while the channel is connected');
  connected = false;
  const third = loop.connect();
  assert.equal(loops, 3, 'the loop that returned is not joined again');
  releases[2]();
  await third;
});
