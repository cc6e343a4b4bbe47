import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock, Decimal, ZERO, TradingError } from '../domain/shared';
import { BrokerFill, API_PREFIX, MAX_FILL_PAGE } from '../domain/execution';
import { StateProjection, StoredEvent, DEFAULT_SETTINGS } from '../domain/state';
import { DEFAULT_INSTRUMENTS, InstrumentRegistry } from '../domain/model';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';
import { WireRecoveryRig } from '../support/wire-recovery-rig';
import { fundedSystem } from './in-process-system';

/** Fill-history requests the broker answered from this point of its log on. */
function fillRequests(rig: WireRecoveryRig, from: number): string[] {
  return rig.server.httpLog.slice(from).filter(e => e.path.startsWith(`${API_PREFIX}/fills`)).map(e => `${e.status} ${e.path}`);
}

test('over the wire, a restart with 10,000 fills at the broker recovers them all, and the next restart asks only from its last cursor', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'fill-history-'));
  const rig = new WireRecoveryRig({ dir });
  t.after(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await rig.open();
  // Five buys and five sells of 1.5 each: 10,000 fills of 0.001 leave 0.5 of each open.
  await rig.placeRestingOrders(5, '1.5');
  await rig.crash();
  rig.bookFills(10_000);

  await rig.start();
  const first = await rig.system.recover();
  assert.equal(first.fillsRecovered, 10_000, 'every fill at the broker belongs to an order the log knows, and is applied');
  const { system, broker } = rig.books();
  assert.deepEqual(system, broker, 'positions and cash equal the broker\'s');
  assert.equal(rig.system.state.fillCursors.get('SIM'), 10_000);

  await rig.crash();
  rig.bookFills(7);
  const logMark = rig.server.httpLog.length;
  await rig.start();
  assert.equal(rig.system.state.fillCursors.get('SIM'), 10_000, 'the cursor survives the restart: it is replayed from the log');
  const second = await rig.system.recover();
  assert.equal(second.fillsRecovered, 7);
  assert.deepEqual(fillRequests(rig, logMark), [`200 ${API_PREFIX}/fills?since=10000&limit=200`], 'one page, from the last cursor');
  const after = rig.books();
  assert.deepEqual(after.system, after.broker);
  assert.equal(rig.system.state.fillCursors.get('SIM'), 10_007);
});

test('in process the gateway pages the same way: at most MAX_FILL_PAGE, and a cursor past the history is refused', async t => {
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const gateway = new InProcessBrokerGateway(core);
  t.after(() => gateway.close());
  core.deposit(new Decimal(1_000_000));
  core.placeOrder({ clientOrderId: 'P-1', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal(1), limitPrice: new Decimal(49_000), reduceOnly: false });
  for (let i = 0; i < MAX_FILL_PAGE + 20; i += 1) core.tradeAgainst('P-1', new Decimal('0.001'));
  const first = await gateway.fills(0, 100_000);
  assert.deepEqual([first.fills.length, first.cursor, first.more], [MAX_FILL_PAGE, MAX_FILL_PAGE, true]);
  const rest = await gateway.fills(first.cursor, 100);
  assert.deepEqual([rest.fills.length, rest.cursor, rest.more], [20, MAX_FILL_PAGE + 20, false]);
  for (const [since, limit] of [[MAX_FILL_PAGE + 21, 10], [-1, 10], [0, 0], [0, 1.5]]) {
    await assert.rejects(gateway.fills(since, limit), (error: unknown) => error instanceof TradingError && error.kind === 'BrokerRejected' && error.details.reasonCode === 'INVALID_REQUEST', `${since}, ${limit}`);
  }
});

test('a broker whose fill cursor goes back, or stands still while more remain, is refused: the synchronisation fails on record and applies nothing', async t => {
  const { core, gateway, system } = fundedSystem(t);
  // Two fills of an order placed elsewhere on the account: the system skips them but reads past them.
  core.placeOrder({ clientOrderId: 'ELSEWHERE-1', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal(1), limitPrice: new Decimal(49_000), reduceOnly: false });
  core.tradeAgainst('ELSEWHERE-1', new Decimal('0.001'));
  core.tradeAgainst('ELSEWHERE-1', new Decimal('0.001'));
  await system.recover();
  assert.equal(system.state.fillCursor('SIM'), 2);
  const pages = [
    { fills: [], cursor: 1, more: false },
    { fills: [], cursor: 2, more: true },
  ];
  for (const page of pages) {
    const eventsBefore = system.ledger.store.length;
    gateway.fills = async () => page;
    await assert.rejects(system.recover(), (error: unknown) => error instanceof TradingError && error.kind === 'ProtocolError', JSON.stringify(page));
    assert.deepEqual(system.events.slice(eventsBefore).map(e => e.type), ['BrokerSyncFailed', 'BrokerErrorRecorded']);
    assert.equal(system.state.fillCursor('SIM'), 2);
  }
});

test('a page with more fills than the system asked for is refused before any of it is applied: the synchronisation fails on record', async t => {
  const { clock, core, gateway, system } = fundedSystem(t);
  core.setMark('BTC-PERP', new Decimal(50_000));
  system.updateMark('BTC-PERP', '50000');
  const placed = await system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '0.3', limitPrice: '49000' });
  assert.equal(placed.outcome, 'accepted');
  const order = system.state.order(placed.order.clientOrderId);
  // Fills of the system's own order, each one it would apply if it read them.
  const fill = (i: number): BrokerFill => ({
    type: 'fill', clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId ?? 'SIM-1', tradeId: `OVER-${i}`, symbol: 'BTC-PERP',
    side: 'buy', quantity: new Decimal('0.001'), price: new Decimal(49_000), fee: ZERO, liquidity: 'maker', at: clock.now().toISOString(),
  });
  const cursorBefore = system.state.fillCursor('SIM');
  const asked: number[] = [];
  gateway.fills = async (since, limit) => {
    asked.push(limit);
    return { fills: Array.from({ length: limit + 1 }, (_, i) => fill(i)), cursor: since + limit + 1, more: false };
  };
  const eventsBefore = system.ledger.store.length;
  await assert.rejects(system.recover(), (error: unknown) => error instanceof TradingError && error.kind === 'ProtocolError');
  assert.equal(asked.length, 1);
  assert.deepEqual(system.events.slice(eventsBefore).map(e => e.type), ['BrokerSyncFailed', 'BrokerErrorRecorded']);
  assert.equal(system.state.order(order.clientOrderId).filledQuantity.toString(), '0', 'no fill of the page was applied');
  assert.equal(system.state.position('BTC-PERP').netQuantity.toString(), '0');
  assert.equal(system.state.fillCursor('SIM'), cursorBefore);
});

test('a recorded fill cursor that is not a whole number from 0 up is refused on replay', () => {
  const synchronised = (fillCursor: unknown): StoredEvent =>
    ({
      seq: 1, type: 'StateSynchronised', at: '2026-01-05T14:30:00.000Z', prevHash: '0'.repeat(64), hash: '1'.repeat(64),
      payload: { broker: 'SIM', trigger: 'startup', fillsRecovered: 0, ordersClosed: 0, ordersStillWorking: 0, positionsChecked: 0, fillCursor },
    }) as StoredEvent;
  for (const cursor of [-1, 1.5, Number.NaN, '10', 2 ** 53]) {
    const state = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
    assert.throws(() => state.replay([synchronised(cursor)]), (e: unknown) => e instanceof TradingError && e.kind === 'InvalidInput', String(cursor));
    assert.equal(state.fillCursor('SIM'), 0, 'the cursor stays where it was');
  }
  const state = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
  state.replay([synchronised(0), { ...synchronised(7), seq: 2 }]);
  assert.equal(state.fillCursor('SIM'), 7);
});
