import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock, Decimal } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import { StoredEvent } from '../domain/state';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';

function nextEvent(system: TradingSystem, matches: (event: StoredEvent) => boolean, what: string, timeoutMs = 2000): Promise<StoredEvent> {
  const seen = system.events.find(matches);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = system.ledger.subscribe(event => {
      if (!matches(event)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(event);
    });
  });
}

const ofOrder = (id: string, type: StoredEvent['type']) => (e: StoredEvent) => e.type === type && 'clientOrderId' in e.payload && e.payload.clientOrderId === id;

/**
 * A funded system with an "eth floor" breaker; an order's request is held on its way to the broker,
 * so the order is in flight when the mark falls through the floor and the breaker trips.
 */
async function tripWithAnOrderInFlight(system: TradingSystem, gateway: InProcessBrokerGateway): Promise<{ placing: ReturnType<TradingSystem['coordinator']['place']>; id: string }> {
  system.fund('100000');
  system.updateMark('ETH-PERP', '3000');
  system.breakers.register({ name: 'eth floor', measure: 'mark price of ETH-PERP (USD)', metric: snapshot => snapshot.state.marks.get('ETH-PERP') ?? null, warning: '2500', critical: '2000', direction: 'below', actor: 'risk officer' });
  gateway.failNextOrderRequest('held');
  const placing = system.coordinator.place({ symbol: 'ETH-PERP', side: 'buy', type: 'limit', quantity: '1', limitPrice: '2900' });
  const submitted = await nextEvent(system, e => e.type === 'OrderSubmitted', 'the order request');
  const id = (submitted.payload as { clientOrderId: string }).clientOrderId;
  system.updateMark('ETH-PERP', '1900');
  await system.breakers.idle();
  return { placing, id };
}

/** A broker funded and marked at ETH-PERP 3,000 that outlives the systems opened on one log in a fresh folder. */
function restartRig(prefix: string): { dir: string; core: BrokerSimulatorCore; open(gateway: InProcessBrokerGateway): TradingSystem } {
  const clock = new VirtualClock();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  core.setMark('ETH-PERP', new Decimal(3_000));
  return { dir, core, open: gateway => TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock }) };
}

test('an order a trip marked for cancelling on acknowledgement, acknowledged just before a crash, is cancelled by the breaker when the system starts again', async () => {
  const { dir, core, open } = restartRig('breaker-restart-');
  const gateway = new InProcessBrokerGateway(core);
  let system = open(gateway);
  try {
    const { placing, id } = await tripWithAnOrderInFlight(system, gateway);
    const deferred = system.events.find(e => e.type === 'BreakerActionTaken' && e.payload.action === 'cancel on acknowledgement');
    assert.equal(deferred?.type === 'BreakerActionTaken' && deferred.payload.clientOrderId, id);

    // The request arrives and the broker acknowledges it; the process dies before the breaker's cancel goes out.
    gateway.failNextRequest('no-answer');
    assert.deepEqual(gateway.releaseHeldRequests(), { delivered: 1, refused: 0 });
    await nextEvent(system, ofOrder(id, 'OrderAcknowledged'), 'the acknowledgement');
    system.close();
    void placing.catch(() => undefined);
    assert.deepEqual(core.openOrders().map(o => o.clientOrderId), [id]);

    system = open(new InProcessBrokerGateway(core));
    const beforeTheCrash = system.events.filter(e => e.seq <= system.eventsReplayed && 'clientOrderId' in e.payload && e.payload.clientOrderId === id);
    assert.deepEqual(beforeTheCrash.filter(e => e.type.startsWith('OrderCancel')), [], 'no cancel was recorded before the crash');
    assert.equal(system.state.order(id).status, 'acknowledged');
    await system.recover();
    const cancelled = await nextEvent(system, ofOrder(id, 'OrderCancelled'), `the cancel of ${id}`);
    await system.breakers.idle();
    const requested = system.events.find(ofOrder(id, 'OrderCancelRequested'));
    assert.ok(requested?.type === 'OrderCancelRequested' && requested.payload.reason.includes('eth floor'), JSON.stringify(requested));
    assert.ok(cancelled.seq > system.eventsReplayed);
    assert.equal(system.state.order(id).status, 'cancelled');
    assert.deepEqual(core.openOrders(), []);
  } finally {
    system.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an order a trip marked for cancelling on acknowledgement is cancelled once when the broker acknowledges it, and the board then no longer holds it', async () => {
  const clock = new VirtualClock();
  const dir = mkdtempSync(join(tmpdir(), 'breaker-deferred-'));
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  core.setMark('ETH-PERP', new Decimal(3_000));
  const gateway = new InProcessBrokerGateway(core);
  const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock });
  try {
    const { placing, id } = await tripWithAnOrderInFlight(system, gateway);
    assert.equal(system.state.breakers.cancelOnAcknowledgement.get(id), 'eth floor');

    assert.deepEqual(gateway.releaseHeldRequests(), { delivered: 1, refused: 0 });
    await nextEvent(system, ofOrder(id, 'OrderCancelled'), `the cancel of ${id}`);
    await system.breakers.idle();
    void placing.catch(() => undefined);
    assert.equal(system.events.filter(ofOrder(id, 'OrderCancelRequested')).length, 1);
    const cancels = system.events.filter(e => e.type === 'BreakerActionTaken' && e.payload.action === 'cancel order' && e.payload.clientOrderId === id);
    assert.deepEqual(cancels.map(e => e.type === 'BreakerActionTaken' && e.payload.outcome), ['done']);
    assert.equal(system.state.breakers.cancelOnAcknowledgement.has(id), false);
    assert.deepEqual(core.openOrders(), []);
  } finally {
    system.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a trip whose kill switch had no answer on record when the system died is pulled again when it starts, and the orders it was to close are cancelled here and at the broker', async () => {
  const { dir, core, open } = restartRig('breaker-restart-kill-');
  const gateway = new InProcessBrokerGateway(core);
  let system = open(gateway);
  try {
    system.fund('100000');
    system.updateMark('ETH-PERP', '3000');
    system.breakers.register({ name: 'eth floor', measure: 'mark price of ETH-PERP (USD)', metric: snapshot => snapshot.state.marks.get('ETH-PERP') ?? null, warning: '2500', critical: '2000', direction: 'below', actor: 'risk officer' });
    const placed = await system.coordinator.place({ symbol: 'ETH-PERP', side: 'buy', type: 'limit', quantity: '1', limitPrice: '2900' });
    assert.equal(placed.outcome, 'accepted');
    const id = placed.outcome === 'accepted' ? placed.order.clientOrderId : '';
    await nextEvent(system, ofOrder(id, 'OrderAcknowledged'), 'the acknowledgement');
    // The kill switch's request never gets an answer; the process dies while it waits.
    gateway.failNextRequest('no-answer');
    system.updateMark('ETH-PERP', '1900');
    await nextEvent(system, ofOrder(id, 'OrderCancelRequested'), 'the order marked for the kill switch');
    system.close();
    assert.deepEqual(core.openOrders().map(o => o.clientOrderId), [id], 'the order is still open at the broker');

    system = open(new InProcessBrokerGateway(core));
    const cancelled = await nextEvent(system, ofOrder(id, 'OrderCancelled'), `the cancel of ${id}`);
    await system.breakers.idle();
    assert.ok(cancelled.seq > system.eventsReplayed, 'cancelled after the restart');
    assert.deepEqual(core.openOrders(), [], 'nothing open at the broker');
    assert.equal(system.state.order(id).status, 'cancelled');
    const pulls = system.events.filter(e => e.type === 'BreakerActionTaken' && e.payload.action === 'broker kill switch');
    assert.deepEqual(pulls.map(e => e.type === 'BreakerActionTaken' && [e.payload.outcome, e.seq > system.eventsReplayed]), [['done', true]]);

    // Started again, the log now holds the kill switch's outcome: it is not pulled a third time.
    system.close();
    system = open(new InProcessBrokerGateway(core));
    await system.breakers.idle();
    assert.equal(system.events.filter(e => e.type === 'BreakerActionTaken' && e.payload.action === 'broker kill switch').length, 1);
  } finally {
    system.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
