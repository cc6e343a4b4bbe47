import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../domain/shared/decimal';
import { DEFAULT_SETTINGS, settingLabel } from '../domain/state/runtime-settings';
import { BREAKER_LEVEL_SETTINGS, ResetOutcome } from '../domain/breakers';
import { TradingWorld } from '../support/world';
import { asSystemText, figure } from '../support/parameter-types';
import { BasketWithTick, breakerEvents, calmMarket, markLater, markPriceMetric, sendBasketWithTick, setBreakerLevels, shownAs, tripOf } from '../support/breaker-driver';

type BreakerWorld = TradingWorld & { basketWithTick?: BasketWithTick; lastReset?: ResetOutcome };

const UNITS: Readonly<Record<string, string>> = {
  'daily loss': '% of start-of-day equity',
  'liquidation buffer': '% of mark',
  volatility: '% annualised',
  'price move': '% within the window',
  'correlated exposure': '% of equity',
  'correlation jump': 'average correlation',
  'position size': '% of equity, per symbol',
  'total position size': '% of equity',
};

// ---- set-up ----

Given('the circuit breakers are armed', function (this: TradingWorld) {
  if (this.systemIsRunning) throw new Error('arm the circuit breakers before the trading system starts (first step of the Background)');
  this.circuitBreakers = 'armed';
  expect(this.system.breakers.armed).to.equal(true);
});

Given('the circuit breaker levels are:', function (this: TradingWorld, table: DataTable) {
  const rows = table.hashes();
  for (const row of rows) expect(row['measured as'], `unit of ${row.breaker}`).to.equal(UNITS[row.breaker]);
  setBreakerLevels(this, rows.map(r => ({ breaker: r.breaker, warning: r.warning, critical: r.critical })));
});

Given('the {string} breaker warns at {percent} and trips at {percent}', function (this: TradingWorld, breaker: string, warning: Decimal, critical: Decimal) {
  setBreakerLevels(this, [{ breaker, warning: warning.toString(), critical: critical.toString() }]);
});

Given('positions are margined at {leverage} at the venue', function (this: TradingWorld, leverage: Decimal) {
  this.changeSettings({ position_leverage: leverage.toString() }, 'risk officer', 'venue leverage');
});

When('the risk officer registers a breaker {string} on the mark price of {symbol} that warns below {string} and trips below {string}', function (
  this: TradingWorld,
  name: string,
  symbol: string,
  warning: string,
  critical: string,
) {
  this.seqMark = this.system.ledger.store.length;
  try {
    this.system.breakers.register({ name, measure: `mark price of ${symbol} (USD)`, metric: markPriceMetric(symbol), warning: asSystemText(warning), critical: asSystemText(critical), direction: 'below', actor: 'risk officer' });
    this.lastError = null;
  } catch (error) {
    this.lastError = error as Error;
  }
});

When('the risk officer tries to set the {string} breaker\'s {word} level to {string}', function (this: TradingWorld, breaker: string, level: string, value: string) {
  this.seqMark = this.system.state.settings.version;
  const keys = BREAKER_LEVEL_SETTINGS[breaker];
  try {
    if (!keys) throw new Error(`no standard breaker "${breaker}"`);
    this.changeSettings({ [level === 'warning' ? keys.warning : keys.critical]: value }, 'risk officer', `${breaker} ${level} level`);
    this.lastError = null;
  } catch (error) {
    this.lastError = error as Error;
  }
});

// ---- the market and the orders ----

When('{duration} later {symbol} is marked at {money}', async function (this: TradingWorld, ms: number, symbol: string, price: Decimal) {
  markLater(this, ms, symbol, price);
  await this.system.breakers.idle();
});

When('{duration} later {symbol} is marked at {money} with only these bids:', async function (this: TradingWorld, ms: number, symbol: string, price: Decimal, table: DataTable) {
  const bids = table.hashes().map(r => ({ price: figure(r.price), quantity: new Decimal(r.quantity) }));
  markLater(this, ms, symbol, price, bids);
  await this.system.breakers.idle();
});

When('the market stays calm for {duration}', async function (this: TradingWorld, ms: number) {
  await calmMarket(this, ms / 60_000);
});

When('{symbol} alternates between {money} and {money} once a minute for {int} minutes', async function (this: TradingWorld, symbol: string, low: Decimal, high: Decimal, minutes: number) {
  for (let i = 1; i <= minutes; i += 1) markLater(this, 60_000, symbol, i % 2 === 1 ? high : low);
  await this.system.breakers.idle();
});

When('the trader sends {int} orders to buy {figure} {symbol} at {money} one after another, and {symbol} is marked at {money} just after order {int} is sent', async function (
  this: BreakerWorld,
  count: number,
  quantity: Decimal,
  symbol: string,
  price: Decimal,
  tickSymbol: string,
  tickPrice: Decimal,
  after: number,
) {
  this.basketWithTick = await sendBasketWithTick(this, { count, side: 'buy', quantity, symbol, price }, { after, symbol: tickSymbol, price: tickPrice });
});

// ---- trips and levels ----

function expectTrip(world: TradingWorld, breaker: string, observed: Decimal, limit: Decimal, percent: boolean): void {
  const trip = tripOf(world, breaker);
  expect(shownAs(trip.payload.observed, observed, percent), `observed ${trip.payload.observedText}`).to.equal(observed.toString());
  expect(shownAs(trip.payload.limit, limit, percent), `limit ${trip.payload.limitText}`).to.equal(limit.toString());
}

Then('the {string} breaker trips at {money} against a limit of {money}', function (this: TradingWorld, breaker: string, observed: Decimal, limit: Decimal) {
  expectTrip(this, breaker, observed, limit, false);
});

Then('the {string} breaker trips at {percent} against a limit of {percent}', function (this: TradingWorld, breaker: string, observed: Decimal, limit: Decimal) {
  expectTrip(this, breaker, observed, limit, true);
});

Then('the {string} breaker trips at {figure} against a limit of {figure}', function (this: TradingWorld, breaker: string, observed: Decimal, limit: Decimal) {
  expectTrip(this, breaker, observed, limit, false);
});

function expectWarning(world: TradingWorld, breaker: string, observed: Decimal, level: Decimal, percent: boolean): void {
  const warning = breakerEvents(world, 'BreakerLevelChanged', breaker).filter(e => e.payload.to === 'warning').pop();
  if (!warning) throw new Error(`breaker ${breaker} never warned`);
  expect(shownAs(warning.payload.observed, observed, percent), `observed ${warning.payload.observedText}`).to.equal(observed.toString());
  expect(shownAs(warning.payload.limit, level, percent), `warning level ${warning.payload.limitText}`).to.equal(level.toString());
  expect(world.system.state.breakers.status(breaker)?.level).to.equal('warning');
}

Then('the {string} breaker warns at {percent} against its warning level of {percent}', function (this: TradingWorld, breaker: string, observed: Decimal, level: Decimal) {
  expectWarning(this, breaker, observed, level, true);
});

Then('the {string} breaker warns at {money} against its warning level of {money}', function (this: TradingWorld, breaker: string, observed: Decimal, level: Decimal) {
  expectWarning(this, breaker, observed, level, false);
});

Then('the {string} breaker reads {percent} and is {word}', function (this: TradingWorld, breaker: string, observed: Decimal, level: string) {
  const reading = this.system.breakers.readings().find(r => r.name === breaker);
  if (!reading?.reading) throw new Error(`breaker ${breaker} reads nothing`);
  expect(shownAs(reading.reading.observed.toString(), observed, true)).to.equal(observed.toString());
  expect(reading.level).to.equal(level);
});

Then('no breaker has tripped', function (this: TradingWorld) {
  expect(breakerEvents(this, 'BreakerTripped').map(e => e.payload.breaker)).to.deep.equal([]);
});

Then('the trading state is now {word}', function (this: TradingWorld, state: string) {
  expect(this.system.state.settings.limits.tradingState).to.equal(state);
});

Then('the trading state is now {word}, set by {string}', function (this: TradingWorld, state: string, actor: string) {
  expect(this.system.state.settings.limits.tradingState).to.equal(state);
  const change = this.system.events.filter(e => e.type === 'SettingsChanged' && 'trading_state' in e.payload.changes).pop();
  if (change?.type !== 'SettingsChanged') throw new Error('the trading state was never changed');
  expect(change.payload.actor).to.equal(actor);
});

// ---- TC-CB-001: orders in flight at the trip ----

function basket(world: BreakerWorld): BasketWithTick {
  if (!world.basketWithTick) throw new Error('no basket was sent with a tick in this scenario');
  return world.basketWithTick;
}

function idsOf(results: BasketWithTick['sentBeforeTick']): string[] {
  return results.map(r => {
    if (r.outcome === 'rejected' && r.stage === 'input') throw new Error(`an order was refused as input: ${r.error.message}`);
    return r.order.clientOrderId;
  });
}

Then('the {int} orders sent before the trip were still waiting for the broker\'s acknowledgement when it tripped', function (this: BreakerWorld, count: number) {
  const { sentBeforeTick } = basket(this);
  const tripSeq = breakerEvents(this, 'BreakerTripped')[0]?.seq;
  if (tripSeq === undefined) throw new Error('no breaker tripped');
  expect(sentBeforeTick).to.have.length(count);
  for (const id of idsOf(sentBeforeTick)) {
    const events = this.eventsFor(id);
    const submitted = events.find(e => e.type === 'OrderSubmitted');
    const acknowledged = events.find(e => e.type === 'OrderAcknowledged');
    expect(submitted?.seq, `${id} sent before the trip`).to.be.lessThan(tripSeq);
    expect(acknowledged?.seq, `${id} acknowledged after the trip`).to.be.greaterThan(tripSeq);
  }
});

Then('the order in flight was cancelled by the {string} breaker once the broker acknowledged it, here and at the broker', async function (this: TradingWorld, breaker: string) {
  const id = this.focusOrderId!;
  await this.waitForEvent(`the cancel of ${id}`, e => e.type === 'OrderCancelled' && e.payload.clientOrderId === id, 1, 4000);
  await this.system.breakers.idle();
  const events = this.eventsFor(id);
  const acknowledged = events.find(e => e.type === 'OrderAcknowledged');
  const requested = events.find(e => e.type === 'OrderCancelRequested');
  expect(acknowledged && requested && requested.seq > acknowledged.seq, `${id}: ${events.map(e => `${e.seq} ${e.type}`).join(', ')}`).to.equal(true);
  expect(requested?.type === 'OrderCancelRequested' && requested.payload.reason).to.include(breaker);
  expect(this.broker.allOrders().find(o => o.clientOrderId === id)?.status).to.equal('cancelled');
});

Then('each of them was cancelled only after the broker acknowledged it, here and at the broker', function (this: BreakerWorld) {
  for (const id of idsOf(basket(this).sentBeforeTick)) {
    const events = this.eventsFor(id);
    const acknowledged = events.find(e => e.type === 'OrderAcknowledged')!;
    const cancelled = events.find(e => e.type === 'OrderCancelled');
    expect(cancelled, `${id} cancelled: ${events.map(e => `${e.seq} ${e.type}`).join(', ')}`).to.not.equal(undefined);
    expect(cancelled!.seq).to.be.greaterThan(acknowledged.seq);
    expect(events.filter(e => e.type === 'OrderCancelRequested').every(e => e.seq > acknowledged.seq), `${id}: no cancel before the acknowledgement`).to.equal(true);
    expect(this.system.state.order(id).status).to.equal('cancelled');
    expect(this.broker.allOrders().find(o => o.clientOrderId === id)?.status).to.equal('cancelled');
  }
});

Then('the {int} orders sent after the trip were rejected by the {string} check with the code {string}', function (this: BreakerWorld, count: number, check: string, code: string) {
  const { sentAfterTick } = basket(this);
  expect(sentAfterTick).to.have.length(count);
  for (const result of sentAfterTick) {
    if (result.outcome !== 'rejected' || result.stage !== 'risk') throw new Error(`expected a risk rejection, got ${result.outcome}`);
    const row = result.decision.failed.find(r => r.check === check);
    expect(row?.code, `${result.order.clientOrderId}: ${result.decision.failed.map(r => r.check).join(', ')}`).to.equal(code);
  }
});

Then('none of the orders sent after the trip reached the broker', function (this: BreakerWorld) {
  const ids = new Set(idsOf(basket(this).sentAfterTick));
  expect(this.broker.requests.filter(r => r.clientOrderId !== undefined && ids.has(r.clientOrderId))).to.deep.equal([]);
});

// ---- the response ----

Then('the {symbol} liquidation price is {money} and its buffer {percent}', function (this: TradingWorld, symbol: string, price: Decimal, buffer: Decimal) {
  const reading = this.system.breakers.readings().find(r => r.name === 'liquidation buffer')?.reading;
  if (!reading) throw new Error('the liquidation buffer breaker reads nothing');
  expect(reading.subject).to.equal(symbol);
  expect(shownAs(reading.observed.toString(), buffer, true)).to.equal(buffer.toString());
  const mark = this.system.state.marks.get(symbol)!;
  // buffer = (mark - liquidation) / mark for a long, so the liquidation price follows from both.
  expect(mark.times(new Decimal(1).minus(reading.observed)).toDecimalPlaces(2).toString()).to.equal(price.toString());
});

Then('the position was liquidated in these reduce-only orders:', async function (this: TradingWorld, table: DataTable) {
  await this.reconciliationsSettled();
  const liquidations = breakerEvents(this, 'BreakerActionTaken').filter(e => e.payload.action === 'liquidate' && e.payload.outcome === 'done');
  const actual = liquidations.map(e => {
    const order = this.system.state.order(e.payload.clientOrderId!);
    expect(order.reduceOnly, `${order.clientOrderId} reduce-only`).to.equal(true);
    return { side: order.side, quantity: order.filledQuantity.toString(), 'average price': order.averageFillPrice.toString() };
  });
  expect(actual).to.deep.equal(table.hashes().map(r => ({ ...r, 'average price': asSystemText(r['average price']) })));
});

Then('the liquidation was refused with {string}', function (this: TradingWorld, code: string) {
  const refused = breakerEvents(this, 'BreakerActionTaken').filter(e => e.payload.action === 'liquidate' && e.payload.outcome === 'failed');
  expect(refused, 'a refused liquidation').to.have.length.greaterThan(0);
  expect(refused[0].payload.detail).to.include(code);
});

Then('every working order was cancelled for {string}, here and at the broker', function (this: TradingWorld, reason: string) {
  const requests = this.system.events.filter(e => e.type === 'OrderCancelRequested');
  expect(requests.length, 'cancels requested').to.be.greaterThan(0);
  for (const e of requests) if (e.type === 'OrderCancelRequested') expect(e.payload.reason).to.equal(reason);
  const ids = requests.map(e => (e.payload as { clientOrderId: string }).clientOrderId);
  for (const id of ids) expect(this.system.state.order(id).status, id).to.equal('cancelled');
  expect(this.system.state.workingOrders()).to.deep.equal([]);
  expect(this.broker.openOrders()).to.deep.equal([]);
});

Then('each working order was cancelled exactly once', function (this: TradingWorld) {
  const requested = this.system.events.filter(e => e.type === 'OrderCancelRequested').map(e => (e.payload as { clientOrderId: string }).clientOrderId);
  expect(new Set(requested).size, `cancel requests ${requested.join(', ')}`).to.equal(requested.length);
  expect(this.system.state.workingOrders()).to.deep.equal([]);
});

Then('the broker received exactly {int} cancel-all request(s), after the trip', function (this: TradingWorld, count: number) {
  const cancelAll = this.broker.requests.filter(r => r.action === 'cancel-all');
  expect(cancelAll).to.have.length(count);
  const firstTrip = breakerEvents(this, 'BreakerTripped')[0];
  for (const r of cancelAll) expect(Date.parse(r.at)).to.be.at.least(Date.parse(firstTrip.at));
});

Then('the {string} breaker tripped once, and went critical again {int} time(s) without a second response', function (this: TradingWorld, breaker: string, again: number) {
  expect(breakerEvents(this, 'BreakerTripped', breaker)).to.have.length(1);
  expect(breakerEvents(this, 'BreakerLevelChanged', breaker).filter(e => e.payload.to === 'critical')).to.have.length(again);
  expect(breakerEvents(this, 'BreakerActionTaken', breaker).filter(e => e.payload.action === 'alert raised')).to.have.length(1);
});

Then('the settings were changed {int} time(s) by {string}', function (this: TradingWorld, count: number, actor: string) {
  expect(this.system.events.filter(e => e.type === 'SettingsChanged' && e.payload.actor === actor)).to.have.length(count);
});

Then('the settings changed by {string} are:', function (this: TradingWorld, actor: string, table: DataTable) {
  const events = this.system.events;
  const change = events.find(e => e.type === 'SettingsChanged' && e.payload.actor === actor);
  if (change?.type !== 'SettingsChanged') throw new Error(`no settings change by ${actor}`);
  const before = (key: string) => {
    const earlier = events.filter(e => e.seq < change.seq && e.type === 'SettingsChanged' && key in e.payload.changes).pop();
    return earlier?.type === 'SettingsChanged' ? earlier.payload.changes[key] : DEFAULT_SETTINGS[key];
  };
  const actual = Object.entries(change.payload.changes).map(([key, to]) => ({ setting: settingLabel(key), from: before(key), to }));
  expect(actual).to.deep.equal(table.hashes());
});

Then('the alerts raised are:', function (this: TradingWorld, table: DataTable) {
  const actual = this.system.telemetry.alerts.all().map(a => ({ breaker: a.breaker, level: a.level, observed: a.observed, limit: a.limit, time: a.at.replace('T', ' ').replace(/\.\d+Z$/, '') }));
  expect(actual).to.deep.equal(table.hashes());
});

Then('telemetry counted {int} warning alert(s) and {int} critical alert(s)', function (this: TradingWorld, warnings: number, criticals: number) {
  expect(this.system.telemetry.count('alerts.warning')).to.equal(warnings);
  expect(this.system.telemetry.count('alerts.critical')).to.equal(criticals);
});

Then('the response of the {string} breaker is recorded in this order:', function (this: TradingWorld, breaker: string, table: DataTable) {
  const trip = tripOf(this, breaker);
  const actions = breakerEvents(this, 'BreakerActionTaken', breaker);
  expect(actions.every(a => a.seq > trip.seq), 'every action after the trip').to.equal(true);
  expect(actions.map(a => ({ action: a.payload.action, outcome: a.payload.outcome }))).to.deep.equal(table.hashes());
});

Then('the {string} breaker is still tripped', function (this: TradingWorld, breaker: string) {
  expect(this.system.state.breakers.status(breaker)?.tripped).to.equal(true);
  expect(this.system.state.breakers.episode?.breakers).to.include(breaker);
});

// ---- recovery ----

When('{string} with the role {string} resets the breakers because {string}', async function (this: BreakerWorld, operator: string, role: string, reason: string) {
  this.seqMark = this.system.ledger.store.length;
  this.lastReset = await this.system.breakers.reset({ operator, role, reason });
});

When('{string} with the role {string} resets the {string} breaker because {string}', async function (this: BreakerWorld, operator: string, role: string, breaker: string, reason: string) {
  this.seqMark = this.system.ledger.store.length;
  try {
    this.lastReset = await this.system.breakers.reset({ breaker, operator, role, reason });
    this.lastError = null;
  } catch (error) {
    this.lastError = error as Error;
  }
});

Then('the reset is refused with {string}', function (this: BreakerWorld, code: string) {
  expect(this.lastReset?.outcome).to.equal('refused');
  if (this.lastReset?.outcome === 'refused') expect(this.lastReset.code).to.equal(code);
  const refusal = breakerEvents(this, 'BreakerResetRefused').pop();
  expect(refusal?.payload.code).to.equal(code);
  expect(refusal!.seq).to.be.greaterThan(this.seqMark);
});

Then('the reset is refused as bad input because {string}', function (this: TradingWorld, reason: string) {
  expect(this.lastError, 'the reset was refused').to.be.instanceOf(Error);
  expect(this.lastError!.message).to.include(reason);
  expect(this.system.ledger.store.length, 'nothing recorded').to.equal(this.seqMark);
});

Then('the breakers were reset automatically because {string}', function (this: TradingWorld, reason: string) {
  const reset = breakerEvents(this, 'BreakerReset').pop();
  expect(reset?.payload).to.include({ mode: 'automatic', reason });
});

Then('the breakers were reset by {string} because {string}', function (this: BreakerWorld, operator: string, reason: string) {
  expect(this.lastReset?.outcome, this.lastReset?.outcome === 'refused' ? `${this.lastReset.code}: ${this.lastReset.reason}` : '').to.equal('reset');
  const reset = breakerEvents(this, 'BreakerReset').pop();
  expect(reset?.payload).to.include({ mode: 'manual', operator, role: 'risk officer', reason });
});

Then('the last health check passed on broker connectivity, market data freshness and reconciliation', function (this: TradingWorld) {
  const check = breakerEvents(this, 'BreakerHealthChecked').pop();
  if (!check) throw new Error('no health check was run');
  expect(check.payload.checks.map(c => `${c.check}: ${c.code}`)).to.deep.equal(['broker connectivity: PASSED', 'market data freshness: PASSED', 'reconciliation: PASSED']);
  const reset = breakerEvents(this, 'BreakerReset').pop();
  expect(reset?.seq, 'the reset came after the passing health check').to.be.greaterThan(check.seq);
});

Then('the health check failed on {string} with {string}', function (this: TradingWorld, check: string, code: string) {
  const last = breakerEvents(this, 'BreakerHealthChecked').pop();
  expect(last?.payload.passed).to.equal(false);
  expect(last!.payload.checks.find(c => c.check === check)?.code).to.equal(code);
});

Then('the reset attempts in the event log are:', function (this: TradingWorld, table: DataTable) {
  const attempts = this.system.events.flatMap(e => {
    if (e.type === 'BreakerResetRefused') return [{ operator: e.payload.operator, role: e.payload.role, outcome: 'refused', code: e.payload.code }];
    if (e.type === 'BreakerReset') return [{ operator: e.payload.operator, role: e.payload.role, outcome: `reset (${e.payload.mode})`, code: '' }];
    return [];
  });
  expect(attempts).to.deep.equal(table.hashes());
});

Then('the limits in force are:', function (this: TradingWorld, table: DataTable) {
  const settings = this.system.state.settings.snapshot();
  for (const row of table.hashes()) expect(settings[this.settingKey(row.setting)], row.setting).to.equal(asSystemText(row.value));
});

Then('the registration is refused because {string}', function (this: TradingWorld, reason: string) {
  expect(this.lastError, 'the registration was refused').to.be.instanceOf(Error);
  expect(this.lastError!.message).to.include(reason);
  expect(this.system.ledger.store.length, 'nothing recorded').to.equal(this.seqMark);
});

Then('the settings are still at the version they had, with the {string} breaker tripping at {percent}', function (this: TradingWorld, breaker: string, critical: Decimal) {
  expect(this.system.state.settings.version).to.equal(this.seqMark);
  expect(this.system.state.settings.snapshot()[BREAKER_LEVEL_SETTINGS[breaker].critical]).to.equal(critical.toString());
});

Then('the breaker\'s {string} action is recorded as failed with {string}', async function (this: BreakerWorld, action: string, code: string) {
  const failed = await this.waitForEvent(`the ${action} action to fail`, e => e.type === 'BreakerActionTaken' && e.payload.action === action && e.payload.outcome === 'failed');
  expect(failed.type === 'BreakerActionTaken' && failed.payload.code).to.equal(code);
});
