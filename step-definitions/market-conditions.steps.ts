import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import type { DecisionRow, OrderInput } from '../support/sut';
import { Exchange, WHOLE_MARKET, WORKING_ORDER } from '../support/dsl';
import { TradingWorld } from '../support/world';
import { expectFigure, rowFor } from '../support/decision-rows';
import { cell } from '../support/parameter-types';

const MINUTE_MS = 60_000;

function lastRow(world: TradingWorld, check: string): DecisionRow {
  return rowFor(world.trader.riskDecision().rows, check);
}

/** "buy 10 AAPL at market", "buy 10 AAPL limit 199", "buy 10 AAPL limit 199 extended hours" */
function equityOrder(text: string): OrderInput {
  const match = /^(buy|sell) (\S+) ([A-Z][A-Z0-9-]*) (?:at market|limit (\S+))( extended hours)?$/.exec(text);
  if (!match) throw new Error(`"${text}" is not an order written as "buy 10 AAPL at market" or "buy 10 AAPL limit 199 [extended hours]"`);
  const [, side, quantity, symbol, limit, extended] = match;
  return {
    side,
    quantity: cell.figure(quantity).toString(),
    symbol,
    type: limit ? 'limit' : 'market',
    ...(limit ? { limitPrice: cell.figure(limit).toString() } : {}),
    ...(extended ? { extendedHours: true } : {}),
  };
}

// ---- the feed and the limits ----

Given("the system takes its market data from the venue's feed", function (this: TradingWorld) {
  this.exchange.feedTheSystem();
});

Given('the market limits in force are:', function (this: TradingWorld, table: DataTable) {
  this.riskOfficer.setLimits(Object.fromEntries(table.hashes().map(row => [row.setting, row.value])), 'market limits for this specification');
});

Given('an order may take up to {percent} of the visible depth', function (this: TradingWorld, share: Decimal) {
  this.riskOfficer.changeSettings({ max_depth_share_pct: share.toString() }, 'an order larger than the book is allowed');
});

Given('working orders in a halt are cancelled', function (this: TradingWorld) {
  this.riskOfficer.changeSettings({ halt_order_policy: 'cancel' }, 'cancel working orders in a halt');
});

Given('the trading system restarts with its circuit breakers armed', async function (this: TradingWorld) {
  const system = await this.operator.restartWith(() => {
    this.context.circuitBreakers = 'armed';
  });
  expect(system.breakers.armed, 'the circuit breakers run in the system').to.equal(true);
});

// ---- the venue's clock ----

Given('the time is {venueTime} in New York', async function (this: TradingWorld, local: string) {
  await this.exchange.timeIs(local);
});

Given('the time is {venueTime} UTC', async function (this: TradingWorld, utc: string) {
  await this.exchange.timeIsUtc(utc);
});

When('{int} minute(s) pass(es) on the venue', async function (this: TradingWorld, minutes: number) {
  await this.exchange.advance(minutes * MINUTE_MS);
});

When('the market is marked again where it stands', async function (this: TradingWorld) {
  await this.market.markEverySymbolAgain();
});

// ---- marks and books ----

Given('{symbol} is marked at {money} with {figure} shares on each side', async function (this: TradingWorld, symbol: string, price: Decimal, quantity: Decimal) {
  await this.market.mark(symbol, price, [{ price, quantity }], [{ price, quantity }]);
});

When('{symbol} is marked at {money} with only {figure} BTC offered', async function (this: TradingWorld, symbol: string, price: Decimal, quantity: Decimal) {
  await this.market.mark(symbol, price, undefined, [{ price, quantity }]);
});

Given('{symbol} is marked at {money} with bids at {money} and asks at {money}', async function (this: TradingWorld, symbol: string, price: Decimal, bid: Decimal, ask: Decimal) {
  const quantity = new Decimal(1000);
  await this.market.mark(symbol, price, [{ price: bid, quantity }], [{ price: ask, quantity }]);
});

Given('{symbol} is marked at {money} with bids at {money} and no asks', async function (this: TradingWorld, symbol: string, price: Decimal, bid: Decimal) {
  await this.market.mark(symbol, price, [{ price: bid, quantity: new Decimal(1000) }], []);
});

Given('{symbol} is marked at {money} with {figure} shares bid at {money} and offered at {money}', async function (this: TradingWorld, symbol: string, price: Decimal, quantity: Decimal, bid: Decimal, ask: Decimal) {
  await this.market.mark(symbol, price, [{ price: bid, quantity }], [{ price: ask, quantity }]);
});

Given('the trader also has a working {word} order to {side} {figure} {symbol} at {money}', async function (this: TradingWorld, timeInForce: string, side: 'buy' | 'sell', quantity: Decimal, symbol: string, price: Decimal) {
  const order = await this.trader.placeAccepted({ symbol, side, type: 'limit', quantity: quantity.toString(), limitPrice: price.toString(), timeInForce }, `a working ${timeInForce} order`);
  expect(order.status).to.equal('acknowledged');
});

Given('{symbol} trades at {money} once a second for {int} minutes', async function (this: TradingWorld, symbol: string, price: Decimal, minutes: number) {
  for (let s = 0; s < minutes * 60; s += 1) await this.market.moveAfter(1000, symbol, price);
});

When('{symbol} spikes to {money} and stays there for {int} seconds', async function (this: TradingWorld, symbol: string, price: Decimal, seconds: number) {
  await this.market.mark(symbol, price);
  for (let s = 0; s < seconds; s += 1) await this.market.moveAfter(1000, symbol, price);
});

Given('the venue models {symbol} from {money} with {figure} {word} a level', async function (this: TradingWorld, symbol: string, price: Decimal, depthPerLevel: Decimal, _unit: string) {
  await this.exchange.model(symbol, price, { depthPerLevel });
});

When('a flash crash of {percent} starts on {symbol}, shaped like 6 May 2010', function (this: TradingWorld, fall: Decimal, symbol: string) {
  this.exchange.startFlashCrash(symbol, fall.div(100).toNumber());
});

When('the implied volatility index {word} surges from {percent} to {percent} over {int} minutes', function (this: TradingWorld, index: string, from: Decimal, to: Decimal, minutes: number) {
  this.exchange.startImpliedVolatilitySurge(index, from.div(100).toNumber(), to.div(100).toNumber(), minutes * MINUTE_MS);
});

Then('the implied volatility of {symbol} is {percent}', function (this: TradingWorld, symbol: string, value: Decimal) {
  expect(this.exchange.view(symbol).impliedVolatility?.toString(), `the implied volatility of ${symbol}`).to.equal(value.div(100).toString());
});

Then('the working order is still working, here and at the broker', function (this: TradingWorld) {
  const { here, atBroker } = this.trader.statusHereAndAtBroker(this.context.memory.recall('order', WORKING_ORDER));
  expect([here, atBroker]).to.deep.equal(['acknowledged', 'open']);
});

When('the book of {symbol} drains to {percent} of its depth over {int} minutes', function (this: TradingWorld, symbol: string, share: Decimal, minutes: number) {
  this.exchange.startLiquidityDrain(symbol, share.div(100).toNumber(), minutes * MINUTE_MS);
});

Given('the implied volatility index {word} stands at {percent}', async function (this: TradingWorld, index: string, value: Decimal) {
  await this.exchange.impliedVolatility(index, value.div(100));
});

Given('the implied volatility of {symbol} stands at {percent}', async function (this: TradingWorld, symbol: string, value: Decimal) {
  await this.exchange.impliedVolatility(symbol, value.div(100));
});

Given('the S&P 500 closed at {money} on {isoDate}', async function (this: TradingWorld, price: Decimal, day: string) {
  await this.exchange.priorClose('SPX', price, day);
});

Then('the {string} breaker has tripped', function (this: TradingWorld, breaker: string) {
  expect(this.circuitBreakers.status(breaker)?.tripped, `the ${breaker} breaker is tripped`).to.equal(true);
  expect(this.circuitBreakers.trippedInThisEpisode()).to.include(breaker);
});

// ---- the feed's faults ----

When('{symbol} is marked at {money} with only {figure} BTC offered, but that change of the book is lost on its way', async function (this: TradingWorld, symbol: string, price: Decimal, quantity: Decimal) {
  await this.exchange.loseBookDeltaOfMark(symbol, price, [{ price, quantity }]);
});

Given('the {string} breaker measures its move over {int} seconds', function (this: TradingWorld, breaker: string, seconds: number) {
  if (breaker !== 'price move') throw new Error(`only the price move breaker has a look-back window, not ${breaker}`);
  this.riskOfficer.changeSettings({ price_move_window_seconds: String(seconds) }, 'price move window');
});

When("the venue's market data feed stalls", function (this: TradingWorld) {
  this.exchange.stallFeed();
});

When('the venue marks {symbol} at {money}, which never arrives', function (this: TradingWorld, symbol: string, price: Decimal) {
  this.exchange.publishUndelivered(symbol, price);
});

Then('the system found a gap in the {symbol} book and took it again from a snapshot', async function (this: TradingWorld, symbol: string) {
  const { gap, resynchronised } = await this.exchange.bookRepaired(symbol);
  expect(gap.payload.received, 'the delta after the lost one').to.be.greaterThan(gap.payload.expected);
  expect(resynchronised.payload.seq, "the snapshot's number").to.be.at.least(gap.payload.received);
});

Then("the system's {symbol} book is the venue's, with {figure} BTC offered", function (this: TradingWorld, symbol: string, offered: Decimal) {
  const { here, venue } = this.exchange.books(symbol);
  expect(here, "the system's book").to.deep.equal(venue);
  expect(here.asks.reduce((total, level) => total.plus(level.quantity), new Decimal(0)).toString(), 'offered').to.equal(offered.toString());
});

// ---- halts ----

When('the venue halts {symbol} for {string}', async function (this: TradingWorld, symbol: string, reason: string) {
  await this.exchange.halt(symbol, reason as never);
});

When('the venue reopens {symbol} with a reopening print of {money}', async function (this: TradingWorld, symbol: string, print: Decimal) {
  await this.exchange.reopen(symbol, print);
});

When('the venue halts the market for {string}', async function (this: TradingWorld, reason: string) {
  await this.exchange.halt(WHOLE_MARKET, reason as never);
});

When('the venue reopens the market', async function (this: TradingWorld) {
  await this.exchange.reopenHeard(WHOLE_MARKET);
});

Then('the venue has paused {symbol} for {string}', async function (this: TradingWorld, symbol: string, reason: string) {
  const paused = await this.exchange.statusRecorded(symbol, e => e.payload.status === 'paused');
  expect(paused.payload.reason).to.equal(reason);
});

Then('the venue has reopened {symbol} with a reopening print of {money}', async function (this: TradingWorld, symbol: string, print: Decimal) {
  const reopened = await this.exchange.statusRecorded(symbol, e => e.payload.status === 'open');
  expect(reopened.payload.reopeningPrice, 'the reopening print').to.equal(print.toString());
});

Then(/^the market-wide circuit breaker reached level (\d) at a fall of (\d+) %, (halting trading|without halting trading)$/, function (this: TradingWorld, level: string, fall: string, halting: string) {
  const triggered = this.exchange.marketWideTriggers();
  const last = triggered[triggered.length - 1];
  if (!last) throw new Error('the market-wide circuit breaker never triggered');
  expect(last.payload.level, 'level').to.equal(Number(level));
  expect(new Decimal(last.payload.decline).times(100).toDecimalPlaces(2).gte(fall), `a fall of ${last.payload.decline} against ${fall} %`).to.equal(true);
  expect(last.payload.halts, 'halts trading').to.equal(halting === 'halting trading');
  expect(this.exchange.view('AAPL').status.status, "AAPL's trading status").to.equal(halting === 'halting trading' ? 'halted' : 'open');
});

Then('the market-wide circuit breaker levels reached today are {string}', function (this: TradingWorld, levels: string) {
  expect(this.exchange.marketWideTriggers().map(e => e.payload.level).join(', '), 'levels reached').to.equal(levels);
});

Then('the level {int} halt ends at {venueTime} in New York', function (this: TradingWorld, level: number, local: string) {
  const trigger = this.exchange.marketWideTriggers().find(e => e.payload.level === level);
  if (!trigger) throw new Error(`level ${level} was never reached`);
  expect(trigger.payload.haltEnds, 'the halt ends').to.equal(Exchange.instant(local).toISOString());
});

Then('the market-wide circuit breaker did not trigger again', function (this: TradingWorld) {
  expect(this.exchange.marketWideTriggers().map(e => e.payload.level)).to.deep.equal([1]);
  expect(this.exchange.view('AAPL').status.status, "AAPL's trading status").to.equal('open');
});

Then('the system kept the market closed for the rest of the day', function (this: TradingWorld) {
  const status = this.exchange.view('AAPL').status;
  expect([status.status, status.reason]).to.deep.equal(['halted', 'MARKET_WIDE_LEVEL_3']);
});

Then('the working order was cancelled for the halt, here and at the broker', async function (this: TradingWorld) {
  const { here, atBroker } = await this.exchange.workingOrderCancelled(this.context.memory.recall('order', WORKING_ORDER));
  expect([here, atBroker]).to.deep.equal(['cancelled', 'cancelled']);
});

// ---- sessions and the close ----

When('the trader sends the equity order {string}', async function (this: TradingWorld, text: string) {
  await this.trader.placeAndSettle(equityOrder(text));
});

Then('the close preparation flattened {symbol} and carried {symbol}', async function (this: TradingWorld, flattened: string, carried: string) {
  const prepared = await this.exchange.closePrepared();
  expect(prepared.payload.flattened, 'flattened').to.deep.equal([flattened]);
  expect(prepared.payload.carried, 'carried').to.deep.equal([carried]);
});

Then('the working day order was cancelled at the close, here and at the broker', async function (this: TradingWorld) {
  const id = this.context.memory.recall('order', WORKING_ORDER);
  const expired = await this.exchange.dayOrdersExpired();
  expect(expired.payload.orders, 'the day orders expired').to.include(id);
  const { here, atBroker } = await this.exchange.workingOrderCancelled(id);
  expect([here, atBroker]).to.deep.equal(['cancelled', 'cancelled']);
});

// ---- what the system knows of the market ----

Then('the volatility regime of {symbol} is {string}', function (this: TradingWorld, symbol: string, regime: string) {
  expect(this.exchange.view(symbol).regime).to.equal(regime);
});

Then('the volatility regime of {symbol} is {string}, set by its realized volatility', function (this: TradingWorld, symbol: string, regime: string) {
  const view = this.exchange.view(symbol);
  expect([view.regime, view.regimeDriver]).to.deep.equal([regime, 'realized']);
});

Then('the realized volatility of {symbol} is not yet estimated', function (this: TradingWorld, symbol: string) {
  expect(this.exchange.view(symbol).realizedVolatility).to.equal(null);
});

Then('{symbol} is marked at its reopening print of {money}', function (this: TradingWorld, symbol: string, print: Decimal) {
  expect(this.market.markOf(symbol).toString(), `the mark of ${symbol}`).to.equal(print.toString());
});

Then("{symbol}'s price band is {money} to {money}", function (this: TradingWorld, symbol: string, lower: Decimal, upper: Decimal) {
  const bands = this.exchange.view(symbol).bands;
  if (!bands) throw new Error(`${symbol} has no price band now`);
  expect([bands.lower.toString(), bands.upper.toString()]).to.deep.equal([lower.toString(), upper.toString()]);
});

// ---- the decision's market rows ----

Then('the {string} check {verdict}', function (this: TradingWorld, check: string, passes: boolean) {
  const row = lastRow(this, check);
  expect(row.passed, `${check}: ${row.observed} against ${row.limit}`).to.equal(passes);
});

Then('the {string} check {verdict} with the code {string}', function (this: TradingWorld, check: string, passes: boolean, code: string) {
  const row = lastRow(this, check);
  expect([row.passed, row.code], `${check}: ${row.observed} against ${row.limit}`).to.deep.equal([passes, code]);
});

Then('the {string} check passes against a limit of {figure}', function (this: TradingWorld, check: string, limit: Decimal) {
  const row = lastRow(this, check);
  expect(row.passed, `${check}: ${row.observed} against ${row.limit}`).to.equal(true);
  expectFigure(row.limitValue, limit, `${check} limit`);
});

Then('the {string} check notes {string}', function (this: TradingWorld, check: string, note: string) {
  expect(lastRow(this, check).note ?? '', `the note on ${check}`).to.include(note);
});

Then(/^the "([^"]*)" check is (not judged|passed|failed)$/, function (this: TradingWorld, check: string, outcome: string) {
  const row = this.trader.riskDecision().rows.find(r => r.check === check);
  const seen = row === undefined ? 'not judged' : row.passed ? 'passed' : 'failed';
  expect(seen, `${check}: ${row ? `${row.observed} against ${row.limit}` : 'no row'}`).to.equal(outcome);
});
