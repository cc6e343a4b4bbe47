import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import type { OrderInput } from '../support/sut';
import { WORKING_ORDER } from '../support/dsl';
import { BROKER_REJECT_CODES, isBrokerRejectCode } from '../support/simulators/broker';
import { TradingWorld } from '../support/world';
import { cell } from '../support/parameter-types';

type Side = 'buy' | 'sell';

/** The three layers a broker error crosses on its way out, innermost first, as the system records its path. */
const LAYERS_OUT_FROM_THE_BROKER = ['broker gateway', 'execution engine', 'execution coordinator'];

// ---- placing orders ----

When('the trader {side} {figure} {symbol} at market', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string) {
  await this.trader.placeAndSettle({ symbol, side, type: 'market', quantity: quantity.toString() });
});

When('the trader {side} {figure} {symbol} with a limit of {money}', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string, price: Decimal) {
  await this.trader.placeAndSettle({ symbol, side, type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() });
});

When('the trader sends a reduce-only order to {side} {figure} {symbol} at market', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string) {
  await this.trader.placeAndSettle({ symbol, side, type: 'market', quantity: quantity.toString(), reduceOnly: true });
});

When('the trader buys {figure} {symbol} at market with the client order id {string}', async function (this: TradingWorld, quantity: Decimal, symbol: string, clientOrderId: string) {
  await this.trader.placeAndSettle({ clientOrderId, symbol, side: 'buy', type: 'market', quantity: quantity.toString() });
});

Given('the trader has a working order to {side} {figure} {symbol} at {money}', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string, price: Decimal) {
  const order = await this.trader.placeAccepted({ symbol, side, type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() }, WORKING_ORDER);
  expect(order.status).to.equal('acknowledged');
});

Given('the trader holds {figure} {symbol} bought at {money}', async function (this: TradingWorld, quantity: Decimal, symbol: string, price: Decimal) {
  const order = await this.trader.placeAccepted({ symbol, side: 'buy', type: 'market', quantity: quantity.toString() });
  expect(order.status).to.equal('filled');
  expect(order.averageFillPrice.eq(price), `filled at ${order.averageFillPrice}`).to.equal(true);
});

/** "buy 1 BTC-PERP limit 50000.3": the order as the trader typed it, each field handed on for the system to judge ("-": no limit price). */
When('the trader sends the order {string}', async function (this: TradingWorld, text: string) {
  const [side, quantity, symbol, type, price] = text.split(' ');
  await this.trader.place({ side, quantity, symbol, type, ...(price !== '-' ? { limitPrice: price } : {}) });
});

When('the trader sends the basket:', async function (this: TradingWorld, table: DataTable) {
  await this.trader.sendBasket(table.hashes().map(row => ({ symbol: row.symbol, side: row.side, type: 'market', quantity: cell.figure(row.quantity).toString() })));
});

When('the trader sends {int} orders at once, each to buy {figure} {symbol} at {money}', async function (this: TradingWorld, count: number, quantity: Decimal, symbol: string, price: Decimal) {
  const order: OrderInput = { symbol, side: 'buy', type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() };
  await this.trader.sendBasket(Array.from({ length: count }, () => order));
});

When('the trader sends {int} orders at once, each to buy {figure} {symbol} at market', async function (this: TradingWorld, count: number, quantity: Decimal, symbol: string) {
  const order: OrderInput = { symbol, side: 'buy', type: 'market', quantity: quantity.toString() };
  await this.trader.sendBasket(Array.from({ length: count }, () => order));
});

Given('the broker will refuse the next order with {string}', function (this: TradingWorld, code: string) {
  if (!isBrokerRejectCode(code)) throw new Error(`"${code}" is no code the broker refuses an order with; it knows ${BROKER_REJECT_CODES.join(', ')}`);
  this.venue.books.rejectNextOrder(code, 'scripted refusal');
});

Given('the broker will be unreachable for the next request', function (this: TradingWorld) {
  this.venue.faults.unreachableForNextRequest();
});

// ---- how an order ended ----

Then('the order is filled at an average price of {money}', async function (this: TradingWorld, price: Decimal) {
  const order = await this.trader.untilFilled();
  expect(order.averageFillPrice.eq(price), `average fill price ${order.averageFillPrice}`).to.equal(true);
});

Then('the order is partially filled: {figure} of {figure}', function (this: TradingWorld, filled: Decimal, quantity: Decimal) {
  const order = this.trader.order();
  expect(order.status).to.equal('partially_filled');
  expect(order.filledQuantity.toString()).to.equal(filled.toString());
  expect(order.quantity.toString()).to.equal(quantity.toString());
});

Then('the order is cancelled with {figure} of {figure} filled', function (this: TradingWorld, filled: Decimal, quantity: Decimal) {
  const { order, brokerOrders } = this.trader.review();
  expect(order.status).to.equal('cancelled');
  expect(order.filledQuantity.toString()).to.equal(filled.toString());
  expect(order.quantity.toString()).to.equal(quantity.toString());
  expect(brokerOrders.map(o => o.status), 'status at the broker').to.deep.equal(['cancelled']);
});

Then('the order went through the states {states}', function (this: TradingWorld, states: string[]) {
  const review = this.trader.review();
  expect(review.states).to.deep.equal(states);
  expect(review.order.status.replace('_', ' ')).to.equal(states[states.length - 1]);
});

Then('every order in the basket is filled', function (this: TradingWorld) {
  const basket = this.trader.basketNow();
  expect(basket.length).to.be.greaterThan(0);
  for (const { placement, order } of basket) {
    expect(placement.outcome).to.equal('accepted');
    expect(order?.status).to.equal('filled');
  }
});

Then('{int} orders are accepted and {int} are rejected by the {string} check', function (this: TradingWorld, accepted: number, rejected: number, check: string) {
  const basket = this.trader.basket();
  expect(basket.filter(r => r.outcome === 'accepted')).to.have.length(accepted);
  const refused = basket.filter(r => r.outcome === 'rejected');
  expect(refused).to.have.length(rejected);
  for (const r of refused) {
    if (r.outcome !== 'rejected' || r.stage !== 'risk') throw new Error(`expected a risk rejection, got ${r.outcome} ${'stage' in r ? r.stage : ''}`);
    expect(r.decision.failed.map(c => c.check)).to.include(check);
  }
});

Then('the order is rejected by the broker with the code {string}', function (this: TradingWorld, code: string) {
  const { placement, order, events } = this.trader.review();
  if (placement?.outcome !== 'rejected' || placement.stage !== 'broker') throw new Error(`expected a broker rejection, got ${placement?.outcome}`);
  const rejected = events.find(e => e.type === 'OrderRejected');
  if (rejected?.type !== 'OrderRejected') throw new Error('no OrderRejected event for the order');
  expect(rejected.payload.stage).to.equal('broker');
  expect(rejected.payload.reasonCode).to.equal(code);
  expect(order.status).to.equal('rejected');
});

Then('the order failed with a {string} error', function (this: TradingWorld, kind: string) {
  const { placement, order } = this.trader.review();
  if (placement?.outcome !== 'failed') throw new Error(`expected the order to fail, got ${placement?.outcome}`);
  expect(placement.error.kind).to.equal(kind);
  expect(order.status).to.equal('failed');
});

Then('the error passed through the coordinator, the execution engine and the broker gateway', function (this: TradingWorld) {
  const { placement, events } = this.trader.review();
  if (placement?.outcome !== 'failed') throw new Error(`expected a failed order, got ${placement?.outcome}`);
  // Each layer that passed the error on says so in the error itself; the path on record is built from the same record.
  expect(placement.error.layers(), 'the layers the error passed, outermost first').to.deep.equal([...LAYERS_OUT_FROM_THE_BROKER].reverse());
  expect(placement.error.origin(), 'where it was born').to.equal('broker gateway');
  // One error per layer, each the cause of the one outside it; over the wire the gateway's keeps the socket error (ECONNREFUSED) as its own cause.
  const chain = placement.error.causeChain();
  expect(chain.slice(0, 3)).to.deep.equal(['BrokerUnavailable', 'BrokerUnavailable', 'BrokerUnavailable']);
  const recorded = events.find(e => e.type === 'BrokerErrorRecorded');
  if (recorded?.type !== 'BrokerErrorRecorded') throw new Error('no broker error on record for the order');
  expect(recorded.payload.broker, 'the broker whose gateway raised it').to.equal(this.venue.books.name);
  expect(recorded.payload.path.slice(0, 3).map(step => step.layer), 'the path on record, from the gateway out').to.deep.equal(LAYERS_OUT_FROM_THE_BROKER);
  expect(recorded.payload.causeChain, 'the cause chain on record').to.deep.equal(chain);
});

Then('the order\'s failure is in the event log with the reason {string}', function (this: TradingWorld, reason: string) {
  const failed = this.trader.review().events.find(e => e.type === 'OrderFailed');
  if (failed?.type !== 'OrderFailed') throw new Error('no OrderFailed event for the order');
  expect(failed.payload.reason).to.include(reason);
  expect(failed.payload.errorKind).to.equal('BrokerUnavailable');
  expect(failed.payload.causeChain).to.have.length.greaterThan(1);
});

Then('the failure is logged as one JSON line at level {string}', function (this: TradingWorld, level: string) {
  const failures = this.operator.logRecords('OrderFailed');
  expect(failures).to.have.length(1);
  expect(failures[0]).to.include({ level, clientOrderId: this.trader.idOf(), errorKind: 'BrokerUnavailable' });
  expect(failures[0].ts).to.equal(this.context.clock.now().toISOString());
});

Then('the mismatch is logged at level {string}', function (this: TradingWorld, level: string) {
  const records = this.operator.logRecords('PositionReconciled');
  expect(records).to.have.length(1);
  expect(records[0]).to.include({ level, status: 'mismatched' });
});

Then('telemetry counted the order once at each stage: risk, submit, ack, fill', function (this: TradingWorld) {
  const { counters, latencySamples } = this.operator.telemetry();
  expect(counters['risk.approved']).to.equal(1);
  expect(counters['orders.submitted']).to.equal(1);
  expect(counters['orders.acknowledged']).to.equal(1);
  expect(counters['fills.applied']).to.equal(1);
  expect(latencySamples, 'latency samples per stage').to.deep.equal({ risk: 1, submit: 1, ack: 1, fill: 1 });
});

// ---- what reached the broker ----

Then('no order reached the broker', function (this: TradingWorld) {
  expect(this.venue.books.requests.filter(r => r.action === 'place')).to.deep.equal([]);
});

Then('no order for {figure} {symbol} reached the broker', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  expect(this.venue.books.allOrders().filter(o => o.symbol === symbol && o.quantity.eq(quantity))).to.deep.equal([]);
  expect(this.trader.review().brokerRequests, 'requests for the last order').to.deep.equal([]);
});

Then('the broker has no open orders', function (this: TradingWorld) {
  expect(this.venue.books.openOrders()).to.have.length(0);
});

Then('the broker holds exactly {int} open orders', function (this: TradingWorld, count: number) {
  expect(this.venue.books.openOrders()).to.have.length(count);
});

Then('the broker has exactly {int} order for the client order id {string}', function (this: TradingWorld, count: number, clientOrderId: string) {
  const books = this.venue.books;
  expect(books.allOrders().filter(o => o.clientOrderId === clientOrderId)).to.have.length(count);
  expect(books.requests.filter(r => r.action === 'place' && r.clientOrderId === clientOrderId)).to.have.length(count);
});

// ---- bad input ----

Then('the order is refused as bad input because {string}', function (this: TradingWorld, reason: string) {
  const placement = this.trader.lastPlacement();
  if (placement.outcome !== 'rejected' || placement.stage !== 'input') throw new Error(`expected an input rejection, got ${placement.outcome}`);
  expect(placement.error.message).to.include(reason);
});

Then('the only event recorded for it is the input rejection', function (this: TradingWorld) {
  const { placement, recordedSince, ordersKnown } = this.trader.lastPlacementTrace();
  if (placement.outcome !== 'rejected' || placement.stage !== 'input') throw new Error('expected an input rejection');
  expect(recordedSince.map(e => e.type)).to.deep.equal(['InputRejected']);
  expect(ordersKnown).to.equal(0);
});

Then('the rejection on record names the {orderField} and the text the trader sent for it', function (this: TradingWorld, field: string) {
  const rejection = this.trader.lastPlacementTrace().recordedSince.find(e => e.type === 'InputRejected');
  if (rejection?.type !== 'InputRejected') throw new Error('no input rejection on record');
  const sent = rejection.payload.input[field];
  expect(sent, `the order as sent had a ${field}`).to.be.a('string');
  expect(rejection.payload.field, 'the field on record').to.equal(field);
  expect(rejection.payload.reason, 'the reason on record').to.include(String(sent));
});

Then('the second order is refused as bad input because {string}', function (this: TradingWorld, reason: string) {
  const [first, second] = this.trader.placements();
  expect(first?.outcome).to.equal('accepted');
  if (second?.outcome !== 'rejected' || second.stage !== 'input') throw new Error(`expected the second order to be refused as input, got ${second?.outcome}`);
  expect(second.error.kind).to.equal('DuplicateClientOrderId');
  expect(second.error.message).to.include(reason);
});
