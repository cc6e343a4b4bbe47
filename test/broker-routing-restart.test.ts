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

/** Two brokers in process, a log on disk, and a way to open the system on it again (a restart). */
function setUp() {
  const clock = new VirtualClock();
  const dir = mkdtempSync(join(tmpdir(), 'routing-restart-'));
  const cores = ['SIM', 'SIM-B'].map(name => new BrokerSimulatorCore({ name, clock, instruments: DEFAULT_INSTRUMENTS }));
  const [primary, fallback] = cores.map(core => new InProcessBrokerGateway(core));
  for (const core of cores) {
    core.deposit(new Decimal(100_000));
    core.setMark('BTC-PERP', new Decimal(50_000));
    core.setBook('BTC-PERP', 'asks', [{ price: new Decimal(50_000), quantity: new Decimal(100) }]);
  }
  const open = () => TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: primary, fallbackBrokers: [fallback], clock, circuitBreakers: 'disarmed' });
  return { clock, primary, open, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function nextEvent(system: TradingSystem, type: StoredEvent['type']): Promise<StoredEvent> {
  return new Promise(resolve => {
    const unsubscribe = system.ledger.subscribe(event => {
      if (event.type !== type) return;
      unsubscribe();
      resolve(event);
    });
  });
}

const buy = { symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.1' } as const;

test('a restart keeps routing through the fallback it switched to, and the primary stays unhealthy until its cool-down has passed', async () => {
  const { clock, primary, open, dispose } = setUp();
  let system = open();
  try {
    system.fund('100000');
    system.updateMark('BTC-PERP', '50000');
    const switched = nextEvent(system, 'BrokerSwitched');
    for (let i = 0; i < 3; i += 1) {
      primary.failNextRequest('unavailable');
      await system.coordinator.place(buy);
    }
    await switched;
    assert.equal(system.brokers.name, 'SIM-B');

    system.close();
    system = open();
    assert.equal(system.brokers.name, 'SIM-B', 'the restarted system routes where the old one did');
    assert.equal(system.brokers.health.isHealthy('SIM'), false, 'the primary is still unhealthy');
    assert.equal(system.brokers.health.mayProbe('SIM'), false, 'its cool-down runs from when it was marked, not from the restart');
    const placed = await system.coordinator.place(buy);
    assert.equal(placed.outcome, 'accepted');
    const submitted = system.events.find(e => e.type === 'OrderSubmitted' && e.payload.clientOrderId === (placed.outcome === 'accepted' ? placed.order.clientOrderId : ''));
    assert.equal(submitted?.type === 'OrderSubmitted' && submitted.payload.broker, 'SIM-B');

    clock.advance(120_000);
    await system.checkBrokers();
    assert.equal(system.brokers.name, 'SIM', 'after the cool-down the primary is tried and, healthy, taken back');
  } finally {
    system.close();
    dispose();
  }
});
