import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import { WORKING_ORDER } from '../support/dsl';
import { TradingWorld } from '../support/world';

type Side = 'buy' | 'sell';

// ---- outages ----

When('the network to the broker goes down', async function (this: TradingWorld) {
  await this.network.goDown();
});

When('the primary route to the broker goes down', async function (this: TradingWorld) {
  await this.network.goDown();
});

When('the network to the broker comes back', async function (this: TradingWorld) {
  await this.network.comeBack();
});

When('the primary route to the broker comes back', async function (this: TradingWorld) {
  await this.network.comeBack();
});

When('the network resets every connection to the broker', function (this: TradingWorld) {
  this.network.resetConnections();
});

// ---- a slow or lossy network ----

Given('the network delays everything the broker sends by {figure} ms, longer than the system\'s request timeout of {figure} ms', function (this: TradingWorld, ms: Decimal, timeout: Decimal) {
  expect(this.network.requestTimeoutMs(), 'the request timeout the suite gives the system').to.equal(timeout.toNumber());
  expect(ms.toNumber()).to.be.greaterThan(timeout.toNumber());
  this.network.delayAnswers(ms.toNumber());
});

When('the network delay is removed', function (this: TradingWorld) {
  this.network.removeDelay();
});

Given('the network swallows everything sent to the broker', function (this: TradingWorld) {
  this.network.swallowRequests();
});

When('the network stops swallowing', function (this: TradingWorld) {
  this.network.stopSwallowing();
});

Given('the network to the broker adds {int} ms ± {int} ms each way, carries {int} KB\\/s and cuts every write into pieces of about {int} bytes', function (this: TradingWorld, latencyMs: number, jitterMs: number, kbPerSecond: number, pieceBytes: number) {
  this.network.degrade({ latencyMs, jitterMs, kbPerSecond, pieceBytes });
});

Then('no broker error and no refused message was recorded', function (this: TradingWorld) {
  expect(this.brokerErrors.troubleSinceLastFault()).to.deep.equal([]);
});

Then('the network carried the traffic in pieces of at most {int} bytes', function (this: TradingWorld, maxBytes: number) {
  const traffic = this.network.traffic();
  expect(traffic.bytesUpstream, 'bytes to the broker').to.be.greaterThan(0);
  expect(traffic.largestWriteDownstream, 'largest piece towards the trading system').to.be.at.most(maxBytes);
  expect(traffic.largestWriteUpstream, 'largest piece towards the broker').to.be.at.most(maxBytes);
});

// ---- the broker's books move while the network is down ----

Given('the trader has another working order to {side} {figure} {symbol} at {money}', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string, price: Decimal) {
  // Named as the Gherkin later names it: "the broker cancels the ETH-PERP order".
  const result = await this.trader.placeAndSettle({ symbol, side, type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() }, `the ${symbol} order`);
  expect(result.outcome, 'error' in result ? result.error.message : '').to.equal('accepted');
});

When('the market trades {figure} {symbol} against the order while the network is down', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  this.venue.tradeAgainst(WORKING_ORDER, symbol, quantity);
});

When('the broker cancels the {symbol} order while the network is down', function (this: TradingWorld, symbol: string) {
  this.venue.cancel(`the ${symbol} order`, symbol);
});
