import Database from 'better-sqlite3';
import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal, ZERO, sum } from '../domain/shared/decimal';
import { StateProjection } from '../domain/state/projection';
import { SqliteEventStore } from '../domain/state/event-store';
import { TradingError } from '../domain/shared/errors';
import { InstrumentRegistry } from '../domain/model/instrument';
import { StoredEvent } from '../domain/state/events';
import { TradingWorld } from '../support/world';
import { figure } from '../support/parameter-types';
import { stateSnapshot } from '../support/sut/state-snapshot';

// ---- the account and the market ----

Given('an account funded with {money}', function (this: TradingWorld, amount: Decimal) {
  this.fund(amount);
});

Given('the market is:', function (this: TradingWorld, table: DataTable) {
  for (const row of table.hashes()) this.mark(row.symbol, figure(row.mark));
});

// ---- positions and reconciliation ----

Then('the {symbol} position is {direction} {figure} at an average entry of {money}', async function (this: TradingWorld, symbol: string, direction: string, quantity: Decimal, average: Decimal) {
  await this.reconciliationsSettled();
  const position = this.system.state.position(symbol);
  const signed = direction === 'short' ? quantity.neg() : quantity;
  expect(position.netQuantity.toString(), 'net quantity').to.equal(signed.toString());
  expect(position.averageEntryPrice.toString(), 'average entry').to.equal(average.toString());
});

Then('the trader has no {symbol} position', function (this: TradingWorld, symbol: string) {
  expect(this.system.state.position(symbol).netQuantity.isZero()).to.equal(true);
  expect(this.broker.positions().filter(p => p.symbol === symbol && !p.netQuantity.isZero())).to.deep.equal([]);
});

Then('the positions are:', async function (this: TradingWorld, table: DataTable) {
  await this.reconciliationsSettled();
  const actual = this.system.state.openPositions().map(p => ({ symbol: p.symbol, quantity: p.netQuantity.toString(), average: p.averageEntryPrice.toString() }));
  const expected = table.hashes().map(row => ({
    symbol: row.symbol,
    quantity: figure(row['net quantity']).toString(),
    average: figure(row['average entry']).toString(),
  }));
  expect(actual).to.have.deep.members(expected);
});

function latestReconciliation(world: TradingWorld, symbol: string): StoredEvent & { type: 'PositionReconciled' } {
  const events = world.system.events.filter((e): e is StoredEvent & { type: 'PositionReconciled' } => e.type === 'PositionReconciled' && e.payload.symbol === symbol);
  const last = events.pop();
  if (!last) throw new Error(`no reconciliation of ${symbol} in the log`);
  return last;
}

function expectReconciled(world: TradingWorld, symbol: string): void {
  const last = latestReconciliation(world, symbol);
  expect(last.payload.status, `${symbol}: local ${last.payload.localQuantity}, broker ${last.payload.brokerQuantity}`).to.equal('matched');
  const atBroker = world.broker.positions().find(p => p.symbol === symbol);
  const local = world.system.state.position(symbol);
  expect(local.netQuantity.toString(), 'quantity').to.equal((atBroker?.netQuantity ?? ZERO).toString());
  expect(local.averageEntryPrice.toString(), 'average entry').to.equal((atBroker?.averageEntryPrice ?? ZERO).toString());
  expect(last.payload.localQuantity).to.equal(local.netQuantity.toString());
}

Then('the {symbol} position is reconciled with the broker', async function (this: TradingWorld, symbol: string) {
  await this.reconciliationsSettled();
  expectReconciled(this, symbol);
});

Then('every position is reconciled with the broker', async function (this: TradingWorld) {
  await this.reconciliationsSettled();
  const symbols = this.system.state.openPositions().map(p => p.symbol);
  expect(symbols.length).to.be.greaterThan(0);
  for (const symbol of symbols) expectReconciled(this, symbol);
});

Then('the {symbol} position was reconciled {int} times, every time matched', async function (this: TradingWorld, symbol: string, times: number) {
  await this.reconciliationsSettled();
  const results = this.system.events.filter(e => e.type === 'PositionReconciled' && e.payload.symbol === symbol).map(e => (e.type === 'PositionReconciled' ? e.payload.status : ''));
  expect(results).to.deep.equal(Array(times).fill('matched'));
});

Then('the realized P&L on {symbol} is {money} after fees, the same as the broker\'s', async function (this: TradingWorld, symbol: string, pnl: Decimal) {
  await this.reconciliationsSettled();
  expect(this.system.state.position(symbol).realizedPnl.toString()).to.equal(pnl.toString());
  expect(this.broker.positions().find(p => p.symbol === symbol)?.realizedPnl.toString()).to.equal(pnl.toString());
});

Then('the account cash agrees with the broker\'s balance', function (this: TradingWorld) {
  expect(this.system.state.account().cash.toString()).to.equal(this.broker.balance().cash.toString());
});

Then('the account paid {money} in fees, leaving {money} cash, the same as the broker\'s', async function (this: TradingWorld, fees: Decimal, cash: Decimal) {
  await this.reconciliationsSettled();
  const paid = sum([...this.system.state.positions.values()].map(p => p.fees));
  expect(paid.toString(), 'fees paid').to.equal(fees.toString());
  expect(this.system.state.account().cash.toString(), 'cash here').to.equal(cash.toString());
  expect(this.broker.balance().cash.toString(), 'cash at the broker').to.equal(cash.toString());
});

Then('the {symbol} position is reconciled as mismatched: {figure} here, {figure} at the broker', async function (this: TradingWorld, symbol: string, local: Decimal, broker: Decimal) {
  await this.reconciliationsSettled();
  const last = latestReconciliation(this, symbol);
  expect(last.payload.status).to.equal('mismatched');
  expect(last.payload.localQuantity).to.equal(local.toString());
  expect(last.payload.brokerQuantity).to.equal(broker.toString());
});

Then('the reconciliation shows an average entry of {figure} here against {figure} at the broker', function (this: TradingWorld, local: Decimal, broker: Decimal) {
  const last = this.system.events.filter(e => e.type === 'PositionReconciled').pop();
  if (last?.type !== 'PositionReconciled') throw new Error('no reconciliation in the log');
  expect(last.payload.localAverage).to.equal(local.toString());
  expect(last.payload.brokerAverage).to.equal(broker.toString());
});

// ---- the system and the broker agree ----

Then('the system\'s working orders are exactly the broker\'s open orders', function (this: TradingWorld) {
  const local = this.system.state.workingOrders().map(o => `${o.clientOrderId} ${o.quantity} @ ${o.limitPrice ?? 'mkt'} filled ${o.filledQuantity}`);
  const remote = this.broker.openOrders().map(o => `${o.clientOrderId} ${o.quantity} @ ${o.limitPrice ?? 'mkt'} filled ${o.filledQuantity}`);
  expect(local.length).to.be.greaterThan(0);
  expect(local).to.have.members(remote);
});

Then('every filled quantity agrees with the broker\'s', function (this: TradingWorld) {
  const brokerOrders = new Map(this.broker.allOrders().map(o => [o.clientOrderId, o]));
  const sentOrders = [...this.system.state.orders.values()].filter(o => o.brokerOrderId !== undefined);
  expect(sentOrders.length).to.be.greaterThan(0);
  for (const order of sentOrders) {
    expect(order.filledQuantity.toString(), order.clientOrderId).to.equal(brokerOrders.get(order.clientOrderId)?.filledQuantity.toString());
  }
});

Then('the rejected order never reached the broker', function (this: TradingWorld) {
  const rejected = [...this.system.state.orders.values()].filter(o => o.status === 'rejected');
  expect(rejected).to.have.length(1);
  const reached = new Set(this.broker.requests.map(r => r.clientOrderId));
  for (const order of rejected) expect(reached.has(order.clientOrderId), order.clientOrderId).to.equal(false);
});

Then('a projection rebuilt from the event log equals the live state', async function (this: TradingWorld) {
  await this.reconciliationsSettled();
  const rebuilt = new StateProjection(new InstrumentRegistry());
  rebuilt.replay(this.system.events);
  expect(stateSnapshot(rebuilt)).to.deep.equal(stateSnapshot(this.system.state));
});

// ---- the event log ----

Then('the event log for the order reads:', async function (this: TradingWorld, table: DataTable) {
  await this.reconciliationsSettled();
  const types = this.eventsFor(this.lastOrder().clientOrderId).map(e => e.type);
  expect(types).to.deep.equal(table.hashes().map(row => row.event));
});

Then('the position reconciliation after the fill is in the log', function (this: TradingWorld) {
  const events = this.system.events;
  const fill = events.find(e => e.type === 'OrderFilled');
  const reconciled = events.find(e => e.type === 'PositionReconciled');
  if (fill?.type !== 'OrderFilled' || reconciled?.type !== 'PositionReconciled') throw new Error('fill or reconciliation missing');
  expect(reconciled.seq).to.be.greaterThan(fill.seq);
  expect(reconciled.payload.trigger).to.equal(`fill ${fill.payload.tradeId}`);
  expect(reconciled.payload.status).to.equal('matched');
});

Then('the event log\'s sequence numbers have no gaps and its hash chain verifies', function (this: TradingWorld) {
  const events = this.system.events;
  expect(events.map(e => e.seq)).to.deep.equal(events.map((_, i) => i + 1));
  for (let i = 1; i < events.length; i += 1) expect(events[i].prevHash).to.equal(events[i - 1].hash);
  expect(this.system.ledger.store.verify()).to.deep.equal({ ok: true, events: events.length });
});

When('someone edits the recorded fill price in the event log to {figure}', async function (this: TradingWorld, price: Decimal) {
  await this.reconciliationsSettled();
  await this.crash();
  const db = new Database(this.eventStorePath);
  try {
    const row = db.prepare("SELECT seq, payload FROM events WHERE type = 'OrderFilled' LIMIT 1").get() as { seq: number; payload: string };
    const payload = { ...JSON.parse(row.payload), price: price.toString() };
    db.prepare('UPDATE events SET payload = ? WHERE seq = ?').run(JSON.stringify(payload), row.seq);
  } finally {
    db.close();
  }
});

Then('opening the event log fails with {string}', function (this: TradingWorld, kind: string) {
  let failure: unknown = null;
  try {
    SqliteEventStore.open(this.eventStorePath, this.clock).close();
  } catch (error) {
    failure = error;
  }
  expect(failure).to.be.instanceOf(TradingError);
  expect((failure as TradingError).kind).to.equal(kind);
  expect((failure as TradingError).message).to.include('content does not match its hash');
});

// ---- crash and restart ----

When('the trading system crashes', async function (this: TradingWorld) {
  await this.reconciliationsSettled();
  this.snapshotBeforeCrash = stateSnapshot(this.system.state);
  await this.crash();
});

When('a new trading system instance starts on the same event log', async function (this: TradingWorld) {
  expect(this.systemIsRunning).to.equal(false);
  expect((await this.restartAfterCrash()).eventsReplayed).to.be.greaterThan(0);
});

Then('it has the same orders, positions, balances and settings as before the crash', function (this: TradingWorld) {
  expect(this.snapshotBeforeCrash).to.not.equal(null);
  expect(stateSnapshot(this.system.state)).to.deep.equal(this.snapshotBeforeCrash);
});

When('it recovers with the broker', async function (this: TradingWorld) {
  this.recovery = await this.system.recover();
});

When('{duration} later it recovers with the broker', async function (this: TradingWorld, ms: number) {
  this.clock.advance(ms);
  this.recovery = await this.system.recover();
});

Then('{int} fill(s) is/are recovered from the broker', function (this: TradingWorld, fills: number) {
  expect(this.recovery?.fillsRecovered).to.equal(fills);
});
