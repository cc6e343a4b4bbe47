import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock, Decimal, TradingError } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import type { CancelAllResult } from '../domain/execution';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';

/** A broker whose cancel-all is answered only when the test says so. */
class SlowKillSwitchGateway extends InProcessBrokerGateway {
  private answer: (() => void) | null = null;

  override cancelAll(): Promise<CancelAllResult> {
    return new Promise(resolve => {
      this.answer = () => void super.cancelAll().then(resolve);
    });
  }

  answerCancelAll(): void {
    assert.ok(this.answer, 'no cancel-all was sent');
    this.answer();
  }
}

function setUp<G extends InProcessBrokerGateway>(gateway: (core: BrokerSimulatorCore) => G) {
  const clock = new VirtualClock();
  const dir = mkdtempSync(join(tmpdir(), 'breaker-idle-'));
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  core.setMark('ETH-PERP', new Decimal(3_000));
  const broker = gateway(core);
  const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker, clock });
  system.fund('100000');
  system.updateMark('ETH-PERP', '3000');
  // A floor close under the mark: the move that trips it is too small for any standard breaker.
  system.breakers.register({ name: 'eth floor', measure: 'mark price of ETH-PERP (USD)', metric: s => s.state.marks.get('ETH-PERP') ?? null, warning: '2980', critical: '2960', direction: 'below', actor: 'risk officer' });
  return {
    system,
    broker,
    dispose: () => {
      system.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** idle() failed in time, as a Timeout that names the work still running. */
function stillRunning(...what: RegExp[]) {
  return (error: unknown) => {
    assert.ok(error instanceof TradingError, String(error));
    assert.equal(error.kind, 'Timeout');
    for (const w of what) assert.match(error.message, w);
    return true;
  };
}

test('idle rejects, naming the response, while a trip\'s response waits for a kill switch the broker never answers; it resolves once the broker answers', async () => {
  const { system, broker, dispose } = setUp(core => new SlowKillSwitchGateway(core));
  try {
    system.updateMark('ETH-PERP', '2950');
    const started = Date.now();
    await assert.rejects(system.breakers.idle(200), stillRunning(/not idle after 200 ms/, /the response to the eth floor trip: the kill switch \(cancel all at broker SIM\)/));
    assert.ok(Date.now() - started < 2_000, 'idle gave up near its bound');

    broker.answerCancelAll();
    await system.breakers.idle();
    const killSwitch = system.events.filter(e => e.type === 'BreakerActionTaken' && e.payload.action === 'broker kill switch');
    assert.deepEqual(killSwitch.map(e => e.type === 'BreakerActionTaken' && e.payload.outcome), ['done']);
  } finally {
    dispose();
  }
});

test('idle rejects naming the order whose one-by-one cancel (the kill switch failed) is never answered, and the response that waits for it', async () => {
  const { system, broker, dispose } = setUp(core => new InProcessBrokerGateway(core));
  try {
    const placed = await system.coordinator.place({ symbol: 'ETH-PERP', side: 'buy', type: 'limit', quantity: '1', limitPrice: '2940' });
    assert.equal(placed.outcome, 'accepted');
    const id = placed.outcome === 'accepted' ? placed.order.clientOrderId : '';
    // The kill switch fails, so the order is cancelled one by one; that cancel is held on its way.
    broker.failNextRequest('unavailable');
    broker.failNextRequest('held');
    system.updateMark('ETH-PERP', '2950');
    await assert.rejects(
      system.breakers.idle(200),
      stillRunning(new RegExp(`the cancel of ${id} \\(eth floor\\)`), /the response to the eth floor trip: the kill switch \(cancel all at broker SIM\), then the cancels of what it did not close/),
    );
    const killSwitch = system.events.filter(e => e.type === 'BreakerActionTaken' && e.payload.action === 'broker kill switch');
    assert.deepEqual(killSwitch.map(e => e.type === 'BreakerActionTaken' && e.payload.code), ['KILL_SWITCH_FAILED']);
  } finally {
    dispose();
  }
});
