import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock, ERROR_KIND_MEANINGS, TradingError, asTradingError, describeError, raisedIn } from '../domain/shared';
import { BrokerErrorLog, API_PREFIX } from '../domain/execution';
import { SqliteEventStore, TradingLedger, StateProjection } from '../domain/state';
import { InstrumentRegistry } from '../domain/model';
import { Telemetry } from '../domain/telemetry';
import { WireRecoveryRig } from '../support/wire-recovery-rig';
import { fundedSystem } from './in-process-system';

function ledger(t: { after: (fn: () => void) => void }): { ledger: TradingLedger; telemetry: Telemetry } {
  const dir = mkdtempSync(join(tmpdir(), 'error-origin-'));
  const state = new StateProjection(new InstrumentRegistry());
  const store = SqliteEventStore.openReplaying(join(dir, 'events.sqlite'), new VirtualClock(), event => state.replay([event]));
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ledger: new TradingLedger(store, state), telemetry: new Telemetry() };
}

/** A refusal as the gateway raises it, passed out through the engine and the coordinator. */
function refusalThroughTheLayers(): TradingError {
  const atGateway = raisedIn(new TradingError('BrokerRejected', 'broker SIM answered submit with HTTP 400', { httpStatus: 400, reasonCode: 'INSUFFICIENT_MARGIN' }), 'broker gateway');
  return asTradingError(asTradingError(atGateway, 'execution engine'), 'execution coordinator');
}

test('an error says the layers it passed, outermost first, and where it came from, without reading its message', () => {
  const error = refusalThroughTheLayers();
  assert.deepEqual(error.layers(), ['execution coordinator', 'execution engine', 'broker gateway']);
  assert.equal(error.origin(), 'broker gateway');
  assert.deepEqual(error.causeChain(), ['BrokerRejected', 'BrokerRejected', 'BrokerRejected']);
  assert.equal(error.message, 'coordinator: execution engine: broker SIM answered submit with HTTP 400', 'the message stays readable');
});

test('an error no layer said anything about has no origin on record; naming the layer where it was raised keeps its kind, details and cause', () => {
  const socket = new Error('connect ECONNREFUSED');
  const bare = new TradingError('BrokerUnavailable', 'broker SIM is unavailable', { requestSent: false }, { cause: socket });
  assert.deepEqual(bare.layers(), []);
  assert.equal(bare.origin(), undefined);
  const stamped = raisedIn(bare, 'broker gateway');
  assert.ok(stamped instanceof TradingError);
  assert.deepEqual([stamped.kind, stamped.message, stamped.details, stamped.cause], [bare.kind, bare.message, bare.details, socket]);
  assert.deepEqual(stamped.layers(), ['broker gateway']);
  assert.equal(raisedIn(stamped, 'execution engine'), stamped, 'a layer already on record is kept');
  assert.equal(raisedIn(socket, 'broker gateway'), socket, 'only a typed error carries a layer');
});

test('the path of a recorded broker error follows the layers the error passed, then the layers that acted on it', t => {
  const { ledger: log, telemetry } = ledger(t);
  const errors = new BrokerErrorLog({ ledger: log, telemetry });
  // Accounts given in another order than the error travelled: the order on record is the error's own.
  const event = errors.record(refusalThroughTheLayers(), {
    broker: 'SIM',
    operation: 'submit',
    clientOrderId: 'CO-000001',
    saw: { 'risk manager': 'released the reservation', 'execution coordinator': 'place returned rejected', 'execution engine': 'recorded as rejected' },
  });
  assert.equal(event.type, 'BrokerErrorRecorded');
  if (event.type !== 'BrokerErrorRecorded') return;
  assert.deepEqual(event.payload.path, [
    { layer: 'broker gateway', saw: 'BrokerRejected, HTTP 400, INSUFFICIENT_MARGIN' },
    { layer: 'execution engine', saw: 'recorded as rejected' },
    { layer: 'execution coordinator', saw: 'place returned rejected' },
    { layer: 'risk manager', saw: 'released the reservation' },
  ]);
  assert.deepEqual(event.payload.causeChain, ['BrokerRejected', 'BrokerRejected', 'BrokerRejected']);
  assert.equal(telemetry.count('broker.errors.BrokerRejected'), 1);
});

test('a layer the error passed without saying what it saw is on the path all the same', t => {
  const { ledger: log, telemetry } = ledger(t);
  const error = asTradingError(raisedIn(new TradingError('Timeout', 'no answer', { requestSent: true }), 'broker gateway'), 'execution engine');
  const event = new BrokerErrorLog({ ledger: log, telemetry }).record(error, { broker: 'SIM', operation: 'positions', saw: { 'position reconciler': 'check skipped' } });
  assert.ok(event.type === 'BrokerErrorRecorded');
  assert.deepEqual(event.payload.path.map(step => step.layer), ['broker gateway', 'execution engine', 'position reconciler']);
  assert.equal(event.payload.path[1].saw, 'passed it on');
});

test('an order the broker cannot take fails with an error whose record says it came from the broker gateway through the engine and the coordinator', async t => {
  const { gateway, system } = fundedSystem(t);
  system.updateMark('BTC-PERP', '50000');
  gateway.failNextRequest('unavailable');
  const result = await system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.1' });
  assert.equal(result.outcome, 'failed');
  if (result.outcome !== 'failed') return;
  assert.deepEqual(result.error.layers(), ['execution coordinator', 'execution engine', 'broker gateway']);
  assert.equal(result.error.origin(), 'broker gateway');
  const recorded = system.events.filter(e => e.type === 'BrokerErrorRecorded');
  assert.deepEqual(recorded.map(e => e.type === 'BrokerErrorRecorded' && e.payload.path.map(step => step.layer)), [['broker gateway', 'execution engine', 'execution coordinator', 'risk manager']]);
});

test('over the wire, a refusal the broker answers with HTTP 400 has the same origin on record as in process', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'error-origin-wire-'));
  const rig = new WireRecoveryRig({ dir });
  t.after(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await rig.open();
  rig.server.failNextRequests(1, { status: 400, code: 'INSUFFICIENT_MARGIN', message: 'not enough margin' }, { method: 'POST', pathPrefix: `${API_PREFIX}/orders` });
  const result = await rig.system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.1' });
  assert.equal(result.outcome, 'rejected');
  if (result.outcome !== 'rejected') return;
  assert.deepEqual(result.error.layers(), ['execution coordinator', 'execution engine', 'broker gateway']);
  const recorded = rig.system.events.filter(e => e.type === 'BrokerErrorRecorded');
  assert.deepEqual(recorded.map(e => e.type === 'BrokerErrorRecorded' && e.payload.path.map(step => step.layer)), [['broker gateway', 'execution engine', 'execution coordinator', 'risk manager']]);
});

test('an error from outside the system is described as Unexpected, its own name kept in the message; every kind has a meaning', () => {
  assert.deepEqual(describeError(new TypeError('x is undefined')), { kind: 'Unexpected', message: 'TypeError: x is undefined' });
  assert.deepEqual(describeError(new Error('socket hang up')), { kind: 'Unexpected', message: 'socket hang up' });
  assert.deepEqual(describeError('a string'), { kind: 'Unexpected', message: 'a string' });
  for (const [kind, meaning] of Object.entries(ERROR_KIND_MEANINGS)) assert.ok(meaning.length > 10, kind);
});
