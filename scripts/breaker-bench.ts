/**
 * Breaker response benchmark: from the mark-price tick that trips a critical breaker to the last
 * open order cancelled (here, in the system's books, after the broker confirmed it). The measurement
 * takes a system and its gateway, so the same function serves in process and over the wire.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';
import { VirtualClock, Decimal, SeededRandom } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { BrokerGateway, NetworkBrokerGateway } from '../domain/execution';
import { TradingSystem } from '../domain/trading-system';
import { BrokerSimulatorCore, InProcessBrokerGateway, BrokerServer } from '../support/simulators/broker';
import { openMarket } from './bench-market';

export interface BreakerResponseOptions {
  readonly symbol: string;
  readonly openOrders: number;
  /** The mark before the tick; resting buys go in 4 % below it (inside the price collar), the tick drops it by 6 % (price move breaker, 5 %). */
  readonly mark: Decimal;
}

/**
 * One measurement, in nanoseconds. The system must be funded and marked, its breakers armed with a
 * price move breaker at its default 5 %, and the gateway connected; no order may be working yet.
 */
export async function measureBreakerResponse(system: TradingSystem, gateway: BrokerGateway, options: BreakerResponseOptions): Promise<number> {
  const price = options.mark.times('0.96').toDecimalPlaces(0);
  const placed = await Promise.all(
    Array.from({ length: options.openOrders }, () => system.coordinator.place({ symbol: options.symbol, side: 'buy', type: 'limit', quantity: '0.01', limitPrice: price.toString() })),
  );
  const ids = placed.map(r => {
    if (r.outcome !== 'accepted') throw new Error(`bench order not accepted: ${r.outcome}: ${r.error.message}`);
    return r.order.clientOrderId;
  });
  const open = () => ids.filter(id => system.state.order(id).status !== 'cancelled').length;
  const allCancelled = new Promise<void>(resolve => {
    const unsubscribe = system.ledger.subscribe(() => {
      if (open() === 0) {
        unsubscribe();
        resolve();
      }
    });
  });
  const started = performance.now();
  system.updateMark(options.symbol, options.mark.times('0.94'));
  await allCancelled;
  const elapsed = performance.now() - started;
  const stillOpen = (await gateway.openOrders()).length;
  if (stillOpen !== 0) throw new Error(`${stillOpen} orders still open at the broker after the breaker's response`);
  await system.breakers.idle();
  return Math.max(1, Math.round(elapsed * 1e6));
}

export type BenchTransport = 'in-process' | 'wire';

/** A broker for one run: the simulator core, reached in process or over a loopback server. */
async function openBroker(transport: BenchTransport, clock: VirtualClock): Promise<{ core: BrokerSimulatorCore; gateway: BrokerGateway; close(): Promise<void> }> {
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  if (transport === 'in-process') {
    const gateway = new InProcessBrokerGateway(core);
    return { core, gateway, close: () => gateway.close() };
  }
  const server = new BrokerServer({ core, clock, credentials: [{ key: 'bench-key', secret: 'bench-secret', permissions: ['read', 'trade'] }], rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 } });
  await server.start();
  const random = new SeededRandom(20261125);
  const gateway = new NetworkBrokerGateway({ name: 'SIM', baseUrl: server.url, apiKey: 'bench-key', apiSecret: 'bench-secret', clock, random: () => random.next() });
  await gateway.connect();
  return {
    core,
    gateway,
    close: async () => {
      await gateway.close();
      await server.stop();
    },
  };
}

/** Fresh system, simulator and gateway per run; the p50 and p99 of the runs. */
export async function breakerResponse(transport: BenchTransport, runs: number, openOrders = 50): Promise<{ runs: number; p50Micros: number; p99Micros: number; p999Micros: number; maxMicros: number }> {
  const histogram = createHistogram();
  for (let run = 0; run < runs; run += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'breaker-bench-'));
    const clock = new VirtualClock();
    const { core: broker, gateway, close } = await openBroker(transport, clock);
    const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock, circuitBreakers: 'armed' });
    try {
      const mark = new Decimal(50_000);
      openMarket(system, broker, 1_000_000, 'BTC-PERP', mark, new Decimal(1_000));
      histogram.record(await measureBreakerResponse(system, gateway, { symbol: 'BTC-PERP', openOrders, mark }));
    } finally {
      system.close();
      await close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { runs, p50Micros: histogram.percentile(50) / 1000, p99Micros: histogram.percentile(99) / 1000, p999Micros: histogram.percentile(99.9) / 1000, maxMicros: histogram.max / 1000 };
}
