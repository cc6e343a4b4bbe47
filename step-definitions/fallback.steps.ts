import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import { TradingWorld } from '../support/world';

// ---- routes and their health ----

Given('a fallback route {string} to the same broker account', async function (this: TradingWorld, name: string) {
  const { routes, active } = await this.routes.addFallback(name);
  expect(routes, 'the routes the system knows, in fallback order').to.deep.equal(['SIM', name]);
  expect(active, 'the route orders go through').to.equal('SIM');
});

Given('the fallback route will fail its next {int} position queries with {string}', function (this: TradingWorld, count: number, answer: string) {
  const [, fallback] = this.routes.routing().routes;
  this.venue.failNextPositionQueries(count, answer, fallback);
});

When('the trader buys {figure} {symbol} at market {int} times', async function (this: TradingWorld, quantity: Decimal, symbol: string, times: number) {
  await this.routes.placeRepeatedly({ symbol, side: 'buy', type: 'market', quantity: quantity.toString() }, times);
});

When('the system reconciles the balance with the broker {int} times', async function (this: TradingWorld, times: number) {
  await this.routes.reconcileBalanceRepeatedly(times);
});

When('{int} minute(s) pass(es) and the system checks its brokers', async function (this: TradingWorld, minutes: number) {
  await this.routes.checkBrokersAfter(minutes);
});

Then('broker {string} is marked unhealthy after {string}', async function (this: TradingWorld, broker: string, reason: string) {
  const change = await this.routes.unhealthy(broker);
  expect(change.payload.reason).to.equal(reason);
});

Then('the synchronisation with {string} failed and the system did not switch to it', async function (this: TradingWorld, broker: string) {
  const { failure, switches, active } = await this.routes.failedSynchronisation(broker);
  expect(failure.payload.errorKind).to.equal('BrokerUnavailable');
  expect(switches, 'switches on record').to.equal(0);
  expect(active).to.equal('SIM');
});

Then('the system synchronised with {string} before switching to it', async function (this: TradingWorld, broker: string) {
  const { synchronisationsBefore, active } = await this.routes.switchTo(broker);
  expect(synchronisationsBefore, `a synchronisation with ${broker} before the switch`).to.equal(1);
  expect(active).to.equal(broker);
});

Then('the order went through {string}', function (this: TradingWorld, broker: string) {
  const { submittedTo, acceptedThere } = this.routes.routeOfLastOrder();
  expect(submittedTo).to.equal(broker);
  expect(acceptedThere, `orders ${broker} accepted`).to.equal(1);
});

// ---- degraded mode ----

Given('with no healthy broker the trading state becomes {word}', function (this: TradingWorld, state: string) {
  this.riskOfficer.changeSettings({ degraded_trading_state: state });
});

Then('the system is in degraded mode with the trading state {word}', async function (this: TradingWorld, state: string) {
  const { setTo, inForce } = await this.routes.degraded();
  expect(setTo).to.equal(state);
  expect(inForce).to.equal(state);
});

Then('the reducing order is let through the risk checks', function (this: TradingWorld) {
  expect(this.eventLog.forOrder(this.trader.order().clientOrderId).map(e => e.type)).to.include('RiskCheckPassed');
});

Then('the reducing order is rejected by the {string} check', function (this: TradingWorld, check: string) {
  const placement = this.trader.lastPlacement();
  if (placement.outcome !== 'rejected' || placement.stage !== 'risk') throw new Error(`expected a risk rejection, got ${placement.outcome}${'stage' in placement ? ` at ${placement.stage}` : ''}`);
  expect(placement.decision.failed.map(r => r.check)).to.include(check);
});

Then('the system is still in degraded mode with the trading state {word}', function (this: TradingWorld, state: string) {
  expect(this.routes.sinceLastHealthTest()).to.deep.equal({ changes: 0, degraded: true, tradingState: state });
});

Then('the system is out of degraded mode with the trading state {word}', async function (this: TradingWorld, state: string) {
  const { inForce } = await this.routes.outOfDegradedMode();
  expect(inForce).to.equal(state);
});

Then('the new instance is still in degraded mode with the trading state {word}', function (this: TradingWorld, state: string) {
  expect(this.routes.sinceRestart(), 'the restarted router knows it is degraded').to.deep.equal({ changes: 0, degraded: true, tradingState: state });
});
