/**
 * Order-flow benchmark, in process: place-to-ack and place-to-fill latency through the whole
 * system (input checks, risk, event store on SQLite, engine, broker simulator, reconciliation),
 * and the cost of one pre-trade risk decision alone. Bounded: a fixed number of orders, then exit.
 *
 * Then the same over the wire (scripts/wire-bench.ts), beside a bare WebSocket echo as the floor,
 * market data over the wire to a risk decision and the market simulator's book updates a second
 * (scripts/bench-market-data.ts), and recovery over the wire with 10,000 and 100,000 fills at the
 * broker (scripts/recovery-bench.ts), the event store's append rate beside raw better-sqlite3 inserts
 * (scripts/bench-append.ts), the log opened, verified and replayed at LOG_SIZES events
 * (scripts/bench-log-size.ts), one reconciliation of RECON_FILLS fills and RECON_ORDERS
 * orders against the broker's books with known discrepancies injected (scripts/bench-reconciliation.ts),
 * and the acceptance suite's own time beside cucumber's floor of as many empty scenarios (scripts/bench-suite.ts;
 * SUITE_BENCH=0 skips it).
 *
 * Every figure is also written to reports/bench.json (the front page reads it): date, node, commit
 * and one entry per figure (scripts/bench-figures.ts). The run fails when the reconciliation misses
 * an injected discrepancy or invents one.
 *
 *   npm run bench            (ORDERS=2000, MARKET_SAMPLES=3000, RECOVERY_FILLS=10000,100000, LOG_SIZES=10000,100000,1000000, RECON_FILLS=100000 and RECON_ORDERS=10000 by default)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';
import { VirtualClock, Decimal } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';
import { breakerResponse } from './breaker-bench';
import { PLACE_TO_FILL_TARGET_US, wireBenchmark } from './wire-bench';
import { recoveryBenchmark } from './recovery-bench';
import { logRecoveryBenchmark } from './bench-log-size';
import { suiteBenchmark } from './bench-suite';
import { appendBenchmark } from './bench-append';
import { openMarket } from './bench-market';
import { marketDataToDecision, simulatorBookUpdates } from './bench-market-data';
import { reconciliationBenchmark } from './bench-reconciliation';
import { BenchFigure, BenchSection, latencyFigure, latencyLine } from './bench-figures';

/** The plan's target for the breaker's response, in microseconds. */
const BREAKER_TARGET_US = 50_000;
const BENCH_JSON = join('reports', 'bench.json');

const ORDERS = Number(process.env.ORDERS ?? 2000);
const WARMUP = Math.min(200, Math.floor(ORDERS / 10));

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'not recorded';
  } catch {
    return 'not recorded';
  }
}

function print(section: BenchSection, figures: BenchFigure[]): void {
  for (const line of section.lines) console.log(line);
  figures.push(...section.figures);
}

/** The order flow in process: place -> ack, place -> fill and one risk decision alone. */
async function inProcess(): Promise<BenchSection> {
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

    const figures = [latencyFigure('place -> ack', toAck), latencyFigure('place -> fill', toFill, { target: PLACE_TO_FILL_TARGET_US }), latencyFigure('risk decision alone', riskOnly)];
    const lines = [`order-flow benchmark, in process, ${ORDERS} orders after ${WARMUP} warm-up, node ${process.version}`, ...figures.map(f => latencyLine(f, 28))];
    const t = system.telemetry;
    for (const stage of ['risk', 'submit', 'ack', 'fill'] as const) {
      const s = t.latency(stage);
      lines.push(`telemetry stage ${stage.padEnd(7)} n=${String(s.count).padStart(6)}  p50 ${s.p50Micros.toFixed(1)} us  p99 ${s.p99Micros.toFixed(1)} us`);
    }
    lines.push(`events in the log: ${system.ledger.store.length}`);
    return { figures, lines };
  } finally {
    system.close();
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function breakers(runs: number): Promise<BenchSection> {
  const figures: BenchFigure[] = [];
  const lines: string[] = [];
  for (const transport of ['in-process', 'wire'] as const) {
    const b = await breakerResponse(transport, runs, 50);
    const round = (us: number) => Math.round(us * 10) / 10;
    figures.push({ name: `breaker response, ${transport}`, unit: 'us', n: b.runs, p50: round(b.p50Micros), p99: round(b.p99Micros), p999: round(b.p999Micros), max: round(b.maxMicros), target: BREAKER_TARGET_US });
    lines.push(`breaker response (tick -> last of 50 open orders cancelled), ${transport.padEnd(10)} ${b.runs} runs: p50 ${b.p50Micros.toFixed(1)} us  p99 ${b.p99Micros.toFixed(1)} us  max ${b.maxMicros.toFixed(1)} us`);
  }
  return { figures, lines };
}

async function main(): Promise<void> {
  const figures: BenchFigure[] = [];
  print(await inProcess(), figures);
  console.log('');
  print(await wireBenchmark(ORDERS), figures);
  console.log('');
  print(await marketDataToDecision(Number(process.env.MARKET_SAMPLES ?? 3000)), figures);
  print(simulatorBookUpdates(2), figures);
  console.log('');
  print(await breakers(Number(process.env.BREAKER_RUNS ?? 100)), figures);
  console.log('');
  print(await recoveryBenchmark((process.env.RECOVERY_FILLS ?? '10000,100000').split(',').map(Number)), figures);
  console.log('');
  print(await appendBenchmark(Number(process.env.APPENDS ?? 3000)), figures);
  console.log('');
  print(await logRecoveryBenchmark((process.env.LOG_SIZES ?? '10000,100000,1000000').split(',').map(Number)), figures);
  console.log('');
  const reconciliation = await reconciliationBenchmark(Number(process.env.RECON_FILLS ?? 100_000), Number(process.env.RECON_ORDERS ?? 10_000));
  print(reconciliation, figures);

  if (process.env.SUITE_BENCH !== '0') {
    console.log('');
    print(await suiteBenchmark(), figures);
  }

  mkdirSync(dirname(BENCH_JSON), { recursive: true });
  writeFileSync(BENCH_JSON, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, commit: commit(), figures }, null, 2)}\n`);
  console.log('');
  console.log(`${figures.length} figures written to ${BENCH_JSON}`);
  if (!reconciliation.ok) process.exitCode = 1;
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
