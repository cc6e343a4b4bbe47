import { Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import { WORKING_ORDER } from '../support/dsl';
import { TradingWorld } from '../support/world';

// ---- cancelling and modifying the working order ----

When('the trader cancels the working order', async function (this: TradingWorld) {
  await this.trader.cancelAndSettle(WORKING_ORDER);
});

When('the trader modifies the working order to {figure} at {money}', async function (this: TradingWorld, quantity: Decimal, price: Decimal) {
  await this.trader.modifyAndSettle(WORKING_ORDER, { quantity: quantity.toString(), limitPrice: price.toString() });
});

When('the trader asks to cancel the working order without waiting for the answer', async function (this: TradingWorld) {
  await this.trader.askToCancel(WORKING_ORDER);
});

When('the trader asks to modify the working order to {figure} at {money} without waiting for the answer', async function (this: TradingWorld, quantity: Decimal, price: Decimal) {
  await this.trader.askToModify(WORKING_ORDER, { quantity: quantity.toString(), limitPrice: price.toString() });
});

When('the market trades {figure} {symbol} against the order just as the trader cancels it', async function (this: TradingWorld, quantity: Decimal, symbol: string) {
  const { cancellation, filledWhenConfirmed } = await this.executions.tradeAsCancelled(symbol, quantity);
  expect(cancellation.outcome, cancellation.outcome === 'refused' ? cancellation.error.message : '').to.equal('cancelled');
  // In process the report is still queued behind the cancel's answer: the fill comes after the
  // confirmation. On the wire it cannot: the broker's stream carries the fill before the answer and
  // the gateway waits for it, so what can be shown there is that the fill was applied by then.
  const filledByThen = this.context.transport === 'in-process' ? '0' : quantity.toString();
  expect(filledWhenConfirmed.toString(), 'filled when the cancel was confirmed').to.equal(filledByThen);
});

// ---- what the trader is told, and what the order is then ----

Then('the trader is told the cancel went through', function (this: TradingWorld) {
  const result = this.trader.lastCancellation();
  expect(result.outcome, result.outcome === 'refused' ? result.error.message : '').to.equal('cancelled');
});

Then('the trader is told the modification went through', function (this: TradingWorld) {
  const result = this.trader.lastModification();
  expect(result.outcome, result.outcome === 'refused' ? result.error.message : '').to.equal('modified');
});

Then('the cancel is refused because {string}', function (this: TradingWorld, reason: string) {
  const result = this.trader.lastCancellation();
  if (result.outcome !== 'refused') throw new Error(`expected the cancel to be refused, it was ${result.outcome}`);
  expect(result.error.message).to.include(reason);
});

Then('the refused cancel is on the order\'s record as {string}', function (this: TradingWorld, kind: string) {
  const { events } = this.trader.review();
  const refusals = events.filter(e => e.type === 'OrderCancelRefused');
  expect(refusals.map(e => (e.type === 'OrderCancelRefused' ? e.payload.errorKind : '')), 'cancel refusals on the order\'s record').to.deep.equal([kind]);
  expect(events.at(-1)?.type, 'the last event of the order').to.equal('OrderCancelRefused');
  expect(events.some(e => e.type === 'OrderCancelRequested'), 'a cancel request on record').to.equal(false);
});

Then('the modification is refused because {string}', function (this: TradingWorld, reason: string) {
  const result = this.trader.lastModification();
  if (result.outcome !== 'refused') throw new Error(`expected the modification to be refused, it was ${result.outcome}`);
  expect(result.error.message).to.include(reason);
});

Then('the broker received no cancel request', function (this: TradingWorld) {
  expect(this.venue.books.requests.filter(r => r.action === 'cancel')).to.have.length(0);
});

Then('the working order is for {figure} at {money}, here and at the broker', function (this: TradingWorld, quantity: Decimal, price: Decimal) {
  const { order, brokerOrders } = this.trader.review(WORKING_ORDER);
  expect(order.quantity.toString(), 'quantity here').to.equal(quantity.toString());
  expect(order.limitPrice?.toString(), 'limit price here').to.equal(price.toString());
  expect(['acknowledged', 'partially_filled']).to.include(order.status);
  const atBroker = brokerOrders.find(o => o.status === 'open' || o.status === 'partially_filled');
  if (!atBroker) throw new Error(`the order is not open at the broker: ${brokerOrders.map(o => o.status).join(', ') || 'the broker does not have it'}`);
  expect(atBroker.quantity.toString(), 'quantity at the broker').to.equal(quantity.toString());
  expect(atBroker.limitPrice?.toString(), 'limit price at the broker').to.equal(price.toString());
});

Then('the working order is cancelled, here and at the broker', function (this: TradingWorld) {
  const { order, brokerOrders } = this.trader.review(WORKING_ORDER);
  expect(order.status).to.equal('cancelled');
  expect(brokerOrders.map(o => o.status), 'status at the broker').to.deep.equal(['cancelled']);
});

Then('the log says the cancel was {string}', function (this: TradingWorld, reason: string) {
  const refused = this.trader.review(WORKING_ORDER).events.filter(e => e.type === 'OrderCancelRefused');
  expect(refused).to.have.length(1);
  expect(refused[0].type === 'OrderCancelRefused' && refused[0].payload.reason).to.include(reason);
});
