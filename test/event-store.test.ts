import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VirtualClock, TradingError } from '../domain/shared';
import { SqliteEventStore, TradingLedger, StateProjection, DEFAULT_SETTINGS } from '../domain/state';
import { InstrumentRegistry } from '../domain/model';

function withStore(run: (path: string, clock: VirtualClock) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'event-store-test-'));
  try {
    run(join(dir, 'events.sqlite'), new VirtualClock());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('appends get gap-free sequence numbers and survive a reopen', () => {
  withStore((path, clock) => {
    const store = SqliteEventStore.open(path, clock);
    store.append({ type: 'AccountFunded', payload: { currency: 'USD', amount: '100' } });
    store.append({ type: 'MarkPriceUpdated', payload: { symbol: 'BTC-PERP', price: '50000' } });
    store.close();
    const reopened = SqliteEventStore.open(path, clock);
    const events = reopened.read();
    assert.deepEqual(events.map(e => e.seq), [1, 2]);
    assert.equal(events[1].prevHash, events[0].hash);
    assert.equal(reopened.append({ type: 'MarkPriceUpdated', payload: { symbol: 'BTC-PERP', price: '50001' } }).seq, 3);
    reopened.close();
  });
});

test('an edited, deleted, cut-off or renumbered event is detected on open', () => {
  const tampering = [
    `UPDATE events SET payload = '{"currency":"USD","amount":"1000000"}' WHERE seq = 1`,
    'DELETE FROM events WHERE seq = 2',
    'DELETE FROM events WHERE seq >= 2',
    'UPDATE events SET seq = 9 WHERE seq = 3',
  ];
  for (const tamper of tampering) {
    withStore((path, clock) => {
      const store = SqliteEventStore.open(path, clock);
      for (let i = 0; i < 3; i += 1) store.append({ type: 'AccountFunded', payload: { currency: 'USD', amount: '100' } });
      store.close();
      const db = new Database(path);
      db.exec(tamper);
      db.close();
      assert.throws(() => SqliteEventStore.open(path, clock), (e: unknown) => e instanceof TradingError && e.kind === 'EventStoreCorrupted');
    });
  }
});

test('a closed store refuses appends', () => {
  withStore((path, clock) => {
    const store = SqliteEventStore.open(path, clock);
    store.close();
    assert.throws(() => store.append({ type: 'AccountFunded', payload: { currency: 'USD', amount: '1' } }), (e: unknown) => e instanceof TradingError && e.kind === 'EventStoreClosed');
  });
});

test('a batch is one transaction: listeners hear of its events after the commit, and what it appended stays when it throws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-batch-'));
  const path = join(dir, 'events.db');
  const clock = new VirtualClock();
  const state = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
  const store = SqliteEventStore.openReplaying(path, clock, event => state.replay([event]));
  const ledger = new TradingLedger(store, state);
  const heard: number[] = [];
  ledger.subscribe(event => heard.push(event.seq));
  const fund = (amount: string) => ledger.record({ type: 'AccountFunded', payload: { currency: 'USD', amount } });
  ledger.batch(() => {
    fund('1');
    fund('2');
    assert.deepEqual(heard, [], 'nobody hears of an event before it is on disk');
  });
  assert.deepEqual(heard, [1, 2]);
  assert.throws(() => ledger.batch(() => {
    fund('3');
    throw new Error('stopped half-way');
  }), /stopped half-way/);
  assert.deepEqual(heard, [1, 2, 3]);
  store.close();
  const reopened = SqliteEventStore.open(path, clock);
  assert.deepEqual(reopened.read().map(e => e.seq), [1, 2, 3], 'the applied events are on record, the chain verifies');
  reopened.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a batch is one transaction: another connection to the log sees none of its events until the batch returns, then all of them', () => {
  withStore((path, clock) => {
    const store = SqliteEventStore.open(path, clock);
    const other = new Database(path, { readonly: true });
    const visible = () => (other.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    try {
      store.batch(() => {
        store.append({ type: 'AccountFunded', payload: { currency: 'USD', amount: '1' } });
        store.append({ type: 'AccountFunded', payload: { currency: 'USD', amount: '2' } });
        assert.equal(visible(), 0, 'nothing of the batch is committed while it runs');
      });
      assert.equal(visible(), 2);
    } finally {
      other.close();
      store.close();
    }
  });
});

test('a batch whose commit fails closes the store, and listeners hear of none of its events: they are not on disk', () => {
  withStore((path, clock) => {
    const state = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
    const store = SqliteEventStore.openReplaying(path, clock, event => state.replay([event]));
    const ledger = new TradingLedger(store, state);
    const heard: number[] = [];
    ledger.subscribe(event => heard.push(event.seq));
    ledger.record({ type: 'AccountFunded', payload: { currency: 'USD', amount: '1' } });
    // The disk refuses the commit (full, gone): the store's own handle is the only way to make COMMIT fail on cue.
    const db = (store as unknown as { db: Database.Database }).db;
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      if (sql === 'COMMIT') throw new Error('disk I/O error');
      return exec(sql);
    };
    assert.throws(
      () => ledger.batch(() => {
        ledger.record({ type: 'AccountFunded', payload: { currency: 'USD', amount: '2' } });
        ledger.record({ type: 'AccountFunded', payload: { currency: 'USD', amount: '3' } });
      }),
      (e: unknown) => e instanceof TradingError && e.kind === 'EventStoreClosed' && /failed to commit/.test(e.message),
    );
    assert.deepEqual(heard, [1], 'only the event recorded before the batch was heard of');
    assert.equal(store.isClosed, true);
    const reopened = SqliteEventStore.open(path, clock);
    assert.deepEqual(reopened.read().map(e => e.seq), [1], 'the batch never reached the disk');
    reopened.close();
  });
});
