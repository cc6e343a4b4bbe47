/**
 * Order-flow benchmark, in process: place-to-ack and place-to-fill latency through the whole
 * system (input checks, risk, event store on SQLite, engine, broker simulator, reconciliation),
 * and the cost of one pre-trade risk decision alone. Bounded: a fixed number of orders, then exit.
 *
 * Then the same over the wire (scripts/wire-bench.ts), beside a bare WebSocket echo as the floor,
 * market data over the wire to a risk decision and the market simulator's book updates a second
 * (scripts/bench-market-data.ts), and recovery over the wire with 10,000 and 100,000 fills at the
 * broker (scripts/recovery-bench.ts).
 *
 *   npm run bench            (ORDERS=2000, MARKET_SAMPLES=3000 and RECOVERY_FILLS=10000,100000 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, performance, RecordableHistogram } from 'node:perf_hooks';
import { VirtualClock, Decimal } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';
import { breakerResponse } from './breaker-bench';
import { wireBenchmark } from './wire-bench';
import { recoveryBenchmark } from './recovery-bench';
import { openMarket } from './bench-market';
import { marketDataToDecision, simulatorBookUpdates } from './bench-market-data';

const ORDERS = Number(process.env.ORDERS ?? 2000);
const WARMUP = Math.min(200, Math.floor(ORDERS / 10));

function summary(name: string, h: RecordableHistogram): string {
  const us = (ns: number) => (ns / 1000).toFixed(1).padStart(9);
  return `${name.padEnd(28)} n=${String(h.count).padStart(6)}  p50 ${us(h.percentile(50))} us  p99 ${us(h.percentile(99))} us  p99.9 ${us(h.percentile(99.9))} us  max ${us(h.max)} us`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trading-bench-'));
  const clock = new VirtualClock();
  const broker = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const gateway = new InProcessBrokerGateway(broker);
  const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock });
  try {
    openMarket(system, broker, 1_000_000, 'BTC-PERP', new Decimal(50_000), new Decimal(1_000_000));

    const toAck = createHistogram();
    const toFill = createHistogram();
    const filledAt = new Map<string, number>();
    system.ledger.subscribe(event => {
      if (event.type === 'OrderFilled') filledAt.set(event.payload.clientOrderId, performance.now());
    });

    for (let i = 0; i < ORDERS + WARMUP; i += 1) {
      const started = performance.now();
      const result = await system.coordinator.place({ symbol: 'BTC-PERP', side: i % 2 === 0 ? 'buy' : 'sell', type: 'market', quantity: '0.01' });
      const acked = performance.now();
      if (result.outcome !== 'accepted') throw new Error(`bench order ${i} was not accepted: ${result.outcome}`);
      const id = result.order.clientOrderId;
      while (!filledAt.has(id)) await new Promise(resolve => setImmediate(resolve));
      if (i >= WARMUP) {
        toAck.record(Math.max(1, Math.round((acked - started) * 1e6)));
        toFill.record(Math.max(1, Math.round((filledAt.get(id)! - started) * 1e6)));
      }
    }

    const riskOnly = createHistogram();
    const candidate = { symbol: 'BTC-PERP', side: 'buy' as const, type: 'market' as const, quantity: new Decimal('0.01'), reduceOnly: false };
    for (let i = 0; i < ORDERS; i += 1) {
      const started = performance.now();
      system.risk.evaluate(candidate);
      riskOnly.record(Math.max(1, Math.round((performance.now() - started) * 1e6)));
    }

    console.log(`order-flow benchmark, in process, ${ORDERS} orders after ${WARMUP} warm-up, node ${process.version}`);
    console.log(summary('place -> ack', toAck));
    console.log(summary('place -> fill', toFill));
    console.log(summary('risk decision alone', riskOnly));
    const t = system.telemetry;
    for (const stage of ['risk', 'submit', 'ack', 'fill'] as const) {
      const s = t.latency(stage);
      console.log(`telemetry stage ${stage.padEnd(7)} n=${String(s.count).padStart(6)}  p50 ${s.p50Micros.toFixed(1)} us  p99 ${s.p99Micros.toFixed(1)} us`);
    }
    console.log(`events in the log: ${system.ledger.store.length}`);

  } finally {
    system.close();
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('');
  for (const line of await wireBenchmark(ORDERS)) console.log(line);
  console.log('');
  for (const line of await marketDataToDecision(Number(process.env.MARKET_SAMPLES ?? 3000))) console.log(line);
  for (const line of simulatorBookUpdates(2)) console.log(line);
  console.log('');
  const runs = Number(process.env.BREAKER_RUNS ?? 100);
  for (const transport of ['in-process', 'wire'] as const) {
    const breaker = await breakerResponse(transport, runs, 50);
    console.log(`breaker response (tick -> last of 50 open orders cancelled), ${transport.padEnd(10)} ${breaker.runs} runs: p50 ${breaker.p50Micros.toFixed(1)} us  p99 ${breaker.p99Micros.toFixed(1)} us  max ${breaker.maxMicros.toFixed(1)} us`);
  }
  console.log('');
  const recoveryFills = (process.env.RECOVERY_FILLS ?? '10000,100000').split(',').map(Number);
  for (const line of await recoveryBenchmark(recoveryFills)) console.log(line);
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
