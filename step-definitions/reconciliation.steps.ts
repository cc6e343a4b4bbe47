import { Given, When, Then, DataTable } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import type { DiscrepancyRecord, ReconciliationRunPayload } from '../support/sut';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { TradingWorld } from '../support/world';
import { cell } from '../support/table-cells';

/** The subject of a row as the Gherkin names it: a symbol, an order, a trade, a currency or a figure. */
function subjectNames(world: TradingWorld, row: DiscrepancyRecord): string[] {
  const s = row.subject;
  const names = [s.symbol, s.clientOrderId, s.tradeId, s.currency, s.figure].filter((n): n is string => n !== undefined);
  for (const name of ['the working order', 'the last order']) {
    if (s.clientOrderId && world.context.memory.has('order', name) && world.context.memory.recall('order', name) === s.clientOrderId) names.push(name);
  }
  if (s.tradeId && world.context.memory.has('order', 'the last order') && world.reconciliation.tradesOf().includes(s.tradeId)) names.push("the last order's trade");
  return names;
}

function describe(run: ReconciliationPayloadLike): string {
  return run.discrepancies.map(d => `${d.class} [${Object.values(d.subject).join(' ')}] ours ${d.ours} / broker ${d.broker}: ${d.policy}, ${d.resolution}`).join('\n') || 'no discrepancy';
}
type ReconciliationPayloadLike = Pick<ReconciliationRunPayload, 'discrepancies'>;

function findRow(world: TradingWorld, run: ReconciliationRunPayload, discrepancyClass: string, subject: string): DiscrepancyRecord {
  const row = run.discrepancies.find(d => d.class === discrepancyClass && subjectNames(world, d).includes(subject));
  if (!row) throw new Error(`${run.runId} found no ${discrepancyClass} for ${subject}; it found:\n${describe(run)}`);
  return row;
}

// ---- incidents at the broker ----

Given('the broker fills {figure} of the working order at {money} and its report is lost', function (this: TradingWorld, quantity: Decimal, price: Decimal) {
  this.reconciliation.fillSilently(quantity, price);
});

Given('the broker counts a fill of {figure} of the working order at {money} that neither its reports nor its history show', function (this: TradingWorld, quantity: Decimal, price: Decimal) {
  this.reconciliation.fillUnrecorded(quantity, price);
});

Given('the broker fills {figure} of order {string} at {money}', function (this: TradingWorld, quantity: Decimal, clientOrderId: string, price: Decimal) {
  this.context.broker.tradeAgainst(clientOrderId, quantity, price);
});

Given('the broker cancels the working order and its report is lost', function (this: TradingWorld) {
  this.reconciliation.cancelSilently();
});

Given('the broker loses the working order', function (this: TradingWorld) {
  this.reconciliation.loseOrder();
});

Given("the venue busts the last order's trade", function (this: TradingWorld) {
  this.reconciliation.bustFirstTrade();
});

Given("the venue corrects the price of the last order's trade to {money}", function (this: TradingWorld, price: Decimal) {
  this.reconciliation.correctFirstTrade(price);
});

Given(/^the broker (credits|debits) (\S+) USD (?:to|from) the wallet for "([^"]*)"$/, function (this: TradingWorld, direction: string, amount: string, reason: string) {
  const value = cell.figure(amount);
  this.reconciliation.adjustWallet(direction === 'debits' ? value.neg() : value, reason);
});

Given('the broker holds an order {string} to {side} {figure} {symbol} at {money} that the system never sent', function (this: TradingWorld, id: string, side: 'buy' | 'sell', quantity: Decimal, symbol: string, price: Decimal) {
  this.reconciliation.placeExternalOrder(id, side, quantity, symbol, price);
});

Given('the broker holds a leverage of {figure}x for {symbol}', function (this: TradingWorld, leverage: Decimal, symbol: string) {
  this.context.broker.setLeverage(symbol, leverage);
});

Given("the broker's next page of fill history leaves out {int} fills", function (this: TradingWorld, count: number) {
  this.context.broker.omitFromNextFillsPage(count);
});

Given('the broker fails the next {int} position queries', function (this: TradingWorld, times: number) {
  this.reconciliation.failNext('positions', times);
});

Given('the reconciliation policy for {string} is {string}', function (this: TradingWorld, discrepancyClass: string, policy: string) {
  this.riskOfficer.changeSettings({ [`reconciliation_policy.${discrepancyClass.replace(/ /g, '_')}`]: policy });
});

// ---- runs ----

When('the operator asks for a reconciliation', async function (this: TradingWorld) {
  await this.reconciliation.run();
});

When('the system reconciles with the broker {int} times', async function (this: TradingWorld, times: number) {
  for (let i = 0; i < times; i += 1) await this.reconciliation.run();
});

Then('the run is complete and found no discrepancy', function (this: TradingWorld) {
  const run = this.reconciliation.lastRun();
  expect(run.status, JSON.stringify(run.parts)).to.equal('complete');
  expect(run.discrepancies, describe(run)).to.deep.equal([]);
});

Then('the run found:', function (this: TradingWorld, table: DataTable) {
  const run = this.reconciliation.lastRun();
  for (const expected of table.hashes()) {
    const row = findRow(this, run, expected.class, expected.subject);
    expect(row.ours, `${expected.class}: ours`).to.equal(expected.ours);
    expect(row.broker, `${expected.class}: the broker's`).to.equal(expected["broker's"]);
    expect(row.policy, `${expected.class}: policy`).to.equal(expected.policy);
    expect(row.resolution, `${expected.class}: resolution`).to.include(expected.resolution);
  }
  expect(run.discrepancies.length, describe(run)).to.equal(table.hashes().length);
});

Then('the run found a {string} for {word} handled by {string}', function (this: TradingWorld, discrepancyClass: string, subject: string, policy: string) {
  expect(findRow(this, this.reconciliation.lastRun(), discrepancyClass, subject).policy).to.equal(policy);
});

Then(/^the run found a "([^"]*)" for (the last order's trade|the last order|the working order) handled by "([^"]*)"$/, function (this: TradingWorld, discrepancyClass: string, subject: string, policy: string) {
  const row = findRow(this, this.reconciliation.lastRun(), discrepancyClass, subject);
  expect(row.policy).to.equal(policy);
  this.context.memory.remember('reconciliation row', 'last', row);
});

Then('the row is marked as a dispute', function (this: TradingWorld) {
  const row = this.context.memory.recall('reconciliation row', 'last');
  expect(row.dispute, `${row.class} is a dispute`).to.equal(true);
  expect(row.itemId, 'the item it opened').to.match(/^R-\d+$/);
});

Then("the run's {string} says {string}", function (this: TradingWorld, discrepancyClass: string, resolution: string) {
  expect(this.reconciliation.row(this.reconciliation.lastRun(), discrepancyClass).resolution).to.include(resolution);
});

Then("the last run's {string} says {string}", function (this: TradingWorld, discrepancyClass: string, resolution: string) {
  expect(this.reconciliation.row(this.reconciliation.lastRun(), discrepancyClass).resolution).to.include(resolution);
});

Then('the last run found no {string}', function (this: TradingWorld, discrepancyClass: string) {
  const run = this.reconciliation.lastRun();
  expect(run.discrepancies.map(d => d.class), describe(run)).to.not.include(discrepancyClass);
});

Then('the last run is incomplete: it could not see the {word}', function (this: TradingWorld, part: string) {
  const run = this.reconciliation.lastRun();
  expect(run.status).to.equal('incomplete');
  const outcome = run.parts.find(p => p.part === part);
  expect(outcome?.status, JSON.stringify(run.parts)).to.equal('skipped');
  expect(outcome?.reason ?? '').to.include('failed');
});

Then("the run's trades part notes {string}", function (this: TradingWorld, note: string) {
  const trades = this.reconciliation.lastRun().parts.find(p => p.part === 'trades');
  expect(trades?.status).to.equal('checked');
  expect(trades?.reason ?? '').to.include(note);
});

Then("the run's portfolio reads:", function (this: TradingWorld, table: DataTable) {
  const { portfolio } = this.reconciliation.lastRun();
  if (!portfolio) throw new Error('the run has no portfolio figures');
  const keys: Record<string, 'cash' | 'unrealizedPnl' | 'equity' | 'marginUsed'> = { cash: 'cash', 'unrealized P&L': 'unrealizedPnl', equity: 'equity', 'margin used': 'marginUsed' };
  for (const row of table.hashes()) {
    const key = keys[row.figure];
    expect(new Decimal(portfolio.ours[key]).eq(cell.figure(row.ours)), `${row.figure} ours: ${portfolio.ours[key]}`).to.equal(true);
    expect(new Decimal(portfolio.broker[key]).eq(cell.figure(row["broker's"])), `${row.figure} the broker's: ${portfolio.broker[key]}`).to.equal(true);
  }
});

Then("the run measured the broker's clock at {int} ms from ours", function (this: TradingWorld, offset: number) {
  expect(this.reconciliation.lastRun().clockOffsetMs).to.equal(offset);
});

Then(/^the clock offset (is|is not) alerted$/, function (this: TradingWorld, is: string) {
  const run = this.reconciliation.lastRun();
  const alerted = this.context.system.alerts().some(a => a.breaker === 'reconciliation' && a.message.startsWith('clock offset'));
  expect(alerted, describe(run)).to.equal(is === 'is');
  expect(run.discrepancies.some(d => d.class === 'clock offset')).to.equal(is === 'is');
});

Then('an alert says {string}', function (this: TradingWorld, text: string) {
  const alerts = this.context.system.alerts().filter(a => a.breaker === 'reconciliation');
  expect(alerts.map(a => a.message).join('\n')).to.include(text);
});

Then('the start-up reconciliation applied {int} fills from the broker\'s history', async function (this: TradingWorld, count: number) {
  const runs = await this.reconciliation.runsOnRecord();
  const startUp = runs.filter(r => r.trigger === 'start-up').at(-1);
  if (!startUp) throw new Error(`no start-up run on record; runs: ${runs.map(r => r.trigger).join(', ')}`);
  expect(startUp.status).to.equal('complete');
  const applied = startUp.discrepancies.filter(d => d.class === 'missing fill' && d.resolution.startsWith("applied from the broker's history"));
  expect(applied.length, describe(startUp)).to.equal(count);
});

// ---- positions and orders as both sides have them ----

Then("the {symbol} position equals the broker's", function (this: TradingWorld, symbol: string) {
  const ours = this.context.system.state.position(symbol);
  const theirs = this.context.broker.positions().find(p => p.symbol === symbol);
  expect(ours.netQuantity.toString()).to.equal((theirs?.netQuantity ?? new Decimal(0)).toString());
  expect(ours.averageEntryPrice.toString()).to.equal((theirs?.averageEntryPrice ?? new Decimal(0)).toString());
  expect(this.context.system.state.account().cash.toString(), 'cash').to.equal(this.context.broker.balance().cash.toString());
});

Then('the system holds no {symbol} position', function (this: TradingWorld, symbol: string) {
  expect(this.context.system.state.position(symbol).netQuantity.isZero()).to.equal(true);
});

Then('the working order is still working here', function (this: TradingWorld) {
  expect(this.trader.order('the working order').status).to.equal('acknowledged');
});

Then('the working order is closed here with the reason {string}', function (this: TradingWorld, reason: string) {
  const order = this.trader.order('the working order');
  expect(order.status).to.equal('cancelled');
  expect(order.reason ?? '').to.include(reason);
});

Then(/^the order (\S+) is (working as external|unknown) here and (open|cancelled) at the broker$/, function (this: TradingWorld, id: string, here: string, there: string) {
  const order = this.context.system.state.orders.get(id);
  if (here === 'unknown') expect(order, `order ${id} here`).to.equal(undefined);
  else {
    expect(order?.status).to.equal('acknowledged');
    expect(order?.reason ?? '').to.include('unknown here');
  }
  expect(this.context.broker.getOrder(id)?.status).to.equal(there);
});

// ---- the queue ----

Then('the number of open reconciliation items is {int}', async function (this: TradingWorld, count: number) {
  await this.context.system.reconciliationIdle();
  expect(this.reconciliation.queue().map(i => `${i.itemId} ${i.discrepancy.class}`)).to.have.length(count);
});

Then('the reconciliation queue holds item {string} for a {string}', function (this: TradingWorld, itemId: string, discrepancyClass: string) {
  expect(this.reconciliation.item(itemId).discrepancy.class).to.equal(discrepancyClass);
});

Then("accepting the broker's value for item {string} would set {symbol} to {figure} at {money}", function (this: TradingWorld, itemId: string, symbol: string, quantity: Decimal, price: Decimal) {
  const change = this.reconciliation.item(itemId).brokerValue.find(c => c.kind === 'position');
  expect(change && change.kind === 'position' ? change.symbol : null).to.equal(symbol);
  if (change?.kind !== 'position') return;
  expect(new Decimal(change.netQuantity).eq(quantity), change.netQuantity).to.equal(true);
  expect(new Decimal(change.averageEntryPrice).eq(price), change.averageEntryPrice).to.equal(true);
});

Then("item {string} holds the evidence of our fills and the broker's", function (this: TradingWorld, itemId: string) {
  const { evidence } = this.reconciliation.item(itemId);
  const [tradeId] = this.reconciliation.tradesOf();
  expect(evidence['our fills'] ?? '', 'our fills').to.include(tradeId);
  expect(evidence["the broker's fills"], "the broker's fills").to.equal('none');
  expect(evidence["the broker's order"] ?? '').to.include('0 of 1 filled');
});

When('a {string} named {string} tries to decide item {string}', function (this: TradingWorld, role: string, actor: string, itemId: string) {
  this.reconciliation.resolve({ itemId, decision: 'accept broker', actor, role, reason: 'looks right to me' });
});

Then('the decision is refused with {string} and the refusal is on record', function (this: TradingWorld, kind: string) {
  expect(this.reconciliation.lastRefusal().kind).to.equal(kind);
  const refused = this.context.system.events.all().filter(e => e.type === 'ReconciliationResolutionRefused');
  expect(refused.map(e => (e.type === 'ReconciliationResolutionRefused' ? e.payload.errorKind : ''))).to.deep.equal([kind]);
  expect(this.reconciliation.queue().length, 'the item stays open').to.equal(1);
});

When(/^the risk officer decides item "([^"]*)": (accept broker|keep ours|adjust \S+), because "([^"]*)"$/, function (this: TradingWorld, itemId: string, decision: string, reason: string) {
  const adjust = decision.startsWith('adjust');
  const cash = adjust ? decision.slice('adjust '.length) : undefined;
  const result = this.reconciliation.resolve({
    itemId,
    decision: adjust ? 'adjust' : (decision as 'accept broker' | 'keep ours'),
    actor: 'risk officer',
    role: 'risk officer',
    reason,
    ...(adjust && cash ? { adjustment: { cash: cell.figure(cash).toString() } } : {}),
  });
  if (result instanceof Error) throw result;
  expect(result.type).to.equal('ReconciliationItemResolved');
});

When(/^a second risk officer decides item "([^"]*)": (accept broker|keep ours), because "([^"]*)"$/, function (this: TradingWorld, itemId: string, decision: string, reason: string) {
  this.reconciliation.resolve({ itemId, decision: decision as 'accept broker' | 'keep ours', actor: 'second risk officer', role: 'risk officer', reason });
});

Then('the second decision is refused with {string} and the refusal is on record', function (this: TradingWorld, kind: string) {
  expect(this.reconciliation.lastRefusal().kind).to.equal(kind);
  const refused = this.context.system.events.all().filter(e => e.type === 'ReconciliationResolutionRefused');
  expect(refused.map(e => (e.type === 'ReconciliationResolutionRefused' ? `${e.payload.actor}: ${e.payload.errorKind}` : ''))).to.deep.equal([`second risk officer: ${kind}`]);
});

Then('item {string} was decided once, by the first decision', function (this: TradingWorld, itemId: string) {
  const resolved = this.context.system.events.all().filter(e => e.type === 'ReconciliationItemResolved' && e.payload.itemId === itemId);
  expect(resolved.map(e => (e.type === 'ReconciliationItemResolved' ? `${e.payload.actor}: ${e.payload.decision}` : ''))).to.deep.equal(['risk officer: accept broker']);
});

Then('the account cash is {figure} USD', function (this: TradingWorld, cash: Decimal) {
  expect(this.context.system.state.account().cash.toString()).to.equal(cash.toString());
});

Then(/^the next reconciliation finds (no discrepancy|the same difference, decided)$/, async function (this: TradingWorld, what: string) {
  const run = await this.reconciliation.run();
  if (what === 'no discrepancy') expect(run.discrepancies, describe(run)).to.deep.equal([]);
  else {
    const drift = this.reconciliation.row(run, 'balance drift');
    expect(drift.resolution).to.include('decided by a risk officer');
    expect(this.reconciliation.queue()).to.have.length(0);
  }
});

// ---- consistency ----

When('the system checks its data consistency', function (this: TradingWorld) {
  this.reconciliation.checkConsistency();
});

Then('the consistency check {string} passed', function (this: TradingWorld, name: string) {
  const check = this.reconciliation.lastConsistency().find(c => c.check === name);
  if (!check) throw new Error(`no consistency check ${name}`);
  expect(check.passed, check.detail).to.equal(true);
  this.context.memory.remember('consistency check', 'last', check);
});

Then('its detail reads {string}', function (this: TradingWorld, text: string) {
  expect(this.context.memory.recall('consistency check', 'last').detail).to.include(text);
});

// ---- a corrupted log ----

When("the operator rebuilds the log from the broker's books", async function (this: TradingWorld) {
  await this.reconciliation.rebuildLog();
});

Then('the corrupted log is kept in quarantine, byte for byte as it was', function (this: TradingWorld) {
  const { quarantinedPath, sha256 } = this.reconciliation.lastRebuild();
  expect(existsSync(quarantinedPath), quarantinedPath).to.equal(true);
  expect(createHash('sha256').update(readFileSync(quarantinedPath)).digest('hex')).to.equal(sha256);
});

Then('the rebuilt log names the quarantined file and the edited event as the first bad one', function (this: TradingWorld) {
  const report = this.reconciliation.lastRebuild();
  const [first] = this.context.system.events.all();
  if (first?.type !== 'EventLogRebuilt') throw new Error(`the rebuilt log starts with ${first?.type}`);
  expect(first.payload.quarantinedPath).to.equal(report.quarantinedPath);
  expect(first.payload.quarantinedSha256).to.equal(report.sha256);
  expect(first.payload.brokenAt).to.equal(report.brokenAt);
  expect(first.payload.problem).to.include('does not match its hash');
  // Every event before the edited fill was readable: the fill is the first bad one.
  expect(first.payload.readableEvents).to.equal(report.brokenAt - 1);
});
