import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../domain/shared/decimal';
import { TradingWorld } from '../support/world';

type Side = 'buy' | 'sell';

function expectAccepted(world: TradingWorld): string {
  const result = world.lastPlace;
  expect(result, 'an order was placed').to.not.equal(null);
  if (result?.outcome !== 'accepted') throw new Error(`expected the order to be accepted, it was ${result?.outcome}: ${'error' in result! ? result.error.message : ''}`);
  return result.order.clientOrderId;
}

// ---- placing orders ----

When('the trader {side} {figure} {symbol} at market', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string) {
  await this.placeAndSettle({ symbol, side, type: 'market', quantity: quantity.toString() });
});

When('the trader {side} {figure} {symbol} with a limit of {money}', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string, price: Decimal) {
  await this.placeAndSettle({ symbol, side, type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() });
});

Given('the trader has a working order to {side} {figure} {symbol} at {money}', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string, price: Decimal) {
  await this.placeAndSettle({ symbol, side, type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() });
  const id = expectAccepted(this);
  expect(this.system.state.order(id).status).to.equal('acknowledged');
  this.workingOrderId = id;
});

Given('the trader holds {figure} {symbol} bought at {money}', async function (this: TradingWorld, quantity: Decimal, symbol: string, price: Decimal) {
  await this.placeAndSettle({ symbol, side: 'buy', type: 'market', quantity: quantity.toString() });
  const order = this.system.state.order(expectAccepted(this));
  expect(order.status).to.equal('filled');
  expect(order.averageFillPrice.eq(price), `filled at ${order.averageFillPrice}`).to.equal(true);
});

When('the trader sends the order {string}', async function (this: TradingWorld, text: string) {
  const [side, quantity, symbol, type, price] = text.split(' ');
  await this.place({ side, quantity, symbol, type, ...(price !== '-' ? { limitPrice: price } : {}) });
});

When('the trader sends the basket:', async function (this: TradingWorld, table: DataTable) {
  const orders = table.hashes().map(row => ({ symbol: row.symbol, side: row.side, type: 'market', quantity: row.quantity }));
  this.basket = await Promise.all(orders.map(order => this.place(order)));
  for (const result of this.basket) if (result.outcome === 'accepted') await this.settle(result.order.clientOrderId);
});

When('the trader sends {int} orders at once, each to buy {figure} {symbol} at {money}', async function (this: TradingWorld, count: number, quantity: Decimal, symbol: string, price: Decimal) {
  const inputs = Array.from({ length: count }, () => ({ symbol, side: 'buy', type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() }));
  this.basket = await Promise.all(inputs.map(input => this.place(input)));
  for (const result of this.basket) if (result.outcome === 'accepted') await this.settle(result.order.clientOrderId);
});

When('the trader sends {int} orders at once, each to buy {figure} {symbol} at market', async function (this: TradingWorld, count: number, quantity: Decimal, symbol: string) {
  const inputs = Array.from({ length: count }, () => ({ symbol, side: 'buy', type: 'market', quantity: quantity.toString() }));
  this.basket = await Promise.all(inputs.map(input => this.place(input)));
  for (const result of this.basket) if (result.outcome === 'accepted') await this.settle(result.order.clientOrderId);
  await this.reconciliationsSettled();
});

// ---- the broker and the market ----

Given('the order book offers {figure} {symbol} at {money}', function (this: TradingWorld, quantity: Decimal, symbol: string, price: Decimal) {
  this.broker.setBook(symbol, 'asks', [{ price, quantity }]);
});

When('the market trades {figure} {symbol} against the order', async function (this: TradingWorld, quantity: Decimal, symbol: string) {
  const id = this.workingOrderId ?? this.lastOrder().clientOrderId;
  expect(this.system.state.order(id).symbol).to.equal(symbol);
  this.broker.tradeAgainst(id, quantity);
  await this.settle(id);
  await this.reconciliationsSettled();
});

When('the market trades {figure} {symbol} against the order {int} times', async function (this: TradingWorld, quantity: Decimal, symbol: string, times: number) {
  const id = this.workingOrderId ?? this.lastOrder().clientOrderId;
  expect(this.system.state.order(id).symbol).to.equal(symbol);
  for (let i = 0; i < times; i += 1) this.broker.tradeAgainst(id, quantity);
  await this.settle(id);
  await this.reconciliationsSettled();
});

When('while it is down the market trades {figure} {symbol} against the order', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  expect(this.systemIsRunning, 'the trading system is down').to.equal(false);
  const order = this.broker.allOrders().find(o => o.clientOrderId === this.workingOrderId);
  expect(order?.symbol).to.equal(symbol);
  this.broker.tradeAgainst(this.workingOrderId!, quantity);
});

When('{symbol} is marked at {money}', function (this: TradingWorld, symbol: string, price: Decimal) {
  this.mark(symbol, price);
});

Given('the broker will refuse the next order with {string}', function (this: TradingWorld, code: string) {
  this.broker.rejectNextOrder(code as Parameters<typeof this.broker.rejectNextOrder>[0], 'scripted refusal');
});

Given('the broker will be unreachable for the next request', function (this: TradingWorld) {
  this.faults.unreachableForNextRequest();
});

When('the broker sends the same fill again', async function (this: TradingWorld) {
  this.seqMark = this.system.ledger.store.length;
  this.faults.redeliverLastFill();
});

// ---- cancel and modify ----

When('the trader cancels the working order', async function (this: TradingWorld) {
  this.lastCancel = await this.system.coordinator.cancel(this.workingOrder().clientOrderId);
  await this.settle(this.workingOrder().clientOrderId);
});

When('the trader modifies the working order to {figure} at {money}', async function (this: TradingWorld, quantity: Decimal, price: Decimal) {
  this.lastModify = await this.system.coordinator.modify(this.workingOrder().clientOrderId, { quantity: quantity.toString(), limitPrice: price.toString() });
  await this.settle(this.workingOrder().clientOrderId);
});

// ---- outcomes ----

Then('the order is filled at an average price of {money}', async function (this: TradingWorld, price: Decimal) {
  const id = this.lastOrder().clientOrderId;
  await this.waitUntil(`order ${id} to be filled`, () => this.system.state.order(id).status === 'filled');
  const order = this.system.state.order(id);
  expect(order.averageFillPrice.eq(price), `average fill price ${order.averageFillPrice}`).to.equal(true);
});

Then('the order is partially filled: {figure} of {figure}', function (this: TradingWorld, filled: Decimal, quantity: Decimal) {
  const order = this.lastOrder();
  expect(order.status).to.equal('partially_filled');
  expect(order.filledQuantity.toString()).to.equal(filled.toString());
  expect(order.quantity.toString()).to.equal(quantity.toString());
});

Then('the order is cancelled with {figure} of {figure} filled', function (this: TradingWorld, filled: Decimal, quantity: Decimal) {
  const order = this.lastOrder();
  expect(order.status).to.equal('cancelled');
  expect(order.filledQuantity.toString()).to.equal(filled.toString());
  expect(order.quantity.toString()).to.equal(quantity.toString());
  const atBroker = this.broker.allOrders().find(o => o.clientOrderId === order.clientOrderId);
  expect(atBroker?.status, 'status at the broker').to.equal('cancelled');
});

Then('every order in the basket is filled', function (this: TradingWorld) {
  expect(this.basket.length).to.be.greaterThan(0);
  for (const result of this.basket) {
    expect(result.outcome).to.equal('accepted');
    if (result.outcome === 'accepted') expect(this.system.state.order(result.order.clientOrderId).status).to.equal('filled');
  }
});

Then('{int} orders are accepted and {int} are rejected by the {string} check', function (this: TradingWorld, accepted: number, rejected: number, check: string) {
  const outcomes = this.basket.map(r => r.outcome);
  expect(outcomes.filter(o => o === 'accepted')).to.have.length(accepted);
  const refused = this.basket.filter(r => r.outcome === 'rejected');
  expect(refused).to.have.length(rejected);
  for (const r of refused) {
    if (r.outcome !== 'rejected' || r.stage !== 'risk') throw new Error(`expected a risk rejection, got ${r.outcome} ${'stage' in r ? r.stage : ''}`);
    expect(r.decision.failed.map(c => c.check)).to.include(check);
  }
});

Then('the broker has no open orders', function (this: TradingWorld) {
  expect(this.broker.openOrders()).to.have.length(0);
});

Then('the broker holds exactly {int} open orders', function (this: TradingWorld, count: number) {
  expect(this.broker.openOrders()).to.have.length(count);
});

Then('the cancel is refused because {string}', function (this: TradingWorld, reason: string) {
  const result = this.lastCancel;
  if (result?.outcome !== 'refused') throw new Error(`expected the cancel to be refused, it was ${result?.outcome}`);
  expect(result.error.message).to.include(reason);
});

Then('the broker received no cancel request', function (this: TradingWorld) {
  expect(this.broker.requests.filter(r => r.action === 'cancel')).to.have.length(0);
});

Then('the working order is for {figure} at {money}, here and at the broker', function (this: TradingWorld, quantity: Decimal, price: Decimal) {
  const order = this.workingOrder();
  expect(order.quantity.toString(), 'quantity here').to.equal(quantity.toString());
  expect(order.limitPrice?.toString(), 'limit price here').to.equal(price.toString());
  expect(['acknowledged', 'partially_filled']).to.include(order.status);
  const atBroker = this.broker.openOrders().find(o => o.clientOrderId === order.clientOrderId);
  expect(atBroker, 'the order is open at the broker').to.not.equal(undefined);
  expect(atBroker!.quantity.toString(), 'quantity at the broker').to.equal(quantity.toString());
  expect(atBroker!.limitPrice?.toString(), 'limit price at the broker').to.equal(price.toString());
});

Then('the modification is refused because {string}', function (this: TradingWorld, reason: string) {
  const result = this.lastModify;
  if (result?.outcome !== 'refused') throw new Error(`expected the modification to be refused, it was ${result?.outcome}`);
  expect(result.error.message).to.include(reason);
});

Then('the order is rejected by the broker with the code {string}', function (this: TradingWorld, code: string) {
  const result = this.lastPlace;
  if (result?.outcome !== 'rejected' || result.stage !== 'broker') throw new Error(`expected a broker rejection, got ${result?.outcome}`);
  const event = this.eventsFor(result.order.clientOrderId).find(e => e.type === 'OrderRejected');
  expect(event?.type === 'OrderRejected' && event.payload.stage).to.equal('broker');
  expect(event?.type === 'OrderRejected' && event.payload.reasonCode).to.equal(code);
  expect(this.system.state.order(result.order.clientOrderId).status).to.equal('rejected');
});

Then('the order failed with a {string} error', function (this: TradingWorld, kind: string) {
  const result = this.lastPlace;
  if (result?.outcome !== 'failed') throw new Error(`expected the order to fail, got ${result?.outcome}`);
  expect(result.error.kind).to.equal(kind);
  expect(this.system.state.order(result.order.clientOrderId).status).to.equal('failed');
});

Then('the error passed through the coordinator, the execution engine and the broker gateway', function (this: TradingWorld) {
  const result = this.lastPlace;
  if (result?.outcome !== 'failed') throw new Error(`expected a failed order, got ${result?.outcome}`);
  const messages: string[] = [];
  let current: unknown = result.error;
  while (current instanceof Error) {
    messages.push(current.message);
    current = current.cause;
  }
  // Over the wire the gateway's error keeps the socket error (ECONNREFUSED) as its own cause.
  expect(messages.length).to.be.within(3, 4);
  expect(messages[0]).to.match(/^coordinator: /);
  expect(messages[1]).to.match(/^execution engine: /);
  expect(messages[2]).to.match(/^broker SIM /);
  expect(result.error.causeChain().slice(0, 3)).to.deep.equal(['BrokerUnavailable', 'BrokerUnavailable', 'BrokerUnavailable']);
});

Then('the order\'s failure is in the event log with the reason {string}', function (this: TradingWorld, reason: string) {
  const id = this.lastOrder().clientOrderId;
  const failed = this.eventsFor(id).find(e => e.type === 'OrderFailed');
  if (failed?.type !== 'OrderFailed') throw new Error('no OrderFailed event for the order');
  expect(failed.payload.reason).to.include(reason);
  expect(failed.payload.errorKind).to.equal('BrokerUnavailable');
  expect(failed.payload.causeChain).to.have.length.greaterThan(1);
});

Then('no order reached the broker', function (this: TradingWorld) {
  expect(this.broker.requests.filter(r => r.action === 'place')).to.deep.equal([]);
});

Then('no order for {figure} {symbol} reached the broker', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  const reached = this.broker.allOrders().filter(o => o.symbol === symbol && o.quantity.eq(quantity));
  expect(reached).to.deep.equal([]);
  const id = this.lastOrder().clientOrderId;
  expect(this.broker.requests.filter(r => r.clientOrderId === id)).to.deep.equal([]);
});

Then('the order is refused as bad input because {string}', function (this: TradingWorld, reason: string) {
  const result = this.lastPlace;
  if (result?.outcome !== 'rejected' || result.stage !== 'input') throw new Error(`expected an input rejection, got ${result?.outcome}`);
  expect(result.error.message).to.include(reason);
});

Then('the only event recorded for it is the input rejection', function (this: TradingWorld) {
  const result = this.lastPlace;
  if (result?.outcome !== 'rejected' || result.stage !== 'input') throw new Error('expected an input rejection');
  const after = this.system.events.filter(e => e.seq > this.seqBeforeLastPlace);
  expect(after.map(e => e.type)).to.deep.equal(['InputRejected']);
  expect(this.system.state.orders.size).to.equal(0);
});

Then('the rejection on record names the {orderField} and the text the trader sent for it', function (this: TradingWorld, field: string) {
  const rejection = this.system.events.find(e => e.seq > this.seqBeforeLastPlace && e.type === 'InputRejected');
  if (rejection?.type !== 'InputRejected') throw new Error('no input rejection on record');
  const sent = rejection.payload.input[field];
  expect(sent, `the order as sent had a ${field}`).to.be.a('string');
  expect(rejection.payload.field, 'the field on record').to.equal(field);
  expect(rejection.payload.reason, 'the reason on record').to.include(String(sent));
});

Then('the fill is refused as {string}', async function (this: TradingWorld, kind: string) {
  const event = await this.waitForEvent('the fill to be refused', e => e.type === 'FillRejected', this.seqMark + 1);
  expect(event.type === 'FillRejected' && event.payload.errorKind).to.equal(kind);
  expect(this.system.telemetry.count(`fills.refused.${kind}`)).to.equal(1);
});

/** The states an order passed through, as the event log tells them. */
function statesFromLog(world: TradingWorld, clientOrderId: string): string[] {
  const states: string[] = [];
  let filled = new Decimal(0);
  let quantity = new Decimal(0);
  for (const e of world.eventsFor(clientOrderId)) {
    switch (e.type) {
      case 'OrderRequested':
        quantity = new Decimal(e.payload.quantity);
        states.push('new', 'pending risk');
        break;
      case 'OrderSubmitted':
        states.push('submitted');
        break;
      case 'OrderAcknowledged':
        states.push('acknowledged');
        break;
      case 'OrderFilled':
        filled = filled.plus(e.payload.quantity);
        states.push(filled.eq(quantity) ? 'filled' : 'partially filled');
        break;
      case 'OrderRejected':
        states.push('rejected');
        break;
      case 'OrderCancelRequested':
        states.push('pending cancel');
        break;
      case 'OrderCancelled':
        states.push('cancelled');
        break;
      case 'OrderReplaceRequested':
        states.push('pending replace');
        break;
      case 'OrderFailed':
        states.push('failed');
        break;
      case 'OrderExpired':
        states.push('expired');
        break;
      default:
        break;
    }
  }
  return states;
}

Then('the order went through the states {states}', function (this: TradingWorld, states: string[]) {
  expect(statesFromLog(this, this.lastOrder().clientOrderId)).to.deep.equal(states);
  expect(this.lastOrder().status.replace('_', ' ')).to.equal(states[states.length - 1]);
});

When('the trader sends a reduce-only order to {side} {figure} {symbol} at market', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string) {
  await this.placeAndSettle({ symbol, side, type: 'market', quantity: quantity.toString(), reduceOnly: true });
});

Then('telemetry counted the order once at each stage: risk, submit, ack, fill', function (this: TradingWorld) {
  const telemetry = this.system.telemetry;
  expect(telemetry.count('risk.approved')).to.equal(1);
  expect(telemetry.count('orders.submitted')).to.equal(1);
  expect(telemetry.count('orders.acknowledged')).to.equal(1);
  expect(telemetry.count('fills.applied')).to.equal(1);
  for (const stage of ['risk', 'submit', 'ack', 'fill'] as const) expect(telemetry.latency(stage).count, `${stage} latency samples`).to.equal(1);
});

Given('the broker will not answer the next request', function (this: TradingWorld) {
  this.faults.loseNextRequest();
});

When('the trader asks to cancel the working order without waiting for the answer', async function (this: TradingWorld) {
  const id = this.workingOrder().clientOrderId;
  this.background(this.system.coordinator.cancel(id));
  await this.waitUntil(`the cancel of ${id} to be recorded`, () => this.system.state.order(id).status === 'pending_cancel');
});

/** Place without waiting for the broker's answer; the order is the focus order once it is submitted. */
async function sendWithoutWaiting(world: TradingWorld, input: { symbol: string; side: Side; type: 'market' | 'limit'; quantity: string; limitPrice?: string }): Promise<void> {
  const known = new Set(world.system.state.orders.keys());
  world.background(world.place(input));
  const isNew = () => [...world.system.state.orders.values()].find(o => !known.has(o.clientOrderId));
  await world.waitUntil('the new order to be submitted', () => isNew()?.status === 'submitted');
  world.focusOrderId = isNew()!.clientOrderId;
}

When('the trader sends an order to buy {figure} {symbol} at market without waiting for the answer', async function (this: TradingWorld, quantity: Decimal, symbol: string) {
  await sendWithoutWaiting(this, { symbol, side: 'buy', type: 'market', quantity: quantity.toString() });
});

When('the trader sends an order to buy {figure} {symbol} at {money} without waiting for the answer', async function (this: TradingWorld, quantity: Decimal, symbol: string, price: Decimal) {
  await sendWithoutWaiting(this, { symbol, side: 'buy', type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() });
});

// ---- an order in flight: sent, its fate not yet known ----

/** The order sent without waiting, or else the last order placed. */
function inFlightOrderId(world: TradingWorld): string {
  return world.focusOrderId ?? world.lastOrder().clientOrderId;
}

Then('the order is still in flight, its {figure} {symbol} reserved', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  const order = this.system.state.order(inFlightOrderId(this));
  expect(order.status, order.reason ?? '').to.equal('submitted');
  const reserved = this.system.risk.workingExposure().filter(w => w.symbol === symbol && w.side === order.side);
  expect(reserved.reduce((total, w) => total.plus(w.quantity), new Decimal(0)).toString(), 'reserved by the risk manager').to.equal(quantity.toString());
  expect(this.broker.allOrders().find(o => o.clientOrderId === order.clientOrderId), 'the broker does not have it yet').to.equal(undefined);
});

When('the trader cancels the order in flight', async function (this: TradingWorld) {
  this.lastCancel = await this.system.coordinator.cancel(inFlightOrderId(this));
});

Then('the order in flight is filled at an average price of {money}', async function (this: TradingWorld, price: Decimal) {
  const id = inFlightOrderId(this);
  await this.waitUntil(`order ${id} to be filled`, () => this.system.state.order(id).status === 'filled');
  expect(this.system.state.order(id).averageFillPrice.toString()).to.equal(price.toString());
});

Then('the order in flight is closed because it {string}, nothing of it filled', function (this: TradingWorld, reason: string) {
  const order = this.system.state.order(inFlightOrderId(this));
  expect(order.status).to.equal('cancelled');
  expect(order.reason).to.include(reason);
  expect(order.filledQuantity.isZero()).to.equal(true);
  expect(this.broker.allOrders().find(o => o.clientOrderId === order.clientOrderId), 'the broker never booked it').to.equal(undefined);
});

Then('the order in flight is cancelled before it reached the broker', function (this: TradingWorld) {
  const result = this.lastCancel;
  expect(result?.outcome, result?.outcome === 'refused' ? result.error.message : '').to.equal('cancelled');
  expect(this.system.state.order(inFlightOrderId(this)).status).to.equal('cancelled');
  expect(this.broker.allOrders().find(o => o.clientOrderId === inFlightOrderId(this)), 'the broker never booked it').to.equal(undefined);
});

Then('the log says the cancel was {string}', function (this: TradingWorld, reason: string) {
  const refused = this.eventsFor(this.workingOrder().clientOrderId).filter(e => e.type === 'OrderCancelRefused');
  expect(refused).to.have.length(1);
  expect(refused[0].type === 'OrderCancelRefused' && refused[0].payload.reason).to.include(reason);
});

When('{duration} pass(es) without a new mark price', function (this: TradingWorld, ms: number) {
  this.clock.advance(ms);
});

When('the market trades {figure} {symbol} against the order just as the trader cancels it', async function (this: TradingWorld, quantity: Decimal, symbol: string) {
  const id = this.workingOrder().clientOrderId;
  expect(this.workingOrder().symbol).to.equal(symbol);
  // The trade happens at the broker first; its report is still on the way when the cancel is answered.
  this.broker.tradeAgainst(id, quantity);
  this.lastCancel = await this.system.coordinator.cancel(id);
  expect(this.lastCancel.outcome).to.equal('cancelled');
  // In process the report is still queued behind the cancel's answer. On the wire the broker's
  // stream carries the fill before the answer and the gateway waits for it, so there is no race.
  if (this.transport === 'in-process') {
    expect(this.system.state.order(id).filledQuantity.isZero(), 'the fill had not arrived when the cancel was confirmed').to.equal(true);
  }
  await this.settle(id);
  await this.reconciliationsSettled();
});

When('the trader buys {figure} {symbol} at market with the client order id {string}', async function (this: TradingWorld, quantity: Decimal, symbol: string, clientOrderId: string) {
  await this.placeAndSettle({ clientOrderId, symbol, side: 'buy', type: 'market', quantity: quantity.toString() });
});

Then('the second order is refused as bad input because {string}', function (this: TradingWorld, reason: string) {
  const [first, second] = this.placeResults;
  expect(first?.outcome).to.equal('accepted');
  if (second?.outcome !== 'rejected' || second.stage !== 'input') throw new Error(`expected the second order to be refused as input, got ${second?.outcome}`);
  expect(second.error.kind).to.equal('DuplicateClientOrderId');
  expect(second.error.message).to.include(reason);
});

Then('the broker has exactly {int} order for the client order id {string}', function (this: TradingWorld, count: number, clientOrderId: string) {
  expect(this.broker.allOrders().filter(o => o.clientOrderId === clientOrderId)).to.have.length(count);
  expect(this.broker.requests.filter(r => r.action === 'place' && r.clientOrderId === clientOrderId)).to.have.length(count);
});

Then('the failure is logged as one JSON line at level {string}', function (this: TradingWorld, level: string) {
  const records = this.logLines.map(line => JSON.parse(line) as Record<string, unknown>);
  const failures = records.filter(r => r.msg === 'OrderFailed');
  expect(failures).to.have.length(1);
  expect(failures[0]).to.include({ level, clientOrderId: this.lastOrder().clientOrderId, errorKind: 'BrokerUnavailable' });
  expect(failures[0].ts).to.equal(this.clock.now().toISOString());
});

Given('the broker\'s answer to the next request will be lost', function (this: TradingWorld) {
  this.faults.loseNextAnswer();
});

Given('the next request to the broker will time out before it arrives', function (this: TradingWorld) {
  this.faults.timeOutNextRequestBeforeArrival();
});

Given('the next {int} order requests to the broker will time out before they arrive', function (this: TradingWorld, count: number) {
  for (let i = 0; i < count; i += 1) this.faults.timeOutNextOrderRequestBeforeArrival();
});

Then('the broker received the order once and the lost answer was settled without sending it again', function (this: TradingWorld) {
  const id = this.lastOrder().clientOrderId;
  const actions = this.broker.requests.filter(r => r.clientOrderId === id).map(r => r.action);
  // In process the engine asks at once; on the wire the broker's report may settle it before the timeout.
  expect(actions[0]).to.equal('place');
  expect(actions.slice(1).every(a => a === 'get-order')).to.equal(true);
  if (this.transport === 'in-process') expect(actions).to.deep.equal(['place', 'get-order']);
  expect(this.broker.allOrders().filter(o => o.clientOrderId === id)).to.have.length(1);
  const settled = this.system.events.find(e => e.type === 'BrokerErrorRecorded' && e.payload.clientOrderId === id);
  expect(settled?.type === 'BrokerErrorRecorded' && settled.payload.path.map(p => p.saw).join(' ')).to.match(/not sent again/);
});

Then('the trader is told the cancel went through', function (this: TradingWorld) {
  const result = this.lastCancel;
  expect(result?.outcome, result?.outcome === 'refused' ? result.error.message : '').to.equal('cancelled');
});

Then('the trader is told the modification went through', function (this: TradingWorld) {
  const result = this.lastModify;
  expect(result?.outcome, result?.outcome === 'refused' ? result.error.message : '').to.equal('modified');
});

When('the market trades {figure} {symbol} against the order, but the broker\'s report of it is lost', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  expect(this.workingOrder().symbol).to.equal(symbol);
  this.faults.dropNextFillReport();
  this.broker.tradeAgainst(this.workingOrder().clientOrderId, quantity);
});

Given('the broker will report the next fill at {money}', function (this: TradingWorld, price: Decimal) {
  this.faults.misreportNextFillPrice(price);
});

When('the broker reports a fill of {figure} {symbol} for the working order', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  const order = this.workingOrder();
  this.seqMark = this.system.ledger.store.length;
  this.faults.deliverForgedFill({
    type: 'fill',
    clientOrderId: order.clientOrderId,
    brokerOrderId: order.brokerOrderId ?? 'unknown',
    tradeId: 'FORGED-1',
    symbol,
    side: order.side,
    quantity,
    price: order.limitPrice!,
    fee: new Decimal(0),
    liquidity: 'maker',
    at: this.clock.now().toISOString(),
  });
});

When('the trader asks to modify the working order to {figure} at {money} without waiting for the answer', async function (this: TradingWorld, quantity: Decimal, price: Decimal) {
  const id = this.workingOrder().clientOrderId;
  this.background(this.system.coordinator.modify(id, { quantity: quantity.toString(), limitPrice: price.toString() }));
  await this.waitUntil(`the modification of ${id} to be recorded`, () => this.system.state.order(id).status === 'pending_replace');
});

Then('the broker never received the order but was asked for it by its client order id', function (this: TradingWorld) {
  const id = this.lastOrder().clientOrderId;
  expect(this.broker.requests.filter(r => r.clientOrderId === id).map(r => r.action)).to.deep.equal(['get-order']);
  expect(this.broker.allOrders().filter(o => o.clientOrderId === id)).to.deep.equal([]);
});

Then('the working order is cancelled, here and at the broker', function (this: TradingWorld) {
  const order = this.workingOrder();
  expect(order.status).to.equal('cancelled');
  expect(this.broker.allOrders().find(o => o.clientOrderId === order.clientOrderId)?.status).to.equal('cancelled');
});

Then('the mismatch is logged at level {string}', function (this: TradingWorld, level: string) {
  const records = this.logLines.map(line => JSON.parse(line) as Record<string, unknown>).filter(r => r.msg === 'PositionReconciled');
  expect(records).to.have.length(1);
  expect(records[0]).to.include({ level, status: 'mismatched' });
});
