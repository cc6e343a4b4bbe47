import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import { WORKING_ORDER } from '../support/dsl';
import { TradingWorld } from '../support/world';

// ---- resynchronisation after a fault ----

Then('the system resynchronised with the broker after the {string}, recovering {int} fill(s)', async function (this: TradingWorld, trigger: string, fills: number) {
  const sync = await this.brokerReconciliation.resynchronisedAfter(trigger);
  expect(sync.payload.fillsRecovered).to.equal(fills);
});

Then('the system resynchronised with the broker after the {string}, recovering {int} fills and closing {int} order(s)', async function (this: TradingWorld, trigger: string, fills: number, closed: number) {
  const sync = await this.brokerReconciliation.resynchronisedAfter(trigger);
  expect(sync.payload.fillsRecovered, 'fills recovered').to.equal(fills);
  expect(sync.payload.ordersClosed, 'orders closed').to.equal(closed);
});

Then('the trade was applied exactly once', async function (this: TradingWorld) {
  const { atBroker, applied } = await this.brokerReconciliation.tradesOfTheOrder();
  expect(applied).to.have.members(atBroker);
  expect(applied).to.have.length(atBroker.length);
});

// ---- positions ----

Then('the {symbol} reconciliation was skipped after a {string} error', async function (this: TradingWorld, symbol: string, kind: string) {
  const { skipped, reconciledSince } = await this.brokerReconciliation.skippedReconciliation(symbol);
  expect(skipped.payload.errorKind).to.equal(kind);
  expect(reconciledSince, `${symbol} reconciliations carried out since the fault`).to.equal(0);
});

When('the positions are reconciled again', async function (this: TradingWorld) {
  await this.brokerReconciliation.reconcilePositionsAgain();
});

// ---- the balance ----

When('the system reconciles the balance with the broker', async function (this: TradingWorld) {
  await this.operator.reconcileBalance('scheduled');
});

Given('the broker debits {money} the system never heard of', function (this: TradingWorld, amount: Decimal) {
  this.venue.debit(amount);
});

Then('the balance is mismatched: {money} here, {money} at the broker', function (this: TradingWorld, local: Decimal, broker: Decimal) {
  const { check, cashHere } = this.brokerReconciliation.latestBalanceCheck();
  expect(check).to.include({ status: 'mismatched', localCash: local.toString(), brokerCash: broker.toString() });
  expect(cashHere, 'the local cash is not overwritten').to.equal(local.toString());
});

Then('the balance check is skipped and the cash stays at {money}', function (this: TradingWorld, cash: Decimal) {
  const { check, cashHere } = this.brokerReconciliation.latestBalanceCheck();
  expect(check).to.include({ status: 'skipped', localCash: cash.toString() });
  expect(cashHere).to.equal(cash.toString());
});

Then('the balance matches the broker\'s at {money}', function (this: TradingWorld, cash: Decimal) {
  const { check } = this.brokerReconciliation.latestBalanceCheck();
  expect(check).to.include({ status: 'matched', localCash: cash.toString(), brokerCash: cash.toString() });
});

// ---- orders in flight ----

When('the system resolves its orders in flight', async function (this: TradingWorld) {
  await this.operator.resolveInFlightOrders();
});

When('{duration} later the system resolves its orders in flight', async function (this: TradingWorld, ms: number) {
  await this.operator.resolveInFlightOrdersAfter(ms);
});

Then('the order was sent again under the same client order id, signed {duration} after its first request', function (this: TradingWorld, ms: number) {
  expect(this.brokerReconciliation.resubmissionsOfLastOrder().signedAfterFirstMs).to.deep.equal([ms]);
});

Then('the order was resubmitted under the same client order id', function (this: TradingWorld) {
  const { lastOrder, resubmittedOrders, placeRequestsAtBroker } = this.brokerReconciliation.resubmissionsOfLastOrder();
  expect(resubmittedOrders).to.deep.equal([lastOrder]);
  expect(placeRequestsAtBroker, 'order requests that reached the broker').to.equal(1);
});

// ---- the fill history after a restart ----

When('while it is down the market trades {figure} {symbol} against the order {int} times', function (this: TradingWorld, quantity: Decimal, symbol: string, times: number) {
  this.venue.tradeWhileSystemIsDown(WORKING_ORDER, symbol, quantity, times);
});

Then('the broker was asked for its fill history in {int} page(s) from cursor {int}', function (this: TradingWorld, pages: number, cursor: number) {
  const asked = this.venue.fillHistoryPagesSinceSystemWasDown();
  expect(asked.map(page => page.status)).to.deep.equal(Array(pages).fill(200));
  expect(asked[0]?.since, 'the cursor the first page was asked from').to.equal(String(cursor));
});
