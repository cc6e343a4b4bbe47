import { DataTable, Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../support/sut';
import { cell } from '../support/parameter-types';
import { TradingWorld } from '../support/world';

// ---- the error on record ----

Then('the error is recorded as {string} with HTTP status {int}', function (this: TradingWorld, kind: string, status: number) {
  const error = this.brokerErrors.latest();
  expect(error.payload.errorKind).to.equal(kind);
  expect(error.payload.httpStatus).to.equal(status);
});

Then('the error is recorded as {string}', async function (this: TradingWorld, kind: string) {
  const error = await this.brokerErrors.recorded(kind);
  expect(error.payload.path[0].layer).to.equal('broker gateway');
});

Then('the order is in flight after a {string} error', function (this: TradingWorld, kind: string) {
  const { placement, statusNow } = this.brokerErrors.lastFailedPlacement();
  expect(placement.outcome).to.equal('in_flight');
  expect(placement.error.causeChain()).to.include(kind);
  expect(statusNow).to.equal('submitted');
});

// ---- what the gateway did about it ----

Then('the gateway did not retry the {string}', function (this: TradingWorld, operation: string) {
  expect(this.brokerErrors.retries(operation)).to.deep.equal([]);
});

Then('the gateway retried the {string} after {string}, waiting at least {figure} ms as Retry-After asked', function (this: TradingWorld, operation: string, kind: string, ms: Decimal) {
  const retries = this.brokerErrors.retries(operation, kind);
  expect(retries, 'retries').to.not.have.length(0);
  for (const retry of retries) expect(retry.payload.delayMs).to.be.at.least(ms.toNumber());
});

Then('the gateway retried the {string} {int} times, waiting at least {figure} ms each as Retry-After asked', function (this: TradingWorld, operation: string, times: number, ms: Decimal) {
  const retries = this.brokerErrors.retries(operation);
  expect(retries.map(r => r.payload.attempt)).to.deep.equal(Array.from({ length: times }, (_, i) => i + 1));
  for (const retry of retries) expect(retry.payload.delayMs).to.be.at.least(ms.toNumber());
});

// ---- the path through the layers ----

Then('the error\'s path through the layers reads:', function (this: TradingWorld, table: DataTable) {
  const path = this.brokerErrors.latest().payload.path;
  const expected = table.hashes();
  expect(path.map(p => p.layer)).to.deep.equal(expected.map(r => r.layer));
  expected.forEach((row, i) => expect(path[i].saw, row.layer).to.include(row.saw));
});

Then('the cause chain is {string} from the coordinator down to the broker gateway', function (this: TradingWorld, kind: string) {
  const { placement, recorded } = this.brokerErrors.forLastOrder();
  expect(placement.error.causeChain(), 'the error the trader was given').to.deep.equal([kind, kind, kind]);
  expect(placement.error.layers(), 'the layers it passed, outermost first').to.deep.equal(['execution coordinator', 'execution engine', 'broker gateway']);
  expect(recorded.payload.causeChain, 'the error on record').to.deep.equal([kind, kind, kind]);
  // Born in the gateway's submit, from the broker's HTTP answer, and passed on by the engine and the coordinator.
  expect(recorded.payload, 'where the error was born').to.include({ broker: 'SIM', operation: 'submit' });
  expect(recorded.payload.httpStatus, 'the broker answered over HTTP').to.be.a('number');
  expect(recorded.payload.path.map(p => p.layer).slice(0, 3)).to.deep.equal(['broker gateway', 'execution engine', 'execution coordinator']);
});

Then('the error\'s path ends at the {string}', function (this: TradingWorld, layer: string) {
  const path = this.brokerErrors.latest().payload.path;
  expect(path[path.length - 1].layer).to.equal(layer);
});

// ---- telemetry and the event log agree ----

Then('telemetry and the event log count the same broker errors:', async function (this: TradingWorld, table: DataTable) {
  const { events, counters, recorded, countedInAll } = await this.brokerErrors.counted();
  for (const row of table.hashes()) {
    const count = cell.figure(row.count).toNumber();
    expect(events[row.kind] ?? 0, `${row.kind} events`).to.equal(count);
    expect(counters[row.kind] ?? 0, `${row.kind} counter`).to.equal(count);
  }
  expect(countedInAll, 'every broker error counted').to.equal(recorded);
});

Then('every broker error event names the broker, the operation, the kind and its cause chain', function (this: TradingWorld) {
  const now = this.brokerErrors.now();
  const recorded = this.brokerErrors.all();
  expect(recorded, 'broker errors on record').to.not.be.empty;
  for (const event of recorded) {
    expect(event.payload.broker).to.equal('SIM');
    expect(event.payload.operation).to.be.a('string').and.not.empty;
    expect(event.payload.causeChain[event.payload.causeChain.length - 1]).to.equal(event.payload.errorKind);
    expect(event.at).to.equal(now);
  }
});

Then('the log holds {int} broker error(s) of kind {string} with the code {string}', function (this: TradingWorld, count: number, kind: string, code: string) {
  expect(this.brokerErrors.ofKind(kind, code)).to.have.length(count);
});
