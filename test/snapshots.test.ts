import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Decimal, TradingError, VirtualClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS, InstrumentRegistry } from '../domain/model';
import { DEFAULT_SETTINGS, SNAPSHOTS_KEPT, SqliteEventStore, StateProjection, TradingLedger, dumpProjection, openLog, restoreProjection, snapshotHash } from '../domain/state';
import { TradingSystem, TradingSystemOptions } from '../domain/trading-system';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';
import { RESTING_STATUSES, RICH_LOG_FIRST_HALF, RICH_LOG_SECOND_HALF, record } from './rich-log';

interface Rig {
  readonly path: string;
  readonly clock: VirtualClock;
  open(options?: Partial<TradingSystemOptions>): TradingSystem;
}

/** A log in a fresh folder and a broker that outlives the systems opened on it; every system opened is closed when the test ends. */
function rig(t: { after: (fn: () => Promise<void>) => void }): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'snapshots-'));
  const path = join(dir, 'events.sqlite');
  const clock = new VirtualClock('2026-01-05T14:30:00.000Z');
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const opened: { system: TradingSystem; gateway: InProcessBrokerGateway }[] = [];
  t.after(async () => {
    for (const { system, gateway } of opened) {
      system.close();
      await gateway.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    path,
    clock,
    open: options => {
      const gateway = new InProcessBrokerGateway(core);
      const system = TradingSystem.open({ eventStorePath: path, broker: gateway, clock, circuitBreakers: 'disarmed', ...options });
      opened.push({ system, gateway });
      return system;
    },
  };
}

/** The state a full replay of the log on disk gives, dumped. */
function fullReplay(path: string, clock: VirtualClock, defaults = DEFAULT_SETTINGS): ReturnType<typeof dumpProjection> {
  const { store, state, opening } = openLog(path, clock, { instruments: new InstrumentRegistry(), defaults, fromSnapshot: false });
  store.close();
  assert.equal(opening.from, 'full replay');
  return dumpProjection(state);
}

/** Only what the test says is snapshotted: none every so many events, none on close. */
const BY_HAND = { snapshots: { every: 1_000_000, onCloseAfter: 1_000_000 } } as const;

/** A system that recorded the rich log's first half, was snapshotted, then recorded the second half and was closed. */
function richLogWithSnapshotInTheMiddle(r: Rig): { live: ReturnType<typeof dumpProjection>; snapshotSeq: number; head: number } {
  const system = r.open(BY_HAND);
  record(system.ledger, RICH_LOG_FIRST_HALF);
  assert.equal(system.state.breakers.episode?.breakers[0], 'daily loss', 'the breaker is tripped when the snapshot is taken');
  const taken = system.takeSnapshot();
  assert.ok(taken, 'a snapshot was written');
  record(system.ledger, RICH_LOG_SECOND_HALF);
  const live = dumpProjection(system.state);
  const head = system.ledger.store.length;
  system.close();
  return { live, snapshotSeq: taken.seq, head };
}

function snapshotRows(path: string): { seq: number; event_hash: string; basis: string; taken_at: string; state: string; hash: string }[] {
  const db = new Database(path, { readonly: true });
  try {
    if (!db.prepare("SELECT name FROM sqlite_master WHERE name = 'projection_snapshots'").get()) return [];
    return db.prepare('SELECT seq, event_hash, basis, taken_at, state, hash FROM projection_snapshots ORDER BY seq').all() as ReturnType<typeof snapshotRows>;
  } finally {
    db.close();
  }
}

function tamper(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

const corrupted = (e: unknown) => e instanceof TradingError && e.kind === 'EventStoreCorrupted';

test('the state restored from a snapshot and replayed over its tail is the state a full replay of the log gives, field for field, and the state the system had', async t => {
  const r = rig(t);
  const { live, snapshotSeq, head } = richLogWithSnapshotInTheMiddle(r);

  const system = r.open(BY_HAND);
  assert.deepEqual(system.logOpening, { from: 'snapshot', snapshotSeq, eventsReplayed: head - snapshotSeq, setAside: [] });
  assert.equal(system.eventsReplayed, head);
  const restored = dumpProjection(system.state);
  assert.deepEqual(restored, fullReplay(r.path, r.clock));
  assert.deepEqual(restored, live);

  // The log is rich enough for the equality to mean something: every resting status, and every board at work.
  const state = system.state;
  assert.deepEqual(Object.fromEntries([...state.orders].map(([id, o]) => [id, o.status])), RESTING_STATUSES);
  const collections: [string, { size: number }][] = [
    ['positions', state.positions], ['marks', state.marks], ['fills', state.fills], ['fill cursors', state.fillCursors],
    ['breaker statuses', state.breakers.statuses], ['registered breakers', state.breakers.registered],
    ['unhealthy brokers', state.routing.unhealthySince],
    ['market statuses', state.market.statuses], ['implied volatility', state.market.impliedVolatility], ['prior closes', state.market.priorCloses],
    ['market-wide triggers', state.market.marketWideTriggers], ['sessions', state.market.sessions], ['close preparations', state.market.closePreparations], ['day order expiries', state.market.dayOrderExpiries],
    ['open items', state.reconciliation.openItems], ['kept differences', state.reconciliation.kept], ['unknown at broker', state.reconciliation.unknownAtBroker],
    ['quarantined trades', state.reconciliation.quarantinedTrades], ['decided orders', state.reconciliation.decidedOrders],
  ];
  assert.deepEqual(collections.filter(([, c]) => c.size === 0).map(([name]) => name), []);
  assert.equal(state.settings.version, 2);
  assert.equal(state.breakers.restoration?.percent, 50);
  assert.equal(state.routing.activeBroker, 'SIM-B');
  assert.equal(state.cashAdjustments.toString(), '-12.5');
});

test('the dump names every field of the projection and of each board, so a field added later cannot be left out of a snapshot unnoticed', () => {
  const state = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
  const dump = dumpProjection(state);
  assert.deepEqual(Object.keys(dump).sort(), Object.keys(state).filter(k => k !== 'instruments').sort());
  for (const board of ['breakers', 'routing', 'market', 'reconciliation'] as const) {
    assert.deepEqual(Object.keys(dump[board] as object).sort(), Object.keys(state[board]).sort(), board);
  }
  // A dump with a field this projection does not have (or without one it has) is not read back half.
  assert.throws(() => restoreProjection({ ...dump, extra: 1 }, new InstrumentRegistry(), DEFAULT_SETTINGS), /fields/);
  const { deposits: _deposits, ...without } = dump;
  assert.throws(() => restoreProjection(without, new InstrumentRegistry(), DEFAULT_SETTINGS), /fields/);
});

test('a dump reads back to the same dump: decimals to the last digit and a negative zero, text that looks like a dumped decimal, undefined fields kept, collections in their order', () => {
  const state = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
  state.deposits = new Decimal('-0');
  state.cashAdjustments = new Decimal('0.1234567890123456789012345678901234567891');
  state.marks.set('SOL-PERP', new Decimal('1'));
  state.marks.set('BTC-PERP', new Decimal('2'));
  state.breakers.cancelOnAcknowledgement.set('CO-1', 'daily loss');
  // Text that starts as a dumped decimal does is still text.
  state.reconciliation.kept.set('#1', '#2.5');
  state.reconciliation.kept.set('##', '#');
  state.reconciliation.lastRun = { runId: 'RUN-1', trigger: 'x', broker: 'SIM', status: 'complete', parts: [], discrepancies: [], records: 0, startedAt: '2026-01-05T14:30:00.000Z', clockOffsetMs: undefined };
  const dump = dumpProjection(state);
  const back = restoreProjection(JSON.parse(JSON.stringify(dump)), new InstrumentRegistry(), DEFAULT_SETTINGS);
  assert.deepEqual(dumpProjection(back), dump);
  assert.ok(back.deposits.isNegative() && back.deposits.isZero(), 'the negative zero stays negative');
  assert.deepEqual([...back.marks.keys()], ['SOL-PERP', 'BTC-PERP']);
  assert.deepEqual([...back.reconciliation.kept], [['#1', '#2.5'], ['##', '#']]);
  assert.ok(back.reconciliation.lastRun && 'clockOffsetMs' in back.reconciliation.lastRun);
});

test('a snapshot whose state was edited without its hash is set aside and the log replayed in full; the one before it is used when it is intact', async t => {
  const r = rig(t);
  const system = r.open(BY_HAND);
  record(system.ledger, RICH_LOG_FIRST_HALF);
  const older = system.takeSnapshot();
  record(system.ledger, RICH_LOG_SECOND_HALF);
  const newer = system.takeSnapshot();
  system.close();
  assert.ok(older && newer);
  const [, newest] = snapshotRows(r.path);
  tamper(r.path, 'UPDATE projection_snapshots SET state = ? WHERE seq = ?', newest.state.replace('"100000"', '"900000"'), newer.seq);

  const reopened = r.open(BY_HAND);
  assert.equal(reopened.logOpening.from, 'snapshot');
  assert.equal(reopened.logOpening.snapshotSeq, older.seq, 'the older snapshot, intact, is used');
  assert.deepEqual(reopened.logOpening.setAside, [{ seq: newer.seq, reason: 'damaged', problem: 'its content does not match its hash' }]);
  assert.deepEqual(dumpProjection(reopened.state), fullReplay(r.path, r.clock));
  reopened.close();

  const [first] = snapshotRows(r.path);
  tamper(r.path, 'UPDATE projection_snapshots SET state = ? WHERE seq = ?', first.state.replace('"100000"', '"900000"'), older.seq);
  const again = r.open(BY_HAND);
  assert.equal(again.logOpening.from, 'full replay');
  assert.deepEqual(again.logOpening.setAside.map(s => s.reason), ['damaged', 'damaged']);
  assert.equal(again.state.deposits.toString(), '100250.75', 'the log, not the edited snapshot');
  assert.deepEqual(dumpProjection(again.state), fullReplay(r.path, r.clock));
});

test('an intact snapshot chained to another event than the log holds at its seq, or to a seq past the log\'s head, refuses the open as a broken chain does', async t => {
  const r = rig(t);
  const { snapshotSeq, head } = richLogWithSnapshotInTheMiddle(r);
  const [row] = snapshotRows(r.path);
  const db = new Database(r.path, { readonly: true });
  const otherEvent = (db.prepare('SELECT hash FROM events WHERE seq = ?').get(snapshotSeq - 1) as { hash: string }).hash;
  db.close();

  // Its own hash recomputed, so it is intact as a record: it says the log held another event there.
  tamper(r.path, 'UPDATE projection_snapshots SET event_hash = ?, hash = ? WHERE seq = ?', otherEvent, snapshotHash(snapshotSeq, otherEvent, row.basis, row.taken_at, row.state), snapshotSeq);
  assert.throws(() => r.open(BY_HAND), e => corrupted(e) && /is not the one a state was kept of/.test((e as Error).message) && (e as TradingError).details.brokenAt === snapshotSeq);

  // Moved past the head (its state and hash rewritten to match): the log would have lost events from its end.
  const beyond = head + 10;
  const state = row.state.replace(`"lastSeq":${snapshotSeq}`, `"lastSeq":${beyond}`);
  assert.notEqual(state, row.state);
  tamper(r.path, 'UPDATE projection_snapshots SET seq = ?, event_hash = ?, state = ?, hash = ? WHERE seq = ?', beyond, row.event_hash, state, snapshotHash(beyond, row.event_hash, row.basis, row.taken_at, state), snapshotSeq);
  assert.throws(() => r.open(BY_HAND), e => corrupted(e) && /holds no event at seq/.test((e as Error).message));
});

test('a snapshot written with other default settings is set aside, not used: the log is replayed with the settings the system opens with', async t => {
  const r = rig(t);
  richLogWithSnapshotInTheMiddle(r);
  const defaults = { ...DEFAULT_SETTINGS, max_order_notional: '50000' };
  const system = r.open({ ...BY_HAND, defaultSettings: defaults });
  assert.equal(system.logOpening.from, 'full replay');
  assert.deepEqual(system.logOpening.setAside.map(s => s.reason), ['other basis']);
  assert.equal(system.state.settings.snapshot().max_order_notional, '50000');
  assert.deepEqual(dumpProjection(system.state), fullReplay(r.path, r.clock, defaults));
});

test('a row edited before the snapshot is found by the check of the chain after the open: trading halts, an alert goes out, and the next open refuses the log', async t => {
  const r = rig(t);
  const { snapshotSeq } = richLogWithSnapshotInTheMiddle(r);
  tamper(r.path, `UPDATE events SET payload = '{"currency":"USD","amount":"1000000"}' WHERE seq = 1`);

  const system = r.open(BY_HAND);
  assert.equal(system.logOpening.from, 'snapshot', 'the open does not read the rows before the snapshot');
  assert.deepEqual(system.logIntegrity(), { status: 'checking', through: snapshotSeq });
  const verdict = await system.logChecked;
  assert.equal(verdict.status, 'corrupted');
  assert.ok(verdict.status === 'corrupted' && verdict.error.kind === 'EventStoreCorrupted' && verdict.error.details.brokenAt === 1, JSON.stringify(verdict));

  r.clock.advance(1_000);
  system.updateMark('BTC-PERP', '50000');
  const placed = await system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.001' });
  assert.equal(placed.outcome, 'rejected');
  const row = placed.outcome === 'rejected' && placed.stage === 'risk' ? placed.decision.failed.find(f => f.check === 'trading state') : undefined;
  assert.match(row?.note ?? '', /EventStoreCorrupted: event store .* is corrupted at seq 1/);
  assert.deepEqual(system.telemetry.alerts.all().map(a => [a.breaker, a.level, a.observed]), [['event log integrity', 'critical', 'broken at seq 1']]);
  system.close();

  assert.deepEqual(snapshotRows(r.path), [], 'the snapshots are dropped');
  assert.throws(() => r.open(BY_HAND), e => corrupted(e) && (e as TradingError).details.brokenAt === 1);
});

test('an intact chain before the snapshot is verified after the open and trading goes on', async t => {
  const r = rig(t);
  const { snapshotSeq } = richLogWithSnapshotInTheMiddle(r);
  const system = r.open(BY_HAND);
  assert.deepEqual(await system.logChecked, { status: 'verified', events: snapshotSeq });
  assert.deepEqual(system.logIntegrity(), { status: 'verified', events: snapshotSeq });
  assert.deepEqual(system.telemetry.alerts.all(), []);
});

test('a full replay verifies the whole chain on the open\'s path: nothing is left to check', async t => {
  const r = rig(t);
  const system = r.open({ snapshots: 'off' });
  record(system.ledger, RICH_LOG_FIRST_HALF);
  system.close();
  const reopened = r.open({ snapshots: 'off' });
  assert.deepEqual(await reopened.logChecked, { status: 'verified', events: RICH_LOG_FIRST_HALF.length });
  assert.deepEqual(snapshotRows(r.path), [], "'off' takes none, not even on close");
});

test('snapshots are taken every so many events and on close, only the newest are kept, and none inside a batch', async t => {
  const r = rig(t);
  const system = r.open({ snapshots: { every: 10, onCloseAfter: 3 } });
  system.fund('1000');
  for (let i = 0; i < 34; i += 1) system.updateMark('BTC-PERP', String(50_000 + i));
  assert.deepEqual(snapshotRows(r.path).map(s => s.seq), [20, 30].slice(-SNAPSHOTS_KEPT));
  system.ledger.batch(() => {
    for (let i = 0; i < 25; i += 1) system.updateMark('ETH-PERP', String(3_000 + i));
    assert.deepEqual(snapshotRows(r.path).map(s => s.seq), [20, 30], 'none while the batch is open');
  });
  assert.deepEqual(snapshotRows(r.path).map(s => s.seq), [30, 60], 'one at the end of the batch, once it is committed');
  for (let i = 0; i < 4; i += 1) system.updateMark('SOL-PERP', String(100 + i));
  system.close();
  assert.deepEqual(snapshotRows(r.path).map(s => s.seq), [60, 64], 'one on close, 4 events past the last');

  const reopened = r.open({ snapshots: { every: 10, onCloseAfter: 3 } });
  assert.deepEqual(reopened.logOpening, { from: 'snapshot', snapshotSeq: 64, eventsReplayed: 0, setAside: [] });
  assert.deepEqual(dumpProjection(reopened.state), fullReplay(r.path, r.clock));
});

test('the ledger over a store opened from a snapshot records on from the log\'s head, chained to it', async t => {
  const r = rig(t);
  const { head } = richLogWithSnapshotInTheMiddle(r);
  const { store, state, opening, prefixCheck } = openLog(r.path, r.clock, { instruments: new InstrumentRegistry(), defaults: DEFAULT_SETTINGS });
  try {
    assert.equal((await prefixCheck?.verdict)?.status, 'verified');
    assert.equal(opening.from, 'snapshot');
    const ledger = new TradingLedger(store, state);
    assert.equal(ledger.record({ type: 'MarkPriceUpdated', payload: { symbol: 'BTC-PERP', price: '51000' } }).seq, head + 1);
  } finally {
    store.close();
  }
  assert.deepEqual(SqliteEventStore.inspect(r.path), { ok: true, events: head + 1 });
});
