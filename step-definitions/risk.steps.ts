import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal, correlationKey } from '../support/sut';
import type { ErrorKind } from '../support/sut';
import { SETTINGS_CHANGE, WORKING_ORDER } from '../support/dsl';
import { TradingWorld } from '../support/world';
import { expectFigure, rowFor } from '../support/decision-rows';
import { cell } from '../support/parameter-types';


function setLimit(world: TradingWorld, key: string, value: string): void {
  world.riskOfficer.changeSettings({ [key]: value });
}

// ---- limits ----

Given('the risk limits in force are:', function (this: TradingWorld, table: DataTable) {
  this.riskOfficer.setLimits(Object.fromEntries(table.hashes().map(row => [row.setting, row.value])), 'limits for this specification');
});

Given('the maximum leverage is {leverage}', function (this: TradingWorld, leverage: Decimal) {
  setLimit(this, 'max_leverage', leverage.toString());
});

Given('the per-order notional limit is {money}', function (this: TradingWorld, amount: Decimal) {
  setLimit(this, 'max_order_notional', amount.toString());
});

Given('the position limit per symbol is {percent} of equity', function (this: TradingWorld, pct: Decimal) {
  setLimit(this, 'max_position_pct', pct.toString());
});

Given('the position limit for {symbol} is {money}', function (this: TradingWorld, symbol: string, amount: Decimal) {
  setLimit(this, `max_position_notional.${symbol}`, amount.toString());
});

Given('the gross exposure cap is {percent} of equity', function (this: TradingWorld, pct: Decimal) {
  setLimit(this, 'max_gross_exposure_pct', pct.toString());
});

Given('the correlated exposure cap is {percent} of equity', function (this: TradingWorld, pct: Decimal) {
  setLimit(this, 'max_correlated_exposure_pct', pct.toString());
});

Given('the correlation between {symbol} and {symbol} is {figure}', function (this: TradingWorld, a: string, b: string, correlation: Decimal) {
  setLimit(this, correlationKey(a, b), correlation.toString());
});

When('the risk officer sets the correlation between {symbol} and {symbol} to {figure} because {string}', function (this: TradingWorld, a: string, b: string, correlation: Decimal, reason: string) {
  this.riskOfficer.changeSettings({ [correlationKey(a, b)]: correlation.toString() }, reason);
});

When('the risk officer sets the position limit per symbol to {percent} of equity because {string}', function (this: TradingWorld, pct: Decimal, reason: string) {
  this.riskOfficer.changeSettings({ max_position_pct: pct.toString() }, reason);
});

When('the risk officer sets the maximum leverage to {leverage} because {string}', function (this: TradingWorld, leverage: Decimal, reason: string) {
  this.riskOfficer.changeSettings({ max_leverage: leverage.toString() }, reason);
});

When('the risk officer tries to set the maximum leverage to {string}', async function (this: TradingWorld, value: string) {
  await this.riskOfficer.tryToChangeSettings({ max_leverage: cell.systemText(value) }, 'leverage update');
});

Then('the settings change is refused because {string}', function (this: TradingWorld, reason: string) {
  const refusal = this.context.errors.take(SETTINGS_CHANGE);
  expect(refusal, `${refusal.name}: ${refusal.message}`).to.have.property('kind', 'InvalidSettings' satisfies ErrorKind);
  expect(refusal.message).to.include(reason);
});

Then('the settings are at version {int}, changed by the risk officer for {string}', function (this: TradingWorld, version: number, reason: string) {
  expect(this.riskOfficer.settingsVersion()).to.equal(version);
  const change = this.eventLog.latest('SettingsChanged');
  if (!change) throw new Error('no settings change in the log');
  expect(change.payload).to.include({ version, actor: 'risk officer', reason });
});

Then('the settings are still at version {int} with a maximum leverage of {figure}', function (this: TradingWorld, version: number, leverage: Decimal) {
  expect(this.riskOfficer.settingsVersion()).to.equal(version);
  expect(this.riskOfficer.limits().maxLeverage.toString()).to.equal(leverage.toString());
  expect(this.eventLog.ofType('SettingsChanged')).to.have.length(version);
});

// ---- decisions ----

Then('the order passed every pre-trade check', function (this: TradingWorld) {
  const { outcome, rows } = this.trader.riskDecision();
  expect(outcome).to.equal('approved');
  expect(rows.length).to.be.greaterThan(5);
  expect(rows.filter(r => !r.passed).map(r => `${r.check}: ${r.observed} vs ${r.limit}`)).to.deep.equal([]);
});

Then('the order is rejected by the {string} check', function (this: TradingWorld, check: string) {
  const { outcome, rows, order } = this.trader.riskDecision();
  expect(outcome, 'the risk decision').to.equal('rejected');
  expect(order.status).to.equal('rejected');
  expect(rowFor(rows, check).passed, `${check} passed`).to.equal(false);
});

Then('the order is rejected by the {string} check under settings version {int}', function (this: TradingWorld, check: string, version: number) {
  const { outcome, rows, settingsVersion, order } = this.trader.riskDecision();
  expect(outcome, 'the risk decision').to.equal('rejected');
  expect(order.status).to.equal('rejected');
  expect(rowFor(rows, check).passed).to.equal(false);
  expect(settingsVersion).to.equal(version);
});

Then('the basket order for {symbol} is rejected by the {string} check', function (this: TradingWorld, symbol: string, check: string) {
  const basket = this.trader.basket();
  const result = basket.find(r => r.outcome !== 'accepted' && 'order' in r && r.order.symbol === symbol);
  if (!result || result.outcome !== 'rejected' || result.stage !== 'risk') throw new Error(`no risk rejection for ${symbol} in the basket`);
  expect(rowFor(result.decision.rows, check).passed).to.equal(false);
  expect(basket.filter(r => r.outcome === 'accepted')).to.have.length(basket.length - 1);
});

Then('the decision shows {string} at {figure} against a limit of {figure}', function (this: TradingWorld, check: string, observed: Decimal, limit: Decimal) {
  const row = rowFor(this.trader.riskDecision().rows, check);
  expectFigure(row.observedValue, observed, `${check} observed`);
  expectFigure(row.limitValue, limit, `${check} limit`);
});

Then('the decision shows projected leverage {leverage} against a limit of {leverage}', function (this: TradingWorld, observed: Decimal, limit: Decimal) {
  const row = rowFor(this.trader.riskDecision().rows, 'max leverage');
  expect(row.observed).to.equal(`${observed.toFixed(2)}x`);
  expect(row.limit).to.equal(`${limit.toFixed(2)}x`);
  expect(row.passed).to.equal(false);
});

Then('the rejection carries the code {string}', function (this: TradingWorld, code: string) {
  const rejected = this.trader.review().events.find(e => e.type === 'OrderRejected');
  if (rejected?.type !== 'OrderRejected') throw new Error('no rejection in the log');
  expect(rejected.payload.reasonCode).to.equal(code);
});

Then('the {string} check {verdict} with {figure} against a limit of {figure}', function (this: TradingWorld, check: string, passes: boolean, observed: Decimal, limit: Decimal) {
  const row = rowFor(this.trader.riskDecision().rows, check);
  expect(row.passed, `${check}: ${row.observed} against ${row.limit}`).to.equal(passes);
  expectFigure(row.observedValue, observed, `${check} observed`);
  expectFigure(row.limitValue, limit, `${check} limit`);
});

Then('the modification passed every pre-trade check', function (this: TradingWorld) {
  const result = this.trader.lastModification();
  if (result.outcome !== 'modified') throw new Error(`expected the modification to go through, got ${result.outcome}: ${'error' in result ? result.error.message : ''}`);
  const requested = this.eventLog.forOrder(result.order.clientOrderId).find(e => e.type === 'OrderReplaceRequested');
  if (requested?.type !== 'OrderReplaceRequested') throw new Error('no replace request in the log');
  expect(requested.payload.checks.filter(r => !r.passed)).to.deep.equal([]);
});

Then('the modification is refused by the {string} check', function (this: TradingWorld, check: string) {
  const result = this.trader.lastModification();
  if (result.outcome !== 'refused' || result.stage !== 'risk') throw new Error(`expected a risk refusal, got ${result.outcome}`);
  const refused = this.eventLog.forOrder(this.trader.order(WORKING_ORDER).clientOrderId).find(e => e.type === 'OrderReplaceRefused');
  if (refused?.type !== 'OrderReplaceRefused' || !refused.payload.checks) throw new Error('no refused modification in the log');
  expect(rowFor(refused.payload.checks, check).passed).to.equal(false);
  expect(this.venue.books.requests.filter(r => r.action === 'replace')).to.have.length(0);
});

// ---- exposure ----

Then('the projected leverage is {leverage}', function (this: TradingWorld, leverage: Decimal) {
  expect(this.riskOfficer.projectedExposure().leverage?.toFixed(2)).to.equal(leverage.toFixed(2));
});

Then('the projected gross exposure is {money}', function (this: TradingWorld, amount: Decimal) {
  expect(this.riskOfficer.projectedExposure().gross.toString()).to.equal(amount.toString());
});

Then('the gross exposure is {money} and the leverage {leverage}', function (this: TradingWorld, gross: Decimal, leverage: Decimal) {
  const exposure = this.riskOfficer.accountExposure();
  expect(exposure.gross.toString()).to.equal(gross.toString());
  expect(exposure.leverage?.toFixed(2)).to.equal(leverage.toFixed(2));
});

// ---- sizing ----

When('the trader sizes a buy of {symbol} risking {percent} of equity with a stop at {money}', function (this: TradingWorld, symbol: string, risk: Decimal, stop: Decimal) {
  this.trader.sizeOrder(symbol, 'buy', risk.div(100), stop);
});

Then('the sized quantity is {figure} {symbol}, limited by the {limiter}', function (this: TradingWorld, quantity: Decimal, _symbol: string, limiter: string) {
  const sizing = this.trader.lastSizing();
  expect(sizing.quantity.toString()).to.equal(quantity.toString());
  expect(sizing.limitedBy).to.equal(limiter);
});

Then('the sized order is placed and filled for {figure} {symbol}', async function (this: TradingWorld, quantity: Decimal, symbol: string) {
  const { order, rows } = await this.trader.placeSizedOrder(symbol, 'buy');
  expect(order.status).to.equal('filled');
  expect(order.filledQuantity.toString()).to.equal(quantity.toString());
  // The sized order fits the position limit it was sized against: the risk manager's own row says so.
  const row = rowFor(rows, 'position limit');
  expect(row.passed).to.equal(true);
  if (row.observedValue === undefined || row.limitValue === undefined) throw new Error(`the position limit row has no figures: ${row.observed} against ${row.limit}`);
  expect(new Decimal(row.observedValue).lte(new Decimal(row.limitValue))).to.equal(true);
});

Given('the trading state is {word}', function (this: TradingWorld, state: string) {
  this.riskOfficer.changeSettings({ trading_state: state }, `trading state ${state}`);
});

When('the risk officer sets the trading state to {word} because {string}', function (this: TradingWorld, state: string, reason: string) {
  this.riskOfficer.changeSettings({ trading_state: state }, reason);
});

Given('the daily loss limit is {money}', function (this: TradingWorld, amount: Decimal) {
  setLimit(this, 'daily_loss_limit_amount', amount.toString());
});

Given('the net exposure cap is {percent} of equity', function (this: TradingWorld, pct: Decimal) {
  setLimit(this, 'max_net_exposure_pct', pct.toString());
});

Then('the order is rejected by the {string} check with the code {string}', function (this: TradingWorld, check: string, code: string) {
  const { outcome, rows, order } = this.trader.riskDecision();
  expect(outcome, 'the risk decision').to.equal('rejected');
  expect(order.status).to.equal('rejected');
  const row = rowFor(rows, check);
  expect(row.passed).to.equal(false);
  expect(row.code).to.equal(code);
});

Then('the order passed the {string} check', function (this: TradingWorld, check: string) {
  const { rows, order } = this.trader.riskDecision();
  const row = rowFor(rows, check);
  expect(row.passed, `${check}: ${row.observed} against ${row.limit}`).to.equal(true);
  expect(order.status).to.equal('filled');
});

When('the risk officer tries to set the correlation between {symbol} and {symbol} to {figure}', async function (this: TradingWorld, a: string, b: string, correlation: Decimal) {
  await this.riskOfficer.tryToChangeSettings({ [correlationKey(a, b)]: correlation.toString() }, 'correlation update');
});

Then('the modification passed the {string} check', function (this: TradingWorld, check: string) {
  const result = this.trader.lastModification();
  if (result.outcome !== 'modified') throw new Error(`expected the modification to go through, got ${result.outcome}: ${'error' in result ? result.error.message : ''}`);
  const row = rowFor(result.decision.rows, check);
  expect(row.passed, `${check}: ${row.observed} against ${row.limit}`).to.equal(true);
});

Given('the correlations are:', function (this: TradingWorld, table: DataTable) {
  const changes = Object.fromEntries(
    table.hashes().map(row => {
      const [a, b] = row.pair.split('/');
      return [correlationKey(a, b), cell.systemText(row.correlation)];
    }),
  );
  this.riskOfficer.changeSettings(changes, 'correlation matrix');
});

Given('the order quantity limit for {symbol} is {figure}', function (this: TradingWorld, symbol: string, quantity: Decimal) {
  setLimit(this, `max_order_quantity.${symbol}`, quantity.toString());
});

Given('the risk officer switches off trading in {symbol}', function (this: TradingWorld, symbol: string) {
  this.riskOfficer.changeSettings({ [`trading_disabled.${symbol}`]: 'true' }, `${symbol} switched off`);
});

When('the risk officer switches on trading in {symbol}', function (this: TradingWorld, symbol: string) {
  this.riskOfficer.changeSettings({ [`trading_disabled.${symbol}`]: 'false' }, `${symbol} switched on`);
});
