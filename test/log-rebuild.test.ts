import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Decimal, TradingError, VirtualClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS, InstrumentRegistry } from '../domain/model';
import { SqliteEventStore, StoredEvent, eventHash } from '../domain/state';
import { TradingSystem } from '../domain/trading-system';
import { rebuildLogFromBroker, RebuildReport } from '../domain/reconciliation';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';

const WAIT_MS = 2_000;

interface Rig {
  readonly path: string;
  readonly clock: VirtualClock;
  readonly core: BrokerSimulatorCore;
  readonly gateway: InProcessBrokerGateway;
  /** Seqs of the log as written, by what they recorded. */
  readonly seqs: { ethFill: number; restingRequested: number; lastFill: number; last: number };
  readonly tradeIds: { eth: string; lastBtc: string };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function nextEvent(system: TradingSystem, matches: (event: StoredEvent) => boolean): Promise<StoredEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching event within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const stop = system.ledger.subscribe(event => {
      if (!matches(event)) return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
  });
}

async function placed(system: TradingSystem, input: { symbol: string; side: string; quantity: string; limitPrice: string }): Promise<string> {
  const acknowledged = nextEvent(system, e => e.type === 'OrderAcknowledged');
  const result = await system.coordinator.place({ ...input, type: 'limit' });
  assert.equal(result.outcome, 'accepted');
  await acknowledged;
  return result.outcome === 'accepted' ? result.order.clientOrderId : '';
}

async function traded(system: TradingSystem, core: BrokerSimulatorCore, clientOrderId: string, quantity: string): Promise<StoredEvent> {
  const filled = nextEvent(system, e => e.type === 'OrderFilled' && e.payload.clientOrderId === clientOrderId);
  core.tradeAgainst(clientOrderId, new Decimal(quantity));
  return filled;
}

/**
 * A real log: cash, a settings change, a BTC buy filled in two parts, an ETH sell filled whole, a
 * resting BTC buy never filled, and a mark last. Closed when built; the broker stays up.
 */
async function buildLog(t: { after: (fn: () => Promise<void>) => void }): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'log-rebuild-'));
  const path = join(dir, 'events.sqlite');
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const gateway = new InProcessBrokerGateway(core);
  t.after(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const system = TradingSystem.open({ eventStorePath: path, broker: gateway, clock, circuitBreakers: 'disarmed', reconciliation: 'on request' });
  try {
    core.deposit(new Decimal(100_000));
    system.fund('100000');
    system.changeSettings({ max_leverage: '3' }, 'risk officer', 'tighter for the test');
    system.updateMark('BTC-PERP', '50000');
    system.updateMark('ETH-PERP', '3000');
    const btc = await placed(system, { symbol: 'BTC-PERP', side: 'buy', quantity: '0.2', limitPrice: '49000' });
    await traded(system, core, btc, '0.1');
    const eth = await placed(system, { symbol: 'ETH-PERP', side: 'sell', quantity: '1', limitPrice: '3100' });
    const ethFill = await traded(system, core, eth, '1');
    const requested = nextEvent(system, e => e.type === 'OrderRequested');
    await placed(system, { symbol: 'BTC-PERP', side: 'buy', quantity: '0.05', limitPrice: '48000' });
    const restingRequested = (await requested).seq;
    const lastFill = await traded(system, core, btc, '0.05');
    const last = system.updateMark('BTC-PERP', '50100');
    const tradeId = (e: StoredEvent) => (e.type === 'OrderFilled' ? e.payload.tradeId : '');
    return { path, clock, core, gateway, seqs: { ethFill: ethFill.seq, restingRequested, lastFill: lastFill.seq, last: last.seq }, tradeIds: { eth: tradeId(ethFill), lastBtc: tradeId(lastFill) } };
  } finally {
    system.close();
  }
}

function tamper(path: string, sql: string): void {
  const db = new Database(path);
  db.exec(sql);
  db.close();
}

function brokenAtOnOpen(path: string, clock: VirtualClock): number | undefined {
  try {
    SqliteEventStore.open(path, clock).close();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof TradingError && error.kind === 'EventStoreCorrupted', String(error));
    return (error as TradingError).details.brokenAt as number;
  }
}

/** The four ways a log goes bad, each with the first sequence number that no longer holds. */
const CORRUPTIONS: readonly { name: string; corrupt: (rig: Rig) => string; brokenAt: (rig: Rig) => number }[] = [
  {
    name: 'a payload edited',
    corrupt: rig => `UPDATE events SET payload = '{"symbol":"BTC-PERP","price":"1"}' WHERE seq = ${rig.seqs.last}`,
    brokenAt: rig => rig.seqs.last,
  },
  {
    name: 'a middle row deleted',
    corrupt: rig => `DELETE FROM events WHERE seq = ${rig.seqs.ethFill}`,
    brokenAt: rig => rig.seqs.ethFill,
  },
  {
    name: 'two rows reordered',
    corrupt: rig => {
      const [a, b] = [rig.seqs.restingRequested, rig.seqs.restingRequested + 1];
      return `UPDATE events SET seq = -1 WHERE seq = ${a}; UPDATE events SET seq = ${a} WHERE seq = ${b}; UPDATE events SET seq = ${b} WHERE seq = -1`;
    },
    brokenAt: rig => rig.seqs.restingRequested,
  },
  {
    name: 'the tail cut off',
    corrupt: rig => `DELETE FROM events WHERE seq >= ${rig.seqs.lastFill}`,
    brokenAt: rig => rig.seqs.lastFill,
  },
];

for (const corruption of CORRUPTIONS) {
  test(`${corruption.name}: refused on open at the first bad seq, left untouched, and rebuilt from the broker's books`, async t => {
    const rig = await buildLog(t);
    tamper(rig.path, corruption.corrupt(rig));
    const corruptSha = sha256(rig.path);
    const brokenAt = corruption.brokenAt(rig);

    assert.equal(brokenAtOnOpen(rig.path, rig.clock), brokenAt);
    assert.throws(
      () => TradingSystem.open({ eventStorePath: rig.path, broker: rig.gateway, clock: rig.clock, circuitBreakers: 'disarmed' }),
      (e: unknown) => e instanceof TradingError && e.kind === 'EventStoreCorrupted' && e.details.brokenAt === brokenAt,
      'the system does not open on it',
    );
    assert.equal(sha256(rig.path), corruptSha, 'a refused log is left as it was found');

    const report = await rebuildLogFromBroker({ path: rig.path, broker: rig.gateway, clock: rig.clock, instruments: new InstrumentRegistry() });
    assert.equal(report.brokenAt, brokenAt);
    assert.equal(report.readableEvents, brokenAt - 1);
    assert.equal(dirname(report.quarantinedPath), join(dirname(rig.path), 'quarantine'));
    assert.match(report.quarantinedPath, /events\.sqlite\.2026-01-05T14-30-00\.000Z\.corrupt$/);
    assert.equal(sha256(report.quarantinedPath), corruptSha, 'the quarantined log is byte-identical to the corrupt one');
    assert.equal(report.sha256, corruptSha);
    assert.equal(brokenAtOnOpen(report.quarantinedPath, rig.clock), brokenAt, 'quarantined, it still fails its check');

    assert.equal(SqliteEventStore.inspect(rig.path).ok, true, 'the new log verifies');
    await assertBooksAreTheBrokers(rig, report);
    assertDiscrepancies(corruption.name, rig, report);
  });
}

async function assertBooksAreTheBrokers(rig: Rig, report: RebuildReport): Promise<void> {
  const system = TradingSystem.open({ eventStorePath: rig.path, broker: rig.gateway, clock: rig.clock, circuitBreakers: 'disarmed', reconciliation: 'automatic' });
  try {
    const [first] = system.events;
    assert.equal(first.type, 'EventLogRebuilt');
    if (first.type === 'EventLogRebuilt') {
      assert.deepEqual(
        { ...first.payload, discrepancies: first.payload.discrepancies.length },
        { quarantinedPath: report.quarantinedPath, quarantinedSha256: report.sha256, brokenAt: report.brokenAt, problem: report.problem, broker: 'SIM', readableEvents: report.readableEvents, discrepancies: report.discrepancies.length },
      );
    }
    assert.equal(system.events.length, report.eventsWritten);
    const positions = (p: { symbol: string; netQuantity: Decimal; averageEntryPrice: Decimal }[]) => p.map(x => `${x.symbol} ${x.netQuantity.toString()} @ ${x.averageEntryPrice.toString()}`).sort();
    assert.deepEqual(positions(system.state.openPositions()), positions(rig.core.positions().filter(p => !p.netQuantity.isZero())));
    assert.equal(system.state.account().cash.toString(), rig.core.balance().cash.toString());
    const working = (o: { clientOrderId: string; quantity: Decimal; filledQuantity: Decimal }[]) => o.map(x => `${x.clientOrderId} ${x.quantity.minus(x.filledQuantity).toString()} left`).sort();
    assert.deepEqual(working(system.state.workingOrders()), working(rig.core.openOrders()));
    assert.equal(system.state.settings.snapshot().max_leverage, report.brokenAt > 2 ? '3' : '5', 'the readable log\'s settings are carried over');
    assert.equal(system.state.fillCursor('SIM'), rig.core.fillHistory().length, 'a later synchronisation reads the history from its end');

    const run = await system.reconcileAtStartUp();
    assert.equal(run?.status, 'complete');
    assert.deepEqual(run?.discrepancies, [], 'the first reconciliation on the rebuilt log finds nothing: every trade of the history is booked');
  } finally {
    system.close();
  }
}

function assertDiscrepancies(kind: string, rig: Rig, report: RebuildReport): void {
  const rows = report.discrepancies.map(d => `${d.class}: ${JSON.stringify(d.subject)} ours ${d.ours}, broker ${d.broker}`);
  assert.ok(report.discrepancies.every(d => d.policy === 'adopt' && d.resolution === "rebuilt from the broker's books"));
  switch (kind) {
    case 'a payload edited':
      assert.deepEqual(rows, [], 'only a mark was lost: the readable log agrees with the broker and nothing is invented');
      break;
    case 'the tail cut off': {
      assert.ok(rows.includes('quantity mismatch: {"symbol":"BTC-PERP"} ours 0.1, broker 0.15'), rows.join('\n'));
      assert.ok(rows.some(r => r.startsWith(`missing fill: {"tradeId":"${rig.tradeIds.lastBtc}"`)), rows.join('\n'));
      const row = report.discrepancies.find(d => d.class === 'quantity mismatch');
      assert.equal(row?.events.length, 0, 'the position follows from the fills of the rebuilt log: no adjustment was needed');
      const fill = report.discrepancies.find(d => d.subject.tradeId === rig.tradeIds.lastBtc);
      assert.equal(fill?.events.length, 1, 'the missing fill names the event that books it in the new log');
      break;
    }
    case 'a middle row deleted':
      assert.ok(rows.includes('quantity mismatch: {"symbol":"ETH-PERP"} ours 0, broker -1'), rows.join('\n'));
      assert.ok(rows.some(r => r.startsWith(`missing fill: {"tradeId":"${rig.tradeIds.eth}"`)), rows.join('\n'));
      assert.ok(rows.some(r => r.startsWith('balance drift:')), rows.join('\n'));
      break;
    case 'two rows reordered':
      assert.ok(rows.some(r => r.startsWith('order unknown here:')), 'the resting order was requested after the break: the broker has it, the readable log does not');
      assert.ok(rows.includes('quantity mismatch: {"symbol":"BTC-PERP"} ours 0.1, broker 0.15'), rows.join('\n'));
      break;
  }
}

test('books the fill history does not add up to are rebuilt all the same: a busted trade, a fill kept out of the history, a lost order, a wallet credit', async t => {
  const rig = await buildLog(t);
  tamper(rig.path, `DELETE FROM events WHERE seq >= ${rig.seqs.lastFill}`);
  const [btc, eth, resting] = ['CO-000001', 'CO-000002', 'CO-000003'];
  const firstBtcTrade = rig.core.fillHistory().find(f => f.clientOrderId === btc)?.tradeId as string;
  rig.core.bustTrade(firstBtcTrade);
  rig.core.fillUnrecorded(resting, new Decimal('0.02'));
  rig.core.forgetOrder(eth);
  rig.core.adjustBalance(new Decimal('12.5'), 'funding payment');

  const report = await rebuildLogFromBroker({ path: rig.path, broker: rig.gateway, clock: rig.clock, instruments: new InstrumentRegistry() });
  const system = TradingSystem.open({ eventStorePath: rig.path, broker: rig.gateway, clock: rig.clock, circuitBreakers: 'disarmed', reconciliation: 'automatic' });
  t.after(() => system.close());
  const written = system.events;
  assert.ok(written.some(e => e.type === 'TradeQuarantined' && e.payload.clientOrderId === eth), 'the lost order\'s fill is kept aside, not applied');
  assert.ok(written.some(e => e.type === 'BooksAdjusted' && e.payload.position?.symbol === 'ETH-PERP' && e.payload.position.netQuantity === '-1'), 'its position is set as the broker has it');
  assert.ok(written.some(e => e.type === 'OrderFilled' && e.payload.clientOrderId === resting && e.payload.inferred === true), 'the fill kept out of the history is inferred from the order\'s totals');
  assert.ok(!written.some(e => e.type === 'OrderFilled' && e.payload.tradeId === firstBtcTrade), 'the busted trade is not booked');

  const positions = (p: { symbol: string; netQuantity: Decimal; averageEntryPrice: Decimal }[]) => p.map(x => `${x.symbol} ${x.netQuantity.toString()} @ ${x.averageEntryPrice.toString()}`).sort();
  assert.deepEqual(positions(system.state.openPositions()), positions(rig.core.positions().filter(p => !p.netQuantity.isZero())));
  assert.equal(system.state.account().cash.toString(), rig.core.balance().cash.toString());
  const run = await system.reconcileAtStartUp();
  assert.deepEqual(run?.discrepancies, [], 'the first reconciliation on the rebuilt log finds nothing');

  const classes = report.discrepancies.map(d => `${d.class} ${d.subject.tradeId ?? d.subject.clientOrderId ?? d.subject.symbol ?? d.subject.currency}`);
  for (const expected of [`unknown fill ${firstBtcTrade}`, `broker filled less ${btc}`, `missing fill ${resting}`, 'quantity mismatch BTC-PERP', 'balance drift USD']) {
    assert.ok(classes.includes(expected), `${expected} in:\n${classes.join('\n')}`);
  }
  assert.ok(!classes.some(c => c.includes('ETH-PERP') || c.includes(eth)), 'the readable log agrees with the broker on ETH: nothing is listed for it');
  const inferredRow = report.discrepancies.find(d => d.class === 'missing fill' && d.subject.clientOrderId === resting);
  assert.deepEqual(inferredRow?.events.map(seq => written[seq - 1].type), ['OrderAdopted', 'OrderFilled'], 'a row names the events of the new log that settle it');
});

test('a corrupt log left by a crash with pages still in its write-ahead file is refused without folding them in, and quarantined with it', async t => {
  const rig = await buildLog(t);
  // The edit stays in the write-ahead file: the connection that made it is still open when the files are taken.
  const writer = new Database(rig.path);
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec(`DELETE FROM events WHERE seq >= ${rig.seqs.lastFill}`);
  const crashed = join(mkdtempSync(join(tmpdir(), 'log-rebuild-crashed-')), 'events.sqlite');
  t.after(() => rmSync(dirname(crashed), { recursive: true, force: true }));
  for (const suffix of ['', '-wal', '-shm']) copyFileSync(rig.path + suffix, crashed + suffix);
  writer.close();
  const found = { log: sha256(crashed), wal: sha256(`${crashed}-wal`) };
  assert.ok(statSync(`${crashed}-wal`).size > 0);

  assert.equal(brokenAtOnOpen(crashed, rig.clock), rig.seqs.lastFill);
  assert.deepEqual({ log: sha256(crashed), wal: sha256(`${crashed}-wal`) }, found, 'refused without checkpointing the write-ahead file into the log');

  const report = await rebuildLogFromBroker({ path: crashed, broker: rig.gateway, clock: rig.clock, instruments: new InstrumentRegistry() });
  assert.equal(report.brokenAt, rig.seqs.lastFill);
  assert.deepEqual({ log: sha256(report.quarantinedPath), wal: sha256(`${report.quarantinedPath}-wal`) }, found, 'the log and its write-ahead file are quarantined together, byte for byte');
  assert.equal(brokenAtOnOpen(report.quarantinedPath, rig.clock), rig.seqs.lastFill, 'read with its write-ahead file, the quarantined log still shows the same break');
  assert.equal(SqliteEventStore.inspect(crashed).ok, true);
});

test('an edit whose hash was computed again breaks the link of the next event', async t => {
  const rig = await buildLog(t);
  const db = new Database(rig.path);
  const row = db.prepare('SELECT seq, type, at, prev_hash FROM events WHERE seq = ?').get(rig.seqs.ethFill) as { seq: number; type: string; at: string; prev_hash: string };
  const payload = '{"clientOrderId":"x","tradeId":"y","quantity":"9","price":"1","fee":"0","liquidity":"maker"}';
  db.prepare('UPDATE events SET payload = ?, hash = ? WHERE seq = ?').run(payload, eventHash(row.prev_hash, row.seq, row.type, row.at, payload), row.seq);
  db.close();
  assert.equal(brokenAtOnOpen(rig.path, rig.clock), rig.seqs.ethFill + 1);
});

test('a log file cut short on disk, or not a database at all, is refused as corrupted', async t => {
  const rig = await buildLog(t);
  const bytes = readFileSync(rig.path);
  writeFileSync(rig.path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  assert.notEqual(brokenAtOnOpen(rig.path, rig.clock), undefined);
  writeFileSync(rig.path, 'not a database at all, but long enough to have a header of its own: '.repeat(100));
  assert.equal(brokenAtOnOpen(rig.path, rig.clock), 1);
});

test('a log that verifies is not rebuilt, and nothing is moved', async t => {
  const rig = await buildLog(t);
  const before = sha256(rig.path);
  await assert.rejects(
    rebuildLogFromBroker({ path: rig.path, broker: rig.gateway, clock: rig.clock, instruments: new InstrumentRegistry() }),
    (e: unknown) => e instanceof TradingError && e.kind === 'InvalidInput' && /nothing to rebuild/.test(e.message),
  );
  assert.equal(sha256(rig.path), before);
  assert.equal(existsSync(join(dirname(rig.path), 'quarantine')), false);
});

test('a broker that cannot be read leaves the corrupt log where it was, unmoved', async t => {
  const rig = await buildLog(t);
  tamper(rig.path, `DELETE FROM events WHERE seq >= ${rig.seqs.lastFill}`);
  const before = sha256(rig.path);
  rig.core.failNext('positions', 1);
  await assert.rejects(rebuildLogFromBroker({ path: rig.path, broker: rig.gateway, clock: rig.clock, instruments: new InstrumentRegistry() }));
  assert.equal(sha256(rig.path), before);
  assert.equal(brokenAtOnOpen(rig.path, rig.clock), rig.seqs.lastFill, 'still refused: nothing trades on it');
  assert.equal(existsSync(join(dirname(rig.path), 'quarantine')), false);
});
