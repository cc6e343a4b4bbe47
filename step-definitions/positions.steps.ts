import { DataTable, Given, Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import type { PositionView } from '../support/dsl';
import { TradingWorld } from '../support/world';
import { cell } from '../support/parameter-types';

// ---- the account and the market ----

Given('an account funded with {money}', async function (this: TradingWorld, amount: Decimal) {
  await this.operator.openAccount(amount);
});

Given('the market is:', async function (this: TradingWorld, table: DataTable) {
  await this.market.markEach(table.hashes().map(row => ({ symbol: row.symbol, price: cell.figure(row.mark) })));
});

// ---- positions, here and at the broker ----

Then('the {symbol} position is {direction} {figure} at an average entry of {money}', async function (this: TradingWorld, symbol: string, direction: string, quantity: Decimal, average: Decimal) {
  const { here } = await this.trader.reconciledPosition(symbol);
  const signed = direction === 'short' ? quantity.neg() : quantity;
  expect(here.netQuantity.toString(), 'net quantity').to.equal(signed.toString());
  expect(here.averageEntryPrice.toString(), 'average entry').to.equal(average.toString());
});

Then('the trader has no {symbol} position', function (this: TradingWorld, symbol: string) {
  const { here, atBroker } = this.trader.position(symbol);
  expect(here.netQuantity.isZero(), `${here.netQuantity} here`).to.equal(true);
  expect(atBroker === undefined || atBroker.netQuantity.isZero(), `${atBroker?.netQuantity} at the broker`).to.equal(true);
});

Then('the positions are:', async function (this: TradingWorld, table: DataTable) {
  const actual = (await this.trader.reconciledPositions()).map(({ here }) => ({ symbol: here.symbol, quantity: here.netQuantity.toString(), average: here.averageEntryPrice.toString() }));
  const expected = table.hashes().map(row => ({
    symbol: row.symbol,
    quantity: cell.figure(row['net quantity']).toString(),
    average: cell.figure(row['average entry']).toString(),
  }));
  expect(actual).to.have.deep.members(expected);
});

Then('the realized P&L on {symbol} is {money} after fees, the same as the broker\'s', async function (this: TradingWorld, symbol: string, pnl: Decimal) {
  const { here, atBroker } = await this.trader.reconciledPosition(symbol);
  expect(here.realizedPnl.toString()).to.equal(pnl.toString());
  expect(atBroker?.realizedPnl.toString()).to.equal(pnl.toString());
});

Then('the account cash agrees with the broker\'s balance', function (this: TradingWorld) {
  const { cash, atBroker } = this.trader.account();
  expect(cash.toString()).to.equal(atBroker.cash.toString());
});

Then('the account paid {money} in fees, leaving {money} cash, the same as the broker\'s', async function (this: TradingWorld, fees: Decimal, cash: Decimal) {
  const account = await this.trader.reconciledAccount();
  expect(account.feesPaid.reduce((total, fee) => total.plus(fee), new Decimal(0)).toString(), 'fees paid').to.equal(fees.toString());
  expect(account.cash.toString(), 'cash here').to.equal(cash.toString());
  expect(account.atBroker.cash.toString(), 'cash at the broker').to.equal(cash.toString());
});

// ---- reconciliation with the broker ----

/** The latest reconciliation matched, and the position here is the broker's, as the reconciliation recorded it. */
function expectReconciled({ here, atBroker, reconciliations }: PositionView): void {
  const last = reconciliations.at(-1);
  if (!last) throw new Error(`no reconciliation of ${here.symbol} in the log`);
  expect(last.payload.status, `${here.symbol}: local ${last.payload.localQuantity}, broker ${last.payload.brokerQuantity}`).to.equal('matched');
  expect(here.netQuantity.toString(), 'quantity').to.equal((atBroker?.netQuantity ?? new Decimal(0)).toString());
  expect(here.averageEntryPrice.toString(), 'average entry').to.equal((atBroker?.averageEntryPrice ?? new Decimal(0)).toString());
  expect(last.payload.localQuantity).to.equal(here.netQuantity.toString());
}

Then('the {symbol} position is reconciled with the broker', async function (this: TradingWorld, symbol: string) {
  expectReconciled(await this.trader.reconciledPosition(symbol));
});

Then('every position is reconciled with the broker', async function (this: TradingWorld) {
  const positions = await this.trader.reconciledPositions();
  expect(positions.length).to.be.greaterThan(0);
  for (const position of positions) expectReconciled(position);
});

Then('the {symbol} position was reconciled {int} times, every time matched', async function (this: TradingWorld, symbol: string, times: number) {
  const { reconciliations } = await this.trader.reconciledPosition(symbol);
  expect(reconciliations.map(e => e.payload.status)).to.deep.equal(Array(times).fill('matched'));
});

Then('the {symbol} position is reconciled as mismatched: {figure} here, {figure} at the broker', async function (this: TradingWorld, symbol: string, local: Decimal, broker: Decimal) {
  const last = (await this.trader.reconciledPosition(symbol)).reconciliations.at(-1);
  if (!last) throw new Error(`no reconciliation of ${symbol} in the log`);
  expect(last.payload.status).to.equal('mismatched');
  expect(last.payload.localQuantity).to.equal(local.toString());
  expect(last.payload.brokerQuantity).to.equal(broker.toString());
});

Then('the reconciliation shows an average entry of {figure} here against {figure} at the broker', function (this: TradingWorld, local: Decimal, broker: Decimal) {
  const last = this.eventLog.latest('PositionReconciled');
  if (!last) throw new Error('no reconciliation in the log');
  expect(last.payload.localAverage).to.equal(local.toString());
  expect(last.payload.brokerAverage).to.equal(broker.toString());
});

// ---- the system and the broker agree ----

const line = (o: { clientOrderId: string; quantity: Decimal; limitPrice?: Decimal; filledQuantity: Decimal }) => `${o.clientOrderId} ${o.quantity} @ ${o.limitPrice ?? 'mkt'} filled ${o.filledQuantity}`;

Then('the system\'s working orders are exactly the broker\'s open orders', function (this: TradingWorld) {
  const { working, brokerOpen } = this.trader.ordersHereAndAtBroker();
  expect(working.length).to.be.greaterThan(0);
  expect(working.map(line)).to.have.members(brokerOpen.map(line));
});

Then('every filled quantity agrees with the broker\'s', function (this: TradingWorld) {
  const { all, brokerAll } = this.trader.ordersHereAndAtBroker();
  const brokerOrders = new Map(brokerAll.map(o => [o.clientOrderId, o]));
  const sentOrders = all.filter(o => o.brokerOrderId !== undefined);
  expect(sentOrders.length).to.be.greaterThan(0);
  for (const order of sentOrders) {
    expect(order.filledQuantity.toString(), order.clientOrderId).to.equal(brokerOrders.get(order.clientOrderId)?.filledQuantity.toString());
  }
});

Then('the rejected order never reached the broker', function (this: TradingWorld) {
  const { all, brokerRequests } = this.trader.ordersHereAndAtBroker();
  const rejected = all.filter(o => o.status === 'rejected');
  expect(rejected).to.have.length(1);
  const reached = new Set(brokerRequests.map(r => r.clientOrderId));
  for (const order of rejected) expect(reached.has(order.clientOrderId), order.clientOrderId).to.equal(false);
});
