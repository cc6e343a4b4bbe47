/**
 * Heap per order in the steady state: places ORDERS market orders (alternately buy and sell, so
 * the position stays flat) through a whole TradingSystem, forces a full GC every STEP orders after
 * a warm-up, and fits a line through the heap used. Then it frees, one at a time, what the run
 * kept (the broker simulator's own books, the order projections, the engine's timers map...) to
 * say how much of the slope each one is. Bounded: a fixed number of orders, then exit.
 *
 *   node --expose-gc -r ts-node/register scripts/heap-probe.ts            (in process)
 *   TRANSPORT=wire node --expose-gc -r ts-node/register scripts/heap-probe.ts
 *   ORDERS=20000 STEP=2000 WARMUP=2000 ...   (defaults 5,000, 500, 1,000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock, SystemClock, Decimal, SeededRandom } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import { BrokerGateway, NetworkBrokerGateway } from '../domain/execution';
import { JsonLinesLogger } from '../domain/telemetry';
import { BrokerSimulatorCore, BrokerServer, InProcessBrokerGateway } from '../support/simulators/broker';
import { openMarket } from './bench-market';

const ORDERS = Number(process.env.ORDERS ?? 5_000);
const WARMUP = Number(process.env.WARMUP ?? 1_000);
const STEP = Number(process.env.STEP ?? 500);
const TRANSPORT = process.env.TRANSPORT ?? 'in-process';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (see the header of scripts/heap-probe.ts)');
  process.exit(2);
}

function heapUsed(): number {
  // Two passes: the first may only queue finalizers (SQLite statements, sockets) that the second frees.
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** Least-squares slope of bytes over orders, in bytes per 1,000 orders. */
function slopePer1000(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return (num / den) * 1000;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Every Map, Set and array field of an object, by name, for the what-grows table. */
function collections(owner: object): Array<[string, { size: number; clear: () => void }]> {
  const out: Array<[string, { size: number; clear: () => void }]> = [];
  for (const [name, value] of Object.entries(owner)) {
    if (value instanceof Map || value instanceof Set) out.push([name, { size: value.size, clear: () => value.clear() }]);
    else if (Array.isArray(value)) out.push([name, { size: value.length, clear: () => value.splice(0) }]);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trading-heap-probe-'));
  const clock = TRANSPORT === 'wire' ? new SystemClock() : new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  let server: BrokerServer | null = null;
  let gateway: BrokerGateway;
  if (TRANSPORT === 'wire') {
    server = new BrokerServer({ core, clock, credentials: [{ key: 'probe-key', secret: 'probe-secret', permissions: ['read', 'trade'] }], rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 } });
    await server.start();
    const random = new SeededRandom(20260105);
    const wire = new NetworkBrokerGateway({ name: 'SIM', baseUrl: server.url, apiKey: 'probe-key', apiSecret: 'probe-secret', clock, random: () => random.next() });
    await wire.connect();
    gateway = wire;
  } else {
    gateway = new InProcessBrokerGateway(core);
  }
  // A logger that writes nowhere but does all the work of one: redaction and JSON of every line.
  let logBytes = 0;
  const logger = new JsonLinesLogger(line => (logBytes += line.length), clock);
  const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock, logger });
  const filled = new Set<string>();
  const unsubscribe = system.ledger.subscribe(event => {
    if (event.type === 'OrderFilled') filled.add(event.payload.clientOrderId);
  });
  try {
    openMarket(system, core, 1_000_000_000, 'BTC-PERP', new Decimal(50_000), new Decimal(1_000_000_000));
    const points: Array<[number, number]> = [];
    let before = 0;
    for (let i = 0; i < WARMUP + ORDERS; i += 1) {
      const result = await system.coordinator.place({ symbol: 'BTC-PERP', side: i % 2 === 0 ? 'buy' : 'sell', type: 'market', quantity: '0.01' });
      if (result.outcome !== 'accepted') throw new Error(`probe order ${i} was not accepted: ${result.outcome} ${'error' in result ? result.error.message : ''}`);
      const id = result.order.clientOrderId;
      // The fill comes as an event (at once in process, from the socket on the wire): wait for it, not for a timer.
      while (!filled.has(id)) await new Promise(resolve => setImmediate(resolve));
      filled.delete(id);
      // Business time passes (10 ms an order) and the mark is refreshed each second, as on a live day.
      if (clock instanceof VirtualClock) clock.advance(10);
      if (i % 100 === 99) system.updateMark('BTC-PERP', new Decimal(50_000));
      const done = i + 1 - WARMUP;
      if (done === 0) before = heapUsed();
      if (done >= 0 && done % STEP === 0) points.push([done, heapUsed()]);
    }
    const after = points[points.length - 1][1];
    const slope = slopePer1000(points);
    console.log(`heap probe, ${TRANSPORT}, ${ORDERS} orders after ${WARMUP} warm-up, GC every ${STEP}, node ${process.version}`);
    console.log(`  heap used after warm-up ${kb(before)}, after the run ${kb(after)}`);
    console.log(`  slope: ${kb(slope)} per 1,000 orders (whole process: trading system and broker simulator)`);
    console.log(`  events in the log: ${system.ledger.store.length}, log lines written: ${(logBytes / 1024 / 1024).toFixed(1)} MB`);

    // What the slope is made of: free one holder at a time and see what the heap gives back.
    const holders: Array<[string, object]> = [
      ['broker simulator (core)', core],
      ...(server ? ([['broker server', server]] as Array<[string, object]>) : []),
      ['system', system],
      ['projection', system.state],
      // Every other part the system holds (engine, coordinator, breakers, telemetry, reconciler, router...).
      ...Object.entries(system).filter((e): e is [string, object] => typeof e[1] === 'object' && e[1] !== null && e[1] !== system.state && !(e[1] instanceof Map) && !(e[1] instanceof Set) && !Array.isArray(e[1])),
    ];
    console.log('  retained by (freed one after another; per 1,000 orders of the run):');
    for (const [owner, object] of holders) {
      for (const [name, collection] of collections(object)) {
        if (collection.size === 0) continue;
        const heldBefore = heapUsed();
        collection.clear();
        const freed = heldBefore - heapUsed();
        console.log(`    ${`${owner}.${name}`.padEnd(44)} ${String(collection.size).padStart(7)} entries  ${kb(freed).padStart(10)}  ${kb((freed / (WARMUP + ORDERS)) * 1000).padStart(10)} / 1,000`);
      }
    }
    console.log(`  left after freeing all of the above: ${kb(heapUsed())}`);
  } finally {
    unsubscribe();
    system.close();
    await gateway.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
