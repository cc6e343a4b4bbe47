import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { VirtualClock, Decimal } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { SILENT_LOGGER } from '../domain/telemetry';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';
import { referenceDriver } from '../support/sut';
import { ScenarioMemory, RaisedErrors, SystemSession } from '../support/dsl';
import { ConditionWaiters } from '../support/condition-waiters';

function referenceSession() {
  const clock = new VirtualClock('2026-01-05T14:30:00.000Z');
  const dir = mkdtempSync(`${tmpdir()}/dsl-`);
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const gateway = new InProcessBrokerGateway(core);
  const errors = new RaisedErrors();
  const session = new SystemSession(referenceDriver, () => ({ dataDir: dir, routes: [{ name: 'SIM', transport: 'in-process', gateway }], clock, random: () => 0.5, logger: SILENT_LOGGER, circuitBreakers: 'disarmed', reconciliation: 'on request' }), errors);
  return { session, clock, errors, dispose: async () => { await session.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

test('scenario memory recalls by kind and name, and a name nobody gave fails saying which there are', () => {
  const memory = new ScenarioMemory();
  memory.remember('order', 'the working order', 'c-1');
  memory.remember('logMark', 'before the crash', 42);
  assert.equal(memory.recall('order', 'the working order'), 'c-1');
  assert.equal(memory.recall('logMark', 'before the crash'), 42);
  assert.throws(() => memory.recall('order', 'the resting order'), /no order called "the resting order" \(orders remembered: "the working order"\)/);
  assert.throws(() => memory.recall('snapshot', 'before the crash'), /no snapshot called "before the crash" \(snapshots remembered: none\)/);
});

test('an error a When raised stays unchecked until a Then takes it; a background failure is kept too', async () => {
  const errors = new RaisedErrors();
  assert.equal(await errors.attempt('the trader cancels', () => { throw new Error('refused'); }), undefined);
  assert.deepEqual(errors.unchecked(), ['the trader cancels: Error: refused']);
  assert.throws(() => errors.take('the trader modifies'), /the trader modifies raised no error in this scenario \(errors raised by: "the trader cancels"\)/);
  assert.equal(errors.take('the trader cancels').message, 'refused');
  assert.deepEqual(errors.unchecked(), []);
  errors.background('a late fill', Promise.reject(new Error('lost')));
  await new Promise(resolve => setImmediate(resolve));
  assert.deepEqual(errors.unchecked(), ['a late fill (in the background): Error: lost']);
  assert.throws(() => new RaisedErrors().take('the trader cancels'), /raised no error in this scenario \(errors raised by: none\)/);
  assert.equal(await errors.attempt('a fine step', () => 7), 7);
});

test('a Then takes the error the step it names raised, not whichever came last', async () => {
  const errors = new RaisedErrors();
  await errors.attempt('the settings change', () => { throw new Error('max leverage refused'); });
  await errors.attempt('a helper of the suite', () => { throw new Error('no standard breaker'); });
  assert.equal(errors.take('the settings change').message, 'max leverage refused');
  assert.deepEqual(errors.unchecked(), ['a helper of the suite: Error: no standard breaker']);
});

test('the session never starts a system by being read, and waits outlast a restart', async () => {
  const { session, dispose } = referenceSession();
  try {
    assert.throws(() => session.system, /has not been started/);
    const first = await session.start();
    await assert.rejects(session.start(), /already running/);
    first.fund(new Decimal(1_000));
    const mark = first.events.mark();
    const waited = session.forEvent('a mark after the restart', e => e.type === 'MarkPriceUpdated', mark);
    await session.stop();
    assert.throws(() => session.system, /is down/);
    const second = await session.start();
    assert.equal(second.eventsReplayed, mark);
    second.updateMark('BTC-PERP', new Decimal(50_000));
    const event = await waited;
    assert.equal(event.seq, mark + 1);
  } finally {
    await dispose();
  }
});

test('the event feed hands out what came after a mark from what it holds, and is told of each append', async () => {
  const { session, dispose } = referenceSession();
  try {
    const system = await session.start();
    system.fund(new Decimal(1_000));
    const mark = system.events.mark();
    const heard: number[] = [];
    const stop = system.events.onAppend(e => heard.push(e.seq));
    system.updateMark('BTC-PERP', new Decimal(50_000));
    system.updateMark('ETH-PERP', new Decimal(3_000));
    stop();
    system.updateMark('ETH-PERP', new Decimal(3_001));
    assert.deepEqual(system.events.since(mark).map(e => e.type), ['MarkPriceUpdated', 'MarkPriceUpdated', 'MarkPriceUpdated']);
    assert.deepEqual(heard, [mark + 1, mark + 2]);
    assert.deepEqual(system.events.all().map(e => e.seq), system.events.all().map((_, i) => i + 1));
    assert.deepEqual(system.snapshotRebuiltFromLog(), system.snapshot());
  } finally {
    await dispose();
  }
});

test('a wait whose condition throws fails with that error, and the change is still told to every other wait', async () => {
  const waiters = new ConditionWaiters();
  let known = false;
  const timedOut = () => new Error('timed out');
  const broken = waiters.until(() => {
    if (known) throw new Error('order c-1 is not known at the broker');
    return false;
  }, 1_000, timedOut);
  const fine = waiters.until(() => known, 1_000, timedOut);
  known = true;
  assert.doesNotThrow(() => waiters.changed(), 'the one telling of the change never sees the error');
  await assert.rejects(broken, /order c-1 is not known at the broker/);
  await fine;
  await assert.rejects(waiters.until(() => { throw new Error('broken at the first look'); }, 1_000, timedOut), /broken at the first look/);
});

test('a listener that throws keeps no event from the other listeners or the waits, and its failure is the scenario\'s to account for', async () => {
  const { session, errors, dispose } = referenceSession();
  try {
    const system = await session.start();
    const heard: string[] = [];
    session.onEvent(() => {
      throw new Error('a listener gone wrong');
    });
    session.onEvent(e => heard.push(e.type));
    const mark = system.events.mark();
    const broken = session.forEvent('a mark, by a match that throws', () => {
      throw new Error('a match gone wrong');
    }, mark);
    const marked = session.until('BTC-PERP to be marked', () => system.state.marks.has('BTC-PERP'));
    const next = session.forEvent('the ETH-PERP mark', e => e.type === 'MarkPriceUpdated' && e.payload.symbol === 'ETH-PERP', mark);
    system.updateMark('BTC-PERP', new Decimal(50_000));
    system.updateMark('ETH-PERP', new Decimal(3_000));
    await assert.rejects(broken, /a match gone wrong/);
    await marked;
    assert.equal((await next).seq, mark + 2);
    assert.deepEqual(heard, ['MarkPriceUpdated', 'MarkPriceUpdated']);
    assert.deepEqual(errors.unchecked(), [
      `a listener to the system's events (event ${mark + 1}, MarkPriceUpdated): Error: a listener gone wrong`,
      `a listener to the system's events (event ${mark + 2}, MarkPriceUpdated): Error: a listener gone wrong`,
    ]);
  } finally {
    await dispose();
  }
});
