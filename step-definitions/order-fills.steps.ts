import { Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import { TradingWorld } from '../support/world';

// ---- the market: prices, the book, trades against the trader's orders ----

When('{symbol} is marked at {money}', async function (this: TradingWorld, symbol: string, price: Decimal) {
  await this.market.mark(symbol, price);
});

When('{duration} pass(es) without a new mark price', function (this: TradingWorld, ms: number) {
  this.market.wait(ms);
});

Given('the order book offers {figure} {symbol} at {money}', async function (this: TradingWorld, quantity: Decimal, symbol: string, price: Decimal) {
  await this.market.offer(symbol, price, quantity);
});

When('the market trades {figure} {symbol} against the order', async function (this: TradingWorld, quantity: Decimal, symbol: string) {
  await this.executions.tradeAgainst(symbol, quantity);
});

When('the market trades {figure} {symbol} against the order {int} times', async function (this: TradingWorld, quantity: Decimal, symbol: string, times: number) {
  await this.executions.tradeAgainst(symbol, quantity, times);
});

When('while it is down the market trades {figure} {symbol} against the order', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  this.executions.tradeWhileDown(symbol, quantity);
});

// ---- the broker's reports of fills: lost, misreported, repeated, forged ----

When('the market trades {figure} {symbol} against the order, but the broker\'s report of it is lost', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  this.executions.tradeUnreported(symbol, quantity);
});

Given('the broker will report the next fill at {money}', function (this: TradingWorld, price: Decimal) {
  this.venue.faults.misreportNextFillPrice(price);
});

When('the broker sends the same fill again', function (this: TradingWorld) {
  this.executions.redeliverLastFill();
});

When('the broker reports a fill of {figure} {symbol} for the working order', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  this.executions.reportForgedFill(symbol, quantity);
});

When('the broker reports a fill of {figure} {symbol} for the rejected order', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  this.executions.reportForgedFill(symbol, quantity, 'rejected');
});

Then('the fill is refused as {string}', async function (this: TradingWorld, kind: string) {
  const { refusal, refusalsCounted } = await this.executions.refusedReport();
  expect(refusal.payload.errorKind).to.equal(kind);
  expect(refusalsCounted, `fills refused as ${kind}, counted`).to.equal(1);
});
