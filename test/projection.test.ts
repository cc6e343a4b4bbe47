import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../domain/shared';
import { SqliteEventStore, TradingLedger, StateProjection, DEFAULT_SETTINGS } from '../domain/state';
import { InstrumentRegistry } from '../domain/model';

test('an order sent again counts from its latest signing: the resubmission\'s signing time, live and rebuilt from the log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'projection-'));
  const clock = new VirtualClock('2026-01-05T14:30:00.000Z');
  const path = join(dir, 'events.db');
  const live = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
  const store = SqliteEventStore.openReplaying(path, clock, event => live.replay([event]));
  try {
    const ledger = new TradingLedger(store, live);
    const id = 'CO-1';
    ledger.record({ type: 'OrderRequested', payload: { clientOrderId: id, symbol: 'BTC-PERP', side: 'buy', orderType: 'market', quantity: '1', reduceOnly: false } });
    ledger.record({ type: 'RiskCheckPassed', payload: { clientOrderId: id, settingsVersion: 1, checks: [] } });
    ledger.record({ type: 'OrderSubmitted', payload: { clientOrderId: id, broker: 'SIM', signedAt: '2026-01-05T14:30:00.000Z' } });
    assert.equal(ledger.state.order(id).signedAt, '2026-01-05T14:30:00.000Z');
    // The request is signed before its event is written: the signing time counts, not the time of the record.
    clock.advance(31_000);
    ledger.record({ type: 'OrderResubmitted', payload: { clientOrderId: id, broker: 'SIM', reason: 'in flight and not known at the broker', signedAt: '2026-01-05T14:30:30.000Z' } });
    assert.equal(ledger.state.order(id).signedAt, '2026-01-05T14:30:30.000Z');

    store.close();
    const rebuilt = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
    SqliteEventStore.openReplaying(path, clock, event => rebuilt.replay([event])).close();
    assert.equal(rebuilt.order(id).signedAt, '2026-01-05T14:30:30.000Z');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
