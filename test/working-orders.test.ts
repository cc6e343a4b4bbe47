import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS, InstrumentRegistry, isWorking } from '../domain/model';
import { DEFAULT_SETTINGS, SqliteEventStore, StateProjection, TradingLedger, dumpProjection, restoreProjection } from '../domain/state';
import { RICH_LOG_FIRST_HALF, RICH_LOG_SECOND_HALF } from './rich-log';

const byScan = (state: StateProjection) => [...state.orders.values()].filter(isWorking).map(o => o.clientOrderId);
const kept = (state: StateProjection) => state.workingOrders().map(o => o.clientOrderId);

test('the working orders kept as events move orders are, after every event, those a walk over every order finds, in the same order', t => {
  const dir = mkdtempSync(join(tmpdir(), 'working-orders-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const instruments = new InstrumentRegistry(DEFAULT_INSTRUMENTS);
  const store = SqliteEventStore.open(join(dir, 'events.sqlite'), new VirtualClock());
  t.after(() => store.close());
  const state = new StateProjection(instruments, DEFAULT_SETTINGS);
  const ledger = new TradingLedger(store, state);
  // Read before the first event, so every event after it moves what is kept rather than building it afresh.
  assert.deepEqual(kept(state), []);
  let seen = 0;
  for (const event of [...RICH_LOG_FIRST_HALF, ...RICH_LOG_SECOND_HALF]) {
    try {
      ledger.record(event);
    } catch {
      continue; // an event the projection refuses changes nothing
    }
    assert.deepEqual(kept(state), byScan(state), `after ${event.type} ${JSON.stringify(event.payload).slice(0, 80)}`);
    seen += 1;
  }
  assert.ok(seen > 40 && byScan(state).length >= 4, 'the log moved orders in and out of work');

  // A replay and a restore from a dump build the same list.
  const replayed = new StateProjection(instruments, DEFAULT_SETTINGS);
  assert.deepEqual(kept(replayed), []);
  replayed.replay(store.read());
  assert.deepEqual(kept(replayed), byScan(state));
  assert.deepEqual(kept(restoreProjection(dumpProjection(state), instruments, DEFAULT_SETTINGS)), byScan(state));
});
