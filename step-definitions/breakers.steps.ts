import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal, PlaceResult } from '../support/sut';
import type { ErrorKind } from '../support/sut';
import { BEFORE_THE_CHANGE, BEFORE_THE_REGISTRATION, BEFORE_THE_RESET, BREAKER_REGISTRATION, BREAKER_RESET, IN_FLIGHT_ORDER, SENT_AFTER_THE_TRIP, SENT_BEFORE_THE_TRIP } from '../support/dsl';
import type { BreakerLevelInForce } from '../support/dsl';
import { TradingWorld } from '../support/world';
import { cell } from '../support/parameter-types';

/**
 * Whether the Gherkin's "measured as" is the unit the system gives a breaker's level: it names that
 * unit first and may say more of it ("% within the window"); a level the system gives no unit is a
 * plain figure, not a percentage.
 */
function measuredAs(gherkin: string, level: BreakerLevelInForce): boolean {
  if (level.unit === undefined) return !gherkin.includes('%');
  return gherkin === level.unit || gherkin.startsWith(`${level.unit} `) || gherkin.startsWith(`${level.unit},`);
}

/** A figure from the log, rounded as the Gherkin gives it (a share as a percentage). */
function shownAs(raw: string, expected: Decimal, percent: boolean): string {
  const value = percent ? new Decimal(raw).times(100) : new Decimal(raw);
  return value.toDecimalPlaces(Math.max(0, expected.decimalPlaces()), Decimal.ROUND_HALF_UP).toString();
}

// ---- set-up ----

Given('the circuit breakers are armed', async function (this: TradingWorld) {
  expect(await this.riskOfficer.armBreakers(), 'the circuit breakers run in the system').to.equal(true);
});

Given('the circuit breaker levels are:', function (this: TradingWorld, table: DataTable) {
  const rows = table.hashes();
  const inForce = this.riskOfficer.setBreakerLevels(rows.map(r => ({ breaker: r.breaker, warning: r.warning, critical: r.critical })));
  const measuredOtherwise = inForce.filter((l, i) => !measuredAs(rows[i]['measured as'], l.warning) || !measuredAs(rows[i]['measured as'], l.critical));
  expect(measuredOtherwise.map(l => `${l.breaker}: ${l.warning.unit ?? 'a plain figure'}, ${l.critical.unit ?? 'a plain figure'}`), 'breakers whose levels the system gives in another unit').to.deep.equal([]);
  expect(inForce.map(l => [l.warning.value, l.critical.value]), 'the levels in force').to.deep.equal(rows.map(r => [cell.percentOrFigure(r.warning), cell.percentOrFigure(r.critical)]));
});

Given('the {string} breaker warns at {percent} and trips at {percent}', function (this: TradingWorld, breaker: string, warning: Decimal, critical: Decimal) {
  this.riskOfficer.setBreakerLevels([{ breaker, warning: warning.toString(), critical: critical.toString() }]);
});

Given('positions are margined at {leverage} at the venue', function (this: TradingWorld, leverage: Decimal) {
  this.riskOfficer.changeSettings({ position_leverage: leverage.toString() }, 'venue leverage');
});

When('the risk officer registers a breaker {string} on the mark price of {symbol} that warns below {string} and trips below {string}', async function (
  this: TradingWorld,
  name: string,
  symbol: string,
  warning: string,
  critical: string,
) {
  await this.riskOfficer.tryToRegisterBreaker({ name, metric: { kind: 'mark price', symbol }, warning: cell.systemText(warning), critical: cell.systemText(critical), direction: 'below', actor: 'risk officer' });
});

When('the risk officer tries to set the {string} breaker\'s {word} level to {string}', async function (this: TradingWorld, breaker: string, level: string, value: string) {
  if (level !== 'warning' && level !== 'critical') throw new Error(`a breaker has a warning and a critical level, not "${level}"`);
  await this.riskOfficer.tryToSetBreakerLevel(breaker, level, cell.systemText(value));
});

// ---- the market and the orders ----

When('{duration} later {symbol} is marked at {money}', async function (this: TradingWorld, ms: number, symbol: string, price: Decimal) {
  await this.market.moveAfter(ms, symbol, price);
});

When('{duration} later {symbol} is marked at {money} with only these bids:', async function (this: TradingWorld, ms: number, symbol: string, price: Decimal, table: DataTable) {
  const bids = table.hashes().map(r => ({ price: cell.figure(r.price), quantity: cell.figure(r.quantity) }));
  await this.market.moveAfter(ms, symbol, price, bids);
});

When('the market stays calm for {duration}', async function (this: TradingWorld, ms: number) {
  await this.market.calm(ms / 60_000);
});

When('{symbol} alternates between {money} and {money} once a minute for {int} minutes', async function (this: TradingWorld, symbol: string, low: Decimal, high: Decimal, minutes: number) {
  await this.market.alternate(symbol, low, high, minutes);
});

When('the trader sends {int} orders to buy {figure} {symbol} at {money} one after another, and {symbol} is marked at {money} just after order {int} is sent', async function (
  this: TradingWorld,
  count: number,
  quantity: Decimal,
  symbol: string,
  price: Decimal,
  tickSymbol: string,
  tickPrice: Decimal,
  after: number,
) {
  await this.trader.sendBasketWithTick({ count, side: 'buy', quantity, symbol, price }, { after, symbol: tickSymbol, price: tickPrice });
});

// ---- trips and levels ----

function expectTrip(world: TradingWorld, breaker: string, observed: Decimal, limit: Decimal, percent: boolean): void {
  const trip = world.eventLog.trip(breaker);
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
  const warning = world.eventLog.breakerEvents('BreakerLevelChanged', breaker).filter(e => e.payload.to === 'warning').pop();
  if (!warning) throw new Error(`breaker ${breaker} never warned`);
  expect(shownAs(warning.payload.observed, observed, percent), `observed ${warning.payload.observedText}`).to.equal(observed.toString());
  expect(shownAs(warning.payload.limit, level, percent), `warning level ${warning.payload.limitText}`).to.equal(level.toString());
  expect(world.circuitBreakers.status(breaker)?.level).to.equal('warning');
}

Then('the {string} breaker warns at {percent} against its warning level of {percent}', function (this: TradingWorld, breaker: string, observed: Decimal, level: Decimal) {
  expectWarning(this, breaker, observed, level, true);
});

Then('the {string} breaker warns at {money} against its warning level of {money}', function (this: TradingWorld, breaker: string, observed: Decimal, level: Decimal) {
  expectWarning(this, breaker, observed, level, false);
});

Then('the {string} breaker reads {percent} and is {word}', function (this: TradingWorld, breaker: string, observed: Decimal, level: string) {
  const reading = this.circuitBreakers.reading(breaker);
  expect(shownAs(reading.observed.toString(), observed, true)).to.equal(observed.toString());
  expect(reading.level).to.equal(level);
});

Then('no breaker has tripped', function (this: TradingWorld) {
  expect(this.eventLog.breakerEvents('BreakerTripped').map(e => e.payload.breaker)).to.deep.equal([]);
});

Then('the trading state is now {word}', function (this: TradingWorld, state: string) {
  expect(this.circuitBreakers.tradingState().state).to.equal(state);
});

Then('the trading state is now {word}, set by {string}', function (this: TradingWorld, state: string, actor: string) {
  const now = this.circuitBreakers.tradingState();
  expect(now.state).to.equal(state);
  expect(now.setBy, 'who last changed the trading state').to.equal(actor);
});

// ---- TC-CB-001: orders in flight at the trip ----

function idsOf(results: readonly PlaceResult[]): string[] {
  return results.map(r => {
    if (r.outcome === 'rejected' && r.stage === 'input') throw new Error(`an order was refused as input: ${r.error.message}`);
    return r.order.clientOrderId;
  });
}

Then('the {int} orders sent before the trip were still waiting for the broker\'s acknowledgement when it tripped', function (this: TradingWorld, count: number) {
  const orders = this.circuitBreakers.ordersAtTheTrip(SENT_BEFORE_THE_TRIP);
  expect(orders).to.have.length(count);
  expect(orders.filter(o => !o.submittedBeforeTrip || !o.acknowledgedAfterTrip).map(o => o.history), 'orders not on their way at the trip').to.deep.equal([]);
});

Then('the order in flight was cancelled by the {string} breaker once the broker acknowledged it, here and at the broker', async function (this: TradingWorld, breaker: string) {
  const cancel = await this.circuitBreakers.cancelOf(IN_FLIGHT_ORDER);
  expect(cancel.cancelledAfterAcknowledgement, cancel.history).to.equal(true);
  expect(cancel.cancelReason, 'why the cancel was asked for').to.include(breaker);
  expect({ here: cancel.here, atBroker: cancel.atBroker }).to.deep.equal({ here: 'cancelled', atBroker: 'cancelled' });
});

Then('each of them was cancelled only after the broker acknowledged it, here and at the broker', function (this: TradingWorld) {
  const cancels = this.circuitBreakers.cancelsOf(SENT_BEFORE_THE_TRIP);
  expect(cancels).to.have.length.greaterThan(0);
  const otherwise = cancels.filter(c => !c.cancelledAfterAcknowledgement || c.here !== 'cancelled' || c.atBroker !== 'cancelled');
  expect(otherwise.map(c => c.history), 'orders not cancelled after their acknowledgement, here and at the broker').to.deep.equal([]);
});

Then('the {int} orders sent after the trip were rejected by the {string} check with the code {string}', function (this: TradingWorld, count: number, check: string, code: string) {
  const sentAfterTrip = this.trader.basket(SENT_AFTER_THE_TRIP);
  expect(sentAfterTrip).to.have.length(count);
  for (const result of sentAfterTrip) {
    if (result.outcome !== 'rejected' || result.stage !== 'risk') throw new Error(`expected a risk rejection, got ${result.outcome}`);
    const row = result.decision.failed.find(r => r.check === check);
    expect(row?.code, `${result.order.clientOrderId}: ${result.decision.failed.map(r => r.check).join(', ')}`).to.equal(code);
  }
});

Then('none of the orders sent after the trip reached the broker', function (this: TradingWorld) {
  const ids = new Set(idsOf(this.trader.basket(SENT_AFTER_THE_TRIP)));
  expect(this.venue.books.requests.filter(r => r.clientOrderId !== undefined && ids.has(r.clientOrderId))).to.deep.equal([]);
});

// ---- the response ----

Then('the {symbol} liquidation price is {money} and its buffer {percent}', function (this: TradingWorld, symbol: string, price: Decimal, buffer: Decimal) {
  const reading = this.circuitBreakers.reading('liquidation buffer');
  expect(reading.subject).to.equal(symbol);
  expect(shownAs(reading.observed.toString(), buffer, true)).to.equal(buffer.toString());
  // buffer = (mark - liquidation) / mark for a long, so the liquidation price follows from both.
  expect(this.market.markOf(symbol).times(new Decimal(1).minus(reading.observed)).toDecimalPlaces(2).toString()).to.equal(price.toString());
});

Then('the position was liquidated in these reduce-only orders:', async function (this: TradingWorld, table: DataTable) {
  const liquidations = await this.circuitBreakers.liquidations();
  for (const order of liquidations) expect(order.reduceOnly, `${order.clientOrderId} reduce-only`).to.equal(true);
  const actual = liquidations.map(o => ({ side: o.side, quantity: o.filled.toString(), 'average price': o.averagePrice.toString() }));
  expect(actual).to.deep.equal(table.hashes().map(r => ({ side: r.side, quantity: cell.figure(r.quantity).toString(), 'average price': cell.figure(r['average price']).toString() })));
});

Then('the liquidation was refused by the risk check with the code {string}', function (this: TradingWorld, code: string) {
  const refused = this.eventLog.breakerEvents('BreakerActionTaken').filter(e => e.payload.action === 'liquidate' && e.payload.outcome === 'failed');
  expect(refused.map(e => ({ code: e.payload.code, rejectionCode: e.payload.rejectionCode })), 'the refused liquidations').to.deep.equal([{ code: 'LIQUIDATION_REFUSED', rejectionCode: code }]);
});

Then('every working order was cancelled for {string}, here and at the broker', function (this: TradingWorld, reason: string) {
  const requests = this.eventLog.ofType('OrderCancelRequested');
  expect(requests.length, 'cancels requested').to.be.greaterThan(0);
  for (const e of requests) {
    expect(e.payload.reason).to.equal(reason);
    expect(this.trader.statusHereAndAtBroker(e.payload.clientOrderId), e.payload.clientOrderId).to.deep.equal({ here: 'cancelled', atBroker: 'cancelled' });
  }
  expect(this.trader.workingOrders()).to.deep.equal([]);
  expect(this.venue.books.openOrders()).to.deep.equal([]);
});

Then('each working order was cancelled exactly once', function (this: TradingWorld) {
  const requested = this.eventLog.ofType('OrderCancelRequested').map(e => e.payload.clientOrderId);
  expect(new Set(requested).size, `cancel requests ${requested.join(', ')}`).to.equal(requested.length);
  expect(this.trader.workingOrders()).to.deep.equal([]);
});

Then('the broker received exactly {int} cancel-all request(s), after the trip', function (this: TradingWorld, count: number) {
  const cancelAll = this.venue.books.requests.filter(r => r.action === 'cancel-all');
  expect(cancelAll).to.have.length(count);
  const firstTrip = this.eventLog.breakerEvents('BreakerTripped')[0];
  if (!firstTrip) throw new Error('no breaker tripped');
  for (const r of cancelAll) expect(Date.parse(r.at)).to.be.at.least(Date.parse(firstTrip.at));
});

Then('the {string} breaker tripped once, and went critical again {int} time(s) without a second response', function (this: TradingWorld, breaker: string, again: number) {
  expect(this.eventLog.breakerEvents('BreakerTripped', breaker)).to.have.length(1);
  expect(this.eventLog.breakerEvents('BreakerLevelChanged', breaker).filter(e => e.payload.to === 'critical')).to.have.length(again);
  expect(this.eventLog.breakerEvents('BreakerActionTaken', breaker).filter(e => e.payload.action === 'alert raised')).to.have.length(1);
});

Then('the settings were changed {int} time(s) by {string}', function (this: TradingWorld, count: number, actor: string) {
  expect(this.eventLog.ofType('SettingsChanged').filter(e => e.payload.actor === actor)).to.have.length(count);
});

Then('the settings changed by {string} are:', function (this: TradingWorld, actor: string, table: DataTable) {
  const expected = table.hashes().map(r => ({ setting: r.setting, from: cell.systemText(r.from), to: cell.systemText(r.to) }));
  expect(this.riskOfficer.firstChangeBy(actor)).to.deep.equal(expected);
});

Then('the alerts raised are:', function (this: TradingWorld, table: DataTable) {
  const actual = this.circuitBreakers.alerts().map(a => ({ breaker: a.breaker, level: a.level, observed: a.observed, limit: a.limit, time: a.at.replace('T', ' ').replace(/\.\d+Z$/, '') }));
  expect(actual).to.deep.equal(table.hashes());
});

Then('telemetry counted {int} warning alert(s) and {int} critical alert(s)', function (this: TradingWorld, warnings: number, criticals: number) {
  expect(this.circuitBreakers.alertsCounted()).to.deep.equal({ warning: warnings, critical: criticals });
});

Then('the response of the {string} breaker is recorded in this order:', function (this: TradingWorld, breaker: string, table: DataTable) {
  const trip = this.eventLog.trip(breaker);
  const actions = this.eventLog.breakerEvents('BreakerActionTaken', breaker);
  expect(actions.every(a => a.seq > trip.seq), 'every action after the trip').to.equal(true);
  expect(actions.map(a => ({ action: a.payload.action, outcome: a.payload.outcome }))).to.deep.equal(table.hashes());
});

Then('the {string} breaker is still tripped', function (this: TradingWorld, breaker: string) {
  expect(this.circuitBreakers.status(breaker)?.tripped).to.equal(true);
  expect(this.circuitBreakers.trippedInThisEpisode()).to.include(breaker);
});

// ---- recovery ----

When('{string} with the role {string} resets the breakers because {string}', async function (this: TradingWorld, operator: string, role: string, reason: string) {
  await this.riskOfficer.resetBreakers({ operator, role, reason });
});

When('{string} with the role {string} resets the {string} breaker because {string}', async function (this: TradingWorld, operator: string, role: string, breaker: string, reason: string) {
  await this.riskOfficer.tryToResetBreakers({ breaker, operator, role, reason });
});

Then('the reset is refused with {string}', function (this: TradingWorld, code: string) {
  const reset = this.riskOfficer.lastReset();
  expect(reset.outcome).to.equal('refused');
  if (reset.outcome === 'refused') expect(reset.code).to.equal(code);
  const refusal = this.eventLog.latest('BreakerResetRefused', this.context.memory.recall('logMark', BEFORE_THE_RESET));
  expect(refusal?.payload.code, 'the refusal recorded for this reset').to.equal(code);
});

Then('the reset is refused as bad input because {string}', function (this: TradingWorld, reason: string) {
  const refusal = this.context.errors.take(BREAKER_RESET);
  expect(refusal, `${refusal.name}: ${refusal.message}`).to.have.property('kind', 'UnknownBreaker' satisfies ErrorKind);
  expect(refusal.message).to.include(reason);
  expect(this.eventLog.sinceRemembered(BEFORE_THE_RESET), 'nothing recorded').to.deep.equal([]);
});

Then('the breakers were reset automatically because {string}', function (this: TradingWorld, reason: string) {
  expect(this.eventLog.latest('BreakerReset')?.payload).to.include({ mode: 'automatic', reason });
});

Then('the breakers were reset by {string} because {string}', function (this: TradingWorld, operator: string, reason: string) {
  const reset = this.riskOfficer.lastReset();
  expect(reset.outcome, reset.outcome === 'refused' ? `${reset.code}: ${reset.reason}` : '').to.equal('reset');
  expect(this.eventLog.latest('BreakerReset')?.payload).to.include({ mode: 'manual', operator, role: 'risk officer', reason });
});

Then('the last health check passed on broker connectivity, market data freshness and reconciliation', function (this: TradingWorld) {
  const check = this.eventLog.latest('BreakerHealthChecked');
  if (!check) throw new Error('no health check was run');
  expect(check.payload.checks.map(c => `${c.check}: ${c.code}`)).to.deep.equal(['broker connectivity: PASSED', 'market data freshness: PASSED', 'reconciliation: PASSED']);
  expect(this.eventLog.latest('BreakerReset')?.seq, 'the reset came after the passing health check').to.be.greaterThan(check.seq);
});

Then('the health check failed on {string} with {string}', function (this: TradingWorld, check: string, code: string) {
  const last = this.eventLog.latest('BreakerHealthChecked');
  if (!last) throw new Error('no health check was run');
  expect(last.payload.passed).to.equal(false);
  expect(last.payload.checks.find(c => c.check === check)?.code).to.equal(code);
});

Then('the reset attempts in the event log are:', function (this: TradingWorld, table: DataTable) {
  const attempts = this.eventLog.all().flatMap(e => {
    if (e.type === 'BreakerResetRefused') return [{ operator: e.payload.operator, role: e.payload.role, outcome: 'refused', code: e.payload.code }];
    if (e.type === 'BreakerReset') return [{ operator: e.payload.operator, role: e.payload.role, outcome: `reset (${e.payload.mode})`, code: '' }];
    return [];
  });
  expect(attempts).to.deep.equal(table.hashes());
});

Then('the limits in force are:', function (this: TradingWorld, table: DataTable) {
  for (const row of table.hashes()) expect(this.riskOfficer.limitInForce(row.setting), row.setting).to.equal(cell.systemText(row.value));
});

Then('the registration is refused because {string}', function (this: TradingWorld, reason: string) {
  const refusal = this.context.errors.take(BREAKER_REGISTRATION);
  expect(refusal, `${refusal.name}: ${refusal.message}`).to.have.property('kind', 'InvalidBreaker' satisfies ErrorKind);
  expect(refusal.message).to.include(reason);
  expect(this.eventLog.sinceRemembered(BEFORE_THE_REGISTRATION), 'nothing recorded').to.deep.equal([]);
});

Then('the settings are still at the version they had, with the {string} breaker tripping at {percent}', function (this: TradingWorld, breaker: string, critical: Decimal) {
  expect(this.riskOfficer.settingsVersion()).to.equal(this.context.memory.recall('settingsVersion', BEFORE_THE_CHANGE));
  expect(this.riskOfficer.breakerLevelsInForce(breaker).critical.value).to.equal(critical.toString());
});

Then('the breaker\'s {string} action is recorded as failed with {string}', async function (this: TradingWorld, action: string, code: string) {
  const failed = await this.circuitBreakers.failedAction(action);
  expect(failed.code, failed.detail).to.equal(code);
});

Then('the breaker\'s {string} action is recorded as failed with {string} because {string}', async function (this: TradingWorld, action: string, code: string, detail: string) {
  const failed = await this.circuitBreakers.failedAction(action);
  expect(failed.code, failed.detail).to.equal(code);
  expect(failed.detail).to.include(detail);
});
