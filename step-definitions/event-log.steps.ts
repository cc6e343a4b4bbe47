import { DataTable, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import type { TradingError } from '../support/sut';
import { OPENING_THE_LOG } from '../support/dsl';
import { TradingWorld } from '../support/world';

/** An error of the system's own, with its kind and cause chain (not a crash of the suite). */
function isTradingError(error: Error): error is TradingError {
  return 'kind' in error && typeof (error as Partial<TradingError>).causeChain === 'function';
}

// ---- what the log holds ----

Then('the event log for the order reads:', async function (this: TradingWorld, table: DataTable) {
  const { events } = await this.trader.reconciledReview();
  expect(events.map(e => e.type)).to.deep.equal(table.hashes().map(row => row.event));
});

Then('the position reconciliation after the fill is in the log', function (this: TradingWorld) {
  const events = this.eventLog.all();
  const fill = events.find(e => e.type === 'OrderFilled');
  const reconciled = events.find(e => e.type === 'PositionReconciled');
  if (fill?.type !== 'OrderFilled' || reconciled?.type !== 'PositionReconciled') throw new Error('fill or reconciliation missing');
  expect(reconciled.seq).to.be.greaterThan(fill.seq);
  expect(reconciled.payload.trigger).to.equal(`fill ${fill.payload.tradeId}`);
  expect(reconciled.payload.status).to.equal('matched');
});

Then('the event log\'s sequence numbers have no gaps and its hash chain verifies', function (this: TradingWorld) {
  const { events, verification } = this.eventLog.integrity();
  expect(events.map(e => e.seq)).to.deep.equal(events.map((_, i) => i + 1));
  for (let i = 1; i < events.length; i += 1) expect(events[i].prevHash).to.equal(events[i - 1].hash);
  expect(verification).to.deep.equal({ ok: true, events: events.length });
});

Then('a projection rebuilt from the event log equals the live state', async function (this: TradingWorld) {
  const { live, rebuilt } = await this.operator.stateRebuiltFromLog();
  expect(rebuilt).to.deep.equal(live);
});

// ---- a log edited behind the system's back ----

When('someone edits the recorded fill price in the event log to {figure}', async function (this: TradingWorld, price: Decimal) {
  await this.operator.editStoredLog({ eventType: 'OrderFilled', field: 'price', value: price.toString() });
});

Then('opening the event log fails with {string}', async function (this: TradingWorld, kind: string) {
  expect(await this.operator.openStoredLog(), 'the edited log opened').to.equal(false);
  const failure = this.context.errors.take(OPENING_THE_LOG);
  if (!isTradingError(failure)) throw new Error(`opening the log failed, but not with an error of the system's: ${failure.name}: ${failure.message}`);
  expect(failure.kind).to.equal(kind);
  expect(failure.message).to.include('content does not match its hash');
});
