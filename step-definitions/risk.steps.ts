import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../domain/shared/decimal';
import { DecisionRow } from '../domain/state/events';
import { correlationKey } from '../domain/state/runtime-settings';
import { TradingWorld } from '../support/world';
import { asSystemText } from '../support/parameter-types';

/** The decision rows recorded for an order (approved or rejected), read back from the event log. */
function recordedDecision(world: TradingWorld, clientOrderId: string): { rows: readonly DecisionRow[]; settingsVersion?: number } {
  for (const e of world.eventsFor(clientOrderId)) {
    if (e.type === 'RiskCheckPassed') return { rows: e.payload.checks, settingsVersion: e.payload.settingsVersion };
    if (e.type === 'OrderRejected' && e.payload.checks) return { rows: e.payload.checks, settingsVersion: e.payload.settingsVersion };
  }
  throw new Error(`no risk decision recorded for ${clientOrderId}`);
}

function rowFor(rows: readonly DecisionRow[], check: string): DecisionRow {
  const row = rows.find(r => r.check === check);
  if (!row) throw new Error(`the decision has no "${check}" check; it has ${rows.map(r => r.check).join(', ')}`);
  return row;
}

/**
 * Compare a recorded figure with the one in the Gherkin: exactly, unless the Gherkin gives four or
 * more decimals, which marks a rounded value (a square root, a share of a fee-reduced equity).
 */
function expectFigure(actual: string | undefined, expected: Decimal, what: string): void {
  expect(actual, `${what} has a figure`).to.not.equal(undefined);
  const places = expected.decimalPlaces();
  const shown = places >= 4 ? new Decimal(actual!).toDecimalPlaces(places) : new Decimal(actual!);
  expect(shown.toString(), what).to.equal(expected.toString());
}

function setLimit(world: TradingWorld, key: string, value: string): void {
  world.changeSettings({ [key]: value });
}

// ---- limits ----

Given('the risk limits in force are:', function (this: TradingWorld, table: DataTable) {
  const changes = Object.fromEntries(table.hashes().map(row => [this.settingKey(row.setting), asSystemText(row.value)]));
  this.changeSettings(changes, 'risk officer', 'limits for this specification');
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
  this.changeSettings({ [correlationKey(a, b)]: correlation.toString() }, 'risk officer', reason);
});

When('the risk officer sets the position limit per symbol to {percent} of equity because {string}', function (this: TradingWorld, pct: Decimal, reason: string) {
  this.changeSettings({ max_position_pct: pct.toString() }, 'risk officer', reason);
});

When('the risk officer sets the maximum leverage to {leverage} because {string}', function (this: TradingWorld, leverage: Decimal, reason: string) {
  this.changeSettings({ max_leverage: leverage.toString() }, 'risk officer', reason);
});

When('the risk officer tries to set the maximum leverage to {string}', function (this: TradingWorld, value: string) {
  try {
    this.changeSettings({ max_leverage: value }, 'risk officer', 'leverage update');
    this.lastError = null;
  } catch (error) {
    this.lastError = error as Error;
  }
});

Then('the settings change is refused because {string}', function (this: TradingWorld, reason: string) {
  expect(this.lastError, 'the change was refused').to.be.instanceOf(Error);
  expect(this.lastError!.message).to.include(reason);
});

Then('the settings are at version {int}, changed by the risk officer for {string}', function (this: TradingWorld, version: number, reason: string) {
  expect(this.system.state.settings.version).to.equal(version);
  const change = this.system.events.filter(e => e.type === 'SettingsChanged').pop();
  if (change?.type !== 'SettingsChanged') throw new Error('no settings change in the log');
  expect(change.payload).to.include({ version, actor: 'risk officer', reason });
});

Then('the settings are still at version {int} with a maximum leverage of {figure}', function (this: TradingWorld, version: number, leverage: Decimal) {
  expect(this.system.state.settings.version).to.equal(version);
  expect(this.system.state.settings.limits.maxLeverage.toString()).to.equal(leverage.toString());
  expect(this.system.events.filter(e => e.type === 'SettingsChanged')).to.have.length(version);
});

// ---- decisions ----

Then('the order passed every pre-trade check', function (this: TradingWorld) {
  const { rows } = recordedDecision(this, this.lastOrder().clientOrderId);
  expect(rows.length).to.be.greaterThan(5);
  expect(rows.filter(r => !r.passed).map(r => `${r.check}: ${r.observed} vs ${r.limit}`)).to.deep.equal([]);
});

Then('the order is rejected by the {string} check', function (this: TradingWorld, check: string) {
  const result = this.lastPlace;
  if (result?.outcome !== 'rejected' || result.stage !== 'risk') throw new Error(`expected a risk rejection, got ${result?.outcome}`);
  expect(this.system.state.order(result.order.clientOrderId).status).to.equal('rejected');
  const { rows } = recordedDecision(this, result.order.clientOrderId);
  expect(rowFor(rows, check).passed, `${check} passed`).to.equal(false);
});

Then('the order is rejected by the {string} check under settings version {int}', function (this: TradingWorld, check: string, version: number) {
  const { rows, settingsVersion } = recordedDecision(this, this.lastOrder().clientOrderId);
  expect(this.lastOrder().status).to.equal('rejected');
  expect(rowFor(rows, check).passed).to.equal(false);
  expect(settingsVersion).to.equal(version);
});

Then('the basket order for {symbol} is rejected by the {string} check', function (this: TradingWorld, symbol: string, check: string) {
  const result = this.basket.find(r => r.outcome !== 'accepted' && 'order' in r && r.order.symbol === symbol);
  if (!result || result.outcome !== 'rejected' || result.stage !== 'risk') throw new Error(`no risk rejection for ${symbol} in the basket`);
  expect(rowFor(result.decision.rows, check).passed).to.equal(false);
  expect(this.basket.filter(r => r.outcome === 'accepted')).to.have.length(this.basket.length - 1);
});

Then('the decision shows {string} at {figure} against a limit of {figure}', function (this: TradingWorld, check: string, observed: Decimal, limit: Decimal) {
  const row = rowFor(recordedDecision(this, this.lastOrder().clientOrderId).rows, check);
  expectFigure(row.observedValue, observed, `${check} observed`);
  expectFigure(row.limitValue, limit, `${check} limit`);
});

Then('the decision shows projected leverage {leverage} against a limit of {leverage}', function (this: TradingWorld, observed: Decimal, limit: Decimal) {
  const row = rowFor(recordedDecision(this, this.lastOrder().clientOrderId).rows, 'max leverage');
  expect(row.observed).to.equal(`${observed.toFixed(2)}x`);
  expect(row.limit).to.equal(`${limit.toFixed(2)}x`);
  expect(row.passed).to.equal(false);
});

Then('the rejection carries the code {string}', function (this: TradingWorld, code: string) {
  const rejected = this.eventsFor(this.lastOrder().clientOrderId).find(e => e.type === 'OrderRejected');
  if (rejected?.type !== 'OrderRejected') throw new Error('no rejection in the log');
  expect(rejected.payload.reasonCode).to.equal(code);
});

Then('the {string} check {verdict} with {figure} against a limit of {figure}', function (this: TradingWorld, check: string, passes: boolean, observed: Decimal, limit: Decimal) {
  const row = rowFor(recordedDecision(this, this.lastOrder().clientOrderId).rows, check);
  expect(row.passed, `${check}: ${row.observed} against ${row.limit}`).to.equal(passes);
  expectFigure(row.observedValue, observed, `${check} observed`);
  expectFigure(row.limitValue, limit, `${check} limit`);
});

Then('the modification passed every pre-trade check', function (this: TradingWorld) {
  const result = this.lastModify;
  if (result?.outcome !== 'modified') throw new Error(`expected the modification to go through, got ${result?.outcome}: ${result && 'error' in result ? result.error.message : ''}`);
  const requested = this.eventsFor(result.order.clientOrderId).find(e => e.type === 'OrderReplaceRequested');
  if (requested?.type !== 'OrderReplaceRequested') throw new Error('no replace request in the log');
  expect(requested.payload.checks.filter(r => !r.passed)).to.deep.equal([]);
});

Then('the modification is refused by the {string} check', function (this: TradingWorld, check: string) {
  const result = this.lastModify;
  if (result?.outcome !== 'refused' || result.stage !== 'risk') throw new Error(`expected a risk refusal, got ${result?.outcome}`);
  const refused = this.eventsFor(this.workingOrder().clientOrderId).find(e => e.type === 'OrderReplaceRefused');
  if (refused?.type !== 'OrderReplaceRefused' || !refused.payload.checks) throw new Error('no refused modification in the log');
  expect(rowFor(refused.payload.checks, check).passed).to.equal(false);
  expect(this.broker.requests.filter(r => r.action === 'replace')).to.have.length(0);
});

// ---- exposure ----

Then('the projected leverage is {leverage}', function (this: TradingWorld, leverage: Decimal) {
  const projected = this.system.risk.projectedExposure();
  expect(projected.leverage?.toFixed(2)).to.equal(leverage.toFixed(2));
});

Then('the projected gross exposure is {money}', function (this: TradingWorld, amount: Decimal) {
  expect(this.system.risk.projectedExposure().gross.toString()).to.equal(amount.toString());
});

Then('the gross exposure is {money} and the leverage {leverage}', function (this: TradingWorld, gross: Decimal, leverage: Decimal) {
  const account = this.system.state.account();
  expect(account.grossExposure.toString()).to.equal(gross.toString());
  expect(account.leverage?.toFixed(2)).to.equal(leverage.toFixed(2));
});

// ---- sizing ----

When('the trader sizes a buy of {symbol} risking {percent} of equity with a stop at {money}', function (this: TradingWorld, symbol: string, risk: Decimal, stop: Decimal) {
  this.sizing = this.system.risk.sizeOrder(symbol, 'buy', risk.div(100), stop);
});

Then('the sized quantity is {figure} {symbol}, limited by the {limiter}', function (this: TradingWorld, quantity: Decimal, _symbol: string, limiter: string) {
  expect(this.sizing?.quantity.toString()).to.equal(quantity.toString());
  expect(this.sizing?.limitedBy).to.equal(limiter);
});

Then('the sized order is placed and filled for {figure} {symbol}', async function (this: TradingWorld, quantity: Decimal, symbol: string) {
  await this.placeAndSettle({ symbol, side: 'buy', type: 'market', quantity: this.sizing!.quantity.toString() });
  const order = this.lastOrder();
  expect(order.status).to.equal('filled');
  expect(order.filledQuantity.toString()).to.equal(quantity.toString());
  // The sized order fits the position limit it was sized against: the risk manager's own row says so.
  const row = rowFor(recordedDecision(this, order.clientOrderId).rows, 'position limit');
  expect(row.passed).to.equal(true);
  expect(new Decimal(row.observedValue!).lte(new Decimal(row.limitValue!))).to.equal(true);
});

Given('the trading state is {word}', function (this: TradingWorld, state: string) {
  this.changeSettings({ trading_state: state }, 'risk officer', `trading state ${state}`);
});

When('the risk officer sets the trading state to {word} because {string}', function (this: TradingWorld, state: string, reason: string) {
  this.changeSettings({ trading_state: state }, 'risk officer', reason);
});

Given('the daily loss limit is {money}', function (this: TradingWorld, amount: Decimal) {
  setLimit(this, 'daily_loss_limit_amount', amount.toString());
});

Given('the net exposure cap is {percent} of equity', function (this: TradingWorld, pct: Decimal) {
  setLimit(this, 'max_net_exposure_pct', pct.toString());
});

Then('the order is rejected by the {string} check with the code {string}', function (this: TradingWorld, check: string, code: string) {
  const order = this.lastOrder();
  expect(order.status).to.equal('rejected');
  const row = rowFor(recordedDecision(this, order.clientOrderId).rows, check);
  expect(row.passed).to.equal(false);
  expect(row.code).to.equal(code);
});

Then('the order passed the {string} check', function (this: TradingWorld, check: string) {
  const order = this.lastOrder();
  const row = rowFor(recordedDecision(this, order.clientOrderId).rows, check);
  expect(row.passed, `${check}: ${row.observed} against ${row.limit}`).to.equal(true);
  expect(order.status).to.equal('filled');
});

When('the risk officer tries to set the correlation between {symbol} and {symbol} to {figure}', function (this: TradingWorld, a: string, b: string, correlation: Decimal) {
  try {
    this.changeSettings({ [correlationKey(a, b)]: correlation.toString() }, 'risk officer', 'correlation update');
    this.lastError = null;
  } catch (error) {
    this.lastError = error as Error;
  }
});

Then('the modification passed the {string} check', function (this: TradingWorld, check: string) {
  const result = this.lastModify;
  if (result?.outcome !== 'modified') throw new Error(`expected the modification to go through, got ${result?.outcome}: ${result && 'error' in result ? result.error.message : ''}`);
  const row = rowFor(result.decision.rows, check);
  expect(row.passed, `${check}: ${row.observed} against ${row.limit}`).to.equal(true);
});

Given('the correlations are:', function (this: TradingWorld, table: DataTable) {
  const changes = Object.fromEntries(
    table.hashes().map(row => {
      const [a, b] = row.pair.split('/');
      return [correlationKey(a, b), row.correlation];
    }),
  );
  this.changeSettings(changes, 'risk officer', 'correlation matrix');
});

Given('the order quantity limit for {symbol} is {figure}', function (this: TradingWorld, symbol: string, quantity: Decimal) {
  setLimit(this, `max_order_quantity.${symbol}`, quantity.toString());
});

Given('the risk officer switches off trading in {symbol}', function (this: TradingWorld, symbol: string) {
  this.changeSettings({ [`trading_disabled.${symbol}`]: 'true' }, 'risk officer', `${symbol} switched off`);
});

When('the risk officer switches on trading in {symbol}', function (this: TradingWorld, symbol: string) {
  this.changeSettings({ [`trading_disabled.${symbol}`]: 'false' }, 'risk officer', `${symbol} switched on`);
});
