/**
 * Load test over the wire: many traders placing orders at once through one trading system (signed
 * REST + WebSocket user channel, the event log on a real SQLite file) against the broker simulator
 * in a process of its own, for a bounded time, with a progress line every second. Then the limits
 * are checked against the broker's own books: no position beyond its per-symbol limit, no order
 * beyond the order limits, and the system's positions equal to the broker's.
 *
 *   npm run load                         (30 s, 32 traders; node --expose-gc for the heap figures)
 *   LOAD_SECONDS=10 LOAD_TRADERS=64 npm run load
 *
 * Prints orders a second sustained, place-to-ack and place-to-fill p50 / p99 / p99.9, the heap and
 * RSS over the run, and writes reports/load.json. Exits 1 on any limit breach or book mismatch.
 */
import { ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';
import { Decimal, SeededRandom, SystemClock } from '../domain/shared';
import { NetworkBrokerGateway } from '../domain/execution';
import { TradingSystem } from '../domain/trading-system';
import { LOAD_CREDENTIAL, LoadBrokerCommand, LoadBrokerMessage, LoadMarket } from './load-broker';
import { latencyFigure } from './bench-figures';

const ROOT = join(__dirname, '..');
const SECONDS = positiveNumber('LOAD_SECONDS', 30);
const TRADERS = positiveNumber('LOAD_TRADERS', 32);
const SEED = positiveNumber('SEED', 20261203);
const DEPOSIT = 10_000_000;
/** Each symbol's position limit is a few orders deep, so the traders run into it all the time. */
const MARKETS: readonly (LoadMarket & { positionLimit: number; maxQuantity: string; lot: string; lots: number })[] = [
  { symbol: 'BTC-PERP', mark: '50000', positionLimit: 250_000, maxQuantity: '0.5', lot: '0.01', lots: 40 },
  { symbol: 'ETH-PERP', mark: '3000', positionLimit: 150_000, maxQuantity: '10', lot: '0.1', lots: 60 },
  { symbol: 'SOL-PERP', mark: '150', positionLimit: 100_000, maxQuantity: '200', lot: '1', lots: 150 },
];

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(0);
const ms = (ns: number) => (ns / 1e6).toFixed(2);

interface MemorySample {
  second: number;
  heapUsedMb: number;
  rssMb: number;
}

function startBroker(): Promise<{ child: ChildProcess; url: string; ask(command: LoadBrokerCommand): Promise<LoadBrokerMessage> }> {
  const child = fork(join(__dirname, 'load-broker.ts'), [], {
    execArgv: ['-r', 'ts-node/register'],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', LOAD_MARKETS: JSON.stringify(MARKETS.map(({ symbol, mark }) => ({ symbol, mark }))), LOAD_DEPOSIT: String(DEPOSIT) },
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (command: LoadBrokerCommand) =>
    new Promise<LoadBrokerMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the load broker did not answer ${command.type} within 10 s`)), 10_000);
      child.once('message', (message: LoadBrokerMessage) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.send(command);
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the load broker did not start within 30 s')), 30_000);
    child.once('error', reject);
    child.once('exit', code => reject(new Error(`the load broker exited (${code}) before it was ready`)));
    child.once('message', (message: LoadBrokerMessage) => {
      clearTimeout(timer);
      if (message.type !== 'ready') return reject(new Error(`the load broker said ${message.type} before ready`));
      child.removeAllListeners('exit');
      resolve({ child, url: message.url, ask });
    });
  });
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'trading-load-'));
  const broker = await startBroker();
  const clock = new SystemClock();
  const random = new SeededRandom(SEED);
  const gateway = new NetworkBrokerGateway({ name: 'SIM', baseUrl: broker.url, apiKey: LOAD_CREDENTIAL.key, apiSecret: LOAD_CREDENTIAL.secret, clock, random: () => random.next() });
  await gateway.connect();
  const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock });
  const breaches: string[] = [];
  let marks: NodeJS.Timeout | undefined;
  try {
    system.fund(String(DEPOSIT));
    system.startTradingDay();
    const limits: Record<string, string> = {};
    for (const m of MARKETS) {
      system.updateMark(m.symbol, m.mark);
      limits[`max_position_notional.${m.symbol}`] = String(m.positionLimit);
      limits[`max_order_quantity.${m.symbol}`] = m.maxQuantity;
    }
    system.changeSettings(limits, 'load-test', 'position limits a few orders deep, so the traders run into them');
    // Marks go stale after mark_staleness_seconds; a feed keeps them fresh as a venue's would.
    marks = setInterval(() => {
      for (const m of MARKETS) system.updateMark(m.symbol, m.mark);
    }, 1000);

    const toAck = createHistogram();
    const toFill = createHistogram();
    // A fill may come on the socket before the place call returns: both ends are kept until they meet.
    const placedAt = new Map<string, number>();
    const filledAt = new Map<string, number>();
    const recordFill = (started: number, filled: number) => toFill.record(Math.max(1, Math.round((filled - started) * 1e6)));
    system.ledger.subscribe(event => {
      if (event.type !== 'OrderFilled') return;
      const id = event.payload.clientOrderId;
      const started = placedAt.get(id);
      if (started === undefined) filledAt.set(id, performance.now());
      else {
        placedAt.delete(id);
        recordFill(started, performance.now());
      }
    });

    const counts = { placed: 0, accepted: 0, riskRejected: 0, otherRejected: 0 };
    const rejections = new Map<string, number>();
    const memory: MemorySample[] = [];
    const runStarted = performance.now();
    const deadline = runStarted + SECONDS * 1000;
    let lastPlaced = 0;
    const progress = setInterval(() => {
      const second = Math.round((performance.now() - runStarted) / 1000);
      // Every 5 s the heap is measured after a full collection (npm run load exposes gc): what is live, not what is garbage yet.
      if (second % 5 === 0 && typeof global.gc === 'function') {
        global.gc();
        const after = process.memoryUsage();
        memory.push({ second, heapUsedMb: after.heapUsed / MB, rssMb: after.rss / MB });
      }
      const { heapUsed, rss } = process.memoryUsage();
      process.stderr.write(
        `load ${String(second).padStart(3)}s  orders ${String(counts.placed).padStart(7)}  ${String(counts.placed - lastPlaced).padStart(5)}/s  ` +
          `ack p99 ${ms(toAck.count ? toAck.percentile(99) : 0)} ms  refused by risk ${counts.riskRejected}  heap ${mb(heapUsed)} MB  rss ${mb(rss)} MB\n`,
      );
      lastPlaced = counts.placed;
    }, 1000);

    const trader = async (index: number) => {
      const own = new SeededRandom(SEED + index + 1);
      // Each trader leans one way, so positions run into their limits and risk has to hold them there.
      const lean = index % 2 === 0 ? 0.7 : 0.3;
      while (performance.now() < deadline) {
        const market = MARKETS[Math.floor(own.next() * MARKETS.length)];
        const lots = 1 + Math.floor(own.next() * market.lots);
        const side = own.next() < lean ? 'buy' : 'sell';
        const started = performance.now();
        counts.placed += 1;
        const result = await system.coordinator.place({ symbol: market.symbol, side, type: 'market', quantity: new Decimal(market.lot).times(lots).toString() });
        if (result.outcome === 'accepted') {
          counts.accepted += 1;
          toAck.record(Math.max(1, Math.round((performance.now() - started) * 1e6)));
          const id = result.order.clientOrderId;
          const filled = filledAt.get(id);
          if (filled === undefined) placedAt.set(id, started);
          else {
            filledAt.delete(id);
            recordFill(started, filled);
          }
        } else if (result.outcome === 'rejected' && result.stage === 'risk') {
          counts.riskRejected += 1;
          const code = result.decision.reasonCode;
          rejections.set(code, (rejections.get(code) ?? 0) + 1);
        } else {
          counts.otherRejected += 1;
          const code = `${result.outcome}${'stage' in result ? ` at ${result.stage}` : ''}: ${result.error.kind}`;
          rejections.set(code, (rejections.get(code) ?? 0) + 1);
        }
      }
    };
    await Promise.all(Array.from({ length: TRADERS }, (_, i) => trader(i)));
    const elapsedSeconds = (performance.now() - runStarted) / 1000;
    clearInterval(progress);
    // The last fills are on the socket: wait for them, with a bound.
    const settleBy = performance.now() + 10_000;
    while (system.state.workingOrders().length > 0 && performance.now() < settleBy) await new Promise(resolve => setTimeout(resolve, 20));
    clearInterval(marks);
    marks = undefined;

    const books = await broker.ask({ type: 'books' });
    if (books.type !== 'books') throw new Error(`the load broker answered ${books.type}`);
    for (const m of MARKETS) {
      const atBroker = new Decimal(books.positions.find(p => p.symbol === m.symbol)?.quantity ?? '0');
      const notional = atBroker.abs().times(m.mark);
      if (notional.gt(m.positionLimit)) breaches.push(`${m.symbol}: the broker holds ${atBroker} (${notional} USD) beyond the limit of ${m.positionLimit} USD`);
      const ours = system.state.positions.get(m.symbol)?.netQuantity ?? new Decimal(0);
      if (!ours.eq(atBroker)) breaches.push(`${m.symbol}: the system holds ${ours}, the broker ${atBroker}`);
    }
    for (const order of system.state.orders.values()) {
      const market = MARKETS.find(m => m.symbol === order.symbol);
      if (market && order.filledQuantity.gt(market.maxQuantity)) breaches.push(`${order.clientOrderId}: filled ${order.filledQuantity} beyond the max order quantity ${market.maxQuantity}`);
    }
    if (books.openOrders !== 0) breaches.push(`${books.openOrders} orders still open at the broker after the run`);
    if (system.state.workingOrders().length !== 0) breaches.push(`${system.state.workingOrders().length} orders still working in the system after the run`);

    const rate = counts.accepted / elapsedSeconds;
    // Growth of the live heap from the first sample after warm-up to the last, per minute (null: too short a run to tell).
    const first = memory.find(s => s.second >= 10) ?? memory[0];
    const last = memory.at(-1);
    const heapGrowthMbPerMin = first && last && last.second > first.second ? ((last.heapUsedMb - first.heapUsedMb) / (last.second - first.second)) * 60 : null;
    const lines = [
      `load test over the wire: ${TRADERS} traders for ${elapsedSeconds.toFixed(1)} s, seed ${SEED}, node ${process.version}`,
      `orders placed ${counts.placed}, accepted ${counts.accepted} (${rate.toFixed(0)} a second sustained), refused by risk ${counts.riskRejected}, otherwise refused ${counts.otherRejected}`,
      `refusals by code: ${[...rejections].map(([code, n]) => `${code} ${n}`).join(', ') || 'none'}`,
      `place -> ack   n=${toAck.count}  p50 ${ms(toAck.percentile(50))} ms  p99 ${ms(toAck.percentile(99))} ms  p99.9 ${ms(toAck.percentile(99.9))} ms`,
      `place -> fill  n=${toFill.count}  p50 ${ms(toFill.percentile(50))} ms  p99 ${ms(toFill.percentile(99))} ms  p99.9 ${ms(toFill.percentile(99.9))} ms`,
      memory.length === 0
        ? 'heap: not measured (run with node --expose-gc, as npm run load does)'
        : `live heap after gc ${memory.map(s => `${s.second}s ${s.heapUsedMb.toFixed(0)}`).join(', ')} MB; rss ${memory.map(s => s.rssMb.toFixed(0)).join(', ')} MB; ` +
          `growth ${heapGrowthMbPerMin === null ? 'not measured (run too short)' : `${heapGrowthMbPerMin.toFixed(1)} MB a minute`}`,
      `broker books: ${books.fills} fills, ${books.openOrders} open orders, positions ${books.positions.map(p => `${p.symbol} ${p.quantity}`).join(', ') || 'flat'}`,
      breaches.length === 0 ? 'limit breaches: 0 (positions and order sizes checked against the broker\'s books; the system\'s positions equal the broker\'s)' : `LIMIT BREACHES: ${breaches.length}`,
      ...breaches.map(b => `  ${b}`),
    ];
    for (const line of lines) console.log(line);
    mkdirSync(join(ROOT, 'reports'), { recursive: true });
    writeFileSync(
      join(ROOT, 'reports', 'load.json'),
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          traders: TRADERS,
          seconds: elapsedSeconds,
          seed: SEED,
          counts,
          ordersPerSecond: rate,
          rejections: Object.fromEntries(rejections),
          figures: [latencyFigure('load place -> ack', toAck), latencyFigure('load place -> fill', toFill)],
          memory,
          heapGrowthMbPerMin,
          breaches,
        },
        null,
        2,
      )}\n`,
    );
    console.log('written: reports/load.json');
    return breaches.length === 0 ? 0 : 1;
  } finally {
    if (marks) clearInterval(marks);
    system.close();
    await gateway.close();
    broker.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  code => process.exit(code),
  error => {
    console.error(error);
    process.exit(1);
  },
);
