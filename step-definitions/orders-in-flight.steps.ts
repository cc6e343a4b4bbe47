import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import { IN_FLIGHT_ORDER } from '../support/dsl';
import { TradingWorld } from '../support/world';

// ---- requests lost or late on the way to the broker ----

Given('the broker will not answer the next request', function (this: TradingWorld) {
  this.venue.faults.loseNextRequest();
});

Given('the broker\'s answer to the next request will be lost', function (this: TradingWorld) {
  this.venue.faults.loseNextAnswer();
});

Given('the next request to the broker will time out before it arrives', function (this: TradingWorld) {
  this.venue.faults.timeOutNextRequestBeforeArrival();
});

Given('the next {int} order requests to the broker will time out before they arrive', function (this: TradingWorld, count: number) {
  this.venue.timeOutNextOrderRequestsBeforeArrival(count);
});

Then('the broker received the order once and the lost answer was settled without sending it again', function (this: TradingWorld) {
  const { brokerRequests, brokerOrders, events } = this.trader.review();
  const actions = brokerRequests.map(r => r.action);
  // The same on both transports: one place, then only questions by its client order id. How many
  // questions depends on the transport (on the wire the broker's report may settle the order before
  // the engine asks), and is not what the scenario is about.
  expect(actions[0], 'the first request for the order').to.equal('place');
  expect(actions.slice(1).filter(a => a !== 'get-order'), 'requests for it after the place, other than asking for it').to.deep.equal([]);
  expect(brokerOrders).to.have.length(1);
  const settled = events.find(e => e.type === 'BrokerErrorRecorded');
  if (settled?.type !== 'BrokerErrorRecorded') throw new Error('no broker error on record for the order');
  expect(settled.payload.path.find(step => step.layer === 'execution engine')?.saw, 'what the execution engine did').to.include('not sent again');
});

Then('the broker never received the order but was asked for it by its client order id', function (this: TradingWorld) {
  const { brokerRequests, brokerOrders } = this.trader.review();
  expect(brokerRequests.map(r => r.action)).to.deep.equal(['get-order']);
  expect(brokerOrders).to.deep.equal([]);
});

// ---- an order in flight: sent, its fate not yet known ----

When('the trader sends an order to buy {figure} {symbol} at market without waiting for the answer', async function (this: TradingWorld, quantity: Decimal, symbol: string) {
  await this.trader.sendWithoutWaiting({ symbol, side: 'buy', type: 'market', quantity: quantity.toString() });
});

When('the trader sends an order to buy {figure} {symbol} at {money} without waiting for the answer', async function (this: TradingWorld, quantity: Decimal, symbol: string, price: Decimal) {
  await this.trader.sendWithoutWaiting({ symbol, side: 'buy', type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() });
});

When('the trader cancels the order in flight', async function (this: TradingWorld) {
  await this.trader.cancelBeforeItArrives(IN_FLIGHT_ORDER);
});

Then('the order is still in flight, its {figure} {symbol} reserved', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  const { order, brokerOrders } = this.trader.review(IN_FLIGHT_ORDER);
  expect(order.status, order.reason ?? '').to.equal('submitted');
  expect(this.trader.reserved(symbol, order.side).toString(), 'reserved by the risk manager').to.equal(quantity.toString());
  expect(brokerOrders, 'the broker does not have it yet').to.deep.equal([]);
});

Then('the order in flight is filled at an average price of {money}', async function (this: TradingWorld, price: Decimal) {
  const order = await this.trader.untilFilled(IN_FLIGHT_ORDER);
  expect(order.averageFillPrice.toString()).to.equal(price.toString());
});

Then('the order in flight is closed because it {string}, nothing of it filled', function (this: TradingWorld, reason: string) {
  const { order, brokerOrders } = this.trader.review(IN_FLIGHT_ORDER);
  expect(order.status).to.equal('cancelled');
  expect(order.reason).to.include(reason);
  expect(order.filledQuantity.isZero()).to.equal(true);
  expect(brokerOrders, 'the broker never booked it').to.deep.equal([]);
});

Then('the order in flight is cancelled before it reached the broker', function (this: TradingWorld) {
  const result = this.trader.lastCancellation();
  expect(result.outcome, result.outcome === 'refused' ? result.error.message : '').to.equal('cancelled');
  const { order, brokerOrders } = this.trader.review(IN_FLIGHT_ORDER);
  expect(order.status).to.equal('cancelled');
  expect(brokerOrders, 'the broker never booked it').to.deep.equal([]);
});
