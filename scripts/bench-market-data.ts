/**
 * Market data figures: a venue mark over the public market data channel (loopback WebSocket) to
 * the first risk decision that reads it, and how many book updates a second the market simulator
 * publishes on its virtual clock, alone and with one listener.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, performance } from 'node:perf_hooks';
import { SystemClock, VirtualClock, Decimal, SeededRandom } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import { NetworkMarketDataFeed, marketDataUrl } from '../domain/market';
import type { RiskDecision } from '../domain/risk';
import type { StoredEvent } from '../domain/state';
import { BrokerSimulatorCore } from '../support/simulators/broker';
import { MarketSimulator } from '../support/simulators/market';
import { benchBroker, benchGateway } from './wire-bench';
import { BenchSection, latencyFigure, latencyLine, valueFigure } from './bench-figures';

const SYMBOL = 'BTC-PERP';
/** Two marks one BTC-PERP tick (0.5) apart, inside a book that never moves: each sample is one mark message and nothing else. */
const MARKS = [new Decimal('50000'), new Decimal('50000.5')] as const;
const BOOK = { bids: [{ price: new Decimal('50000'), quantity: new Decimal(1000) }], asks: [{ price: new Decimal('50000.5'), quantity: new Decimal(1000) }] };
const QUANTITY = new Decimal('0.01');
/** A mark that has not arrived by then is a broken channel, not a slow one. */
const SAMPLE_TIMEOUT_MS = 5000;
/** Sampling stops here even short of the count asked for: each mark waits on an fsync, and a loaded machine must not stretch the run. */
const SAMPLING_BUDGET_MS = 8000;

interface Decided {
  readonly decision: RiskDecision;
  readonly atMs: number;
}

/**
 * Waits for the MarkPriceUpdated of this price and decides in the same turn as it is recorded:
 * the earliest moment the system can act on the mark.
 */
function decisionOnMark(system: TradingSystem, price: Decimal, decide: () => RiskDecision): Promise<Decided> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no MarkPriceUpdated for ${SYMBOL} at ${price} within ${SAMPLE_TIMEOUT_MS} ms`));
    }, SAMPLE_TIMEOUT_MS);
    const unsubscribe = system.ledger.subscribe((event: StoredEvent) => {
      if (event.type !== 'MarkPriceUpdated' || event.payload.symbol !== SYMBOL || !new Decimal(event.payload.price).eq(price)) return;
      const decision = decide();
      const atMs = performance.now();
      clearTimeout(timer);
      unsubscribe();
      resolve({ decision, atMs });
    });
  });
}

/** The decision must have valued the order at the mark just published, or the figure measures nothing. */
function requireSeen(system: TradingSystem, decided: Decided, price: Decimal, sample: number): void {
  const held = system.state.marks.get(SYMBOL);
  if (!held?.eq(price)) throw new Error(`sample ${sample}: the state holds mark ${String(held)}, ${price} was published`);
  const notional = decided.decision.rows.find(r => r.check === 'order notional');
  if (!notional?.observedValue || !new Decimal(notional.observedValue).eq(QUANTITY.times(price))) {
    throw new Error(`sample ${sample}: the decision valued the order at ${notional?.observedValue ?? 'nothing'}, not ${QUANTITY.times(price)} (mark ${price})`);
  }
  if (decided.decision.outcome !== 'approved') throw new Error(`sample ${sample}: the decision was ${decided.decision.reasonCode}, not approved`);
  if (!decided.decision.market) throw new Error(`sample ${sample}: the decision saw no market`);
}

/**
 * Publish -> decision over the wire: the broker server's market data channel fed by the market
 * simulator, the trading system's NetworkMarketDataFeed on loopback, every mark recorded in the
 * event log (SQLite, synchronous FULL) before the decision reads it. The system runs on the real
 * clock; each sample brings a fresh mark, so none goes stale however long the run takes.
 */
export async function marketDataToDecision(samples: number): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'trading-market-bench-'));
  const clock = new SystemClock();
  const random = new SeededRandom(20261126);
  const { core, server } = benchBroker(clock);
  // The simulator moves its own clock only in advance(), which this figure never calls: it starts at the real time so its messages carry it.
  const venue = new MarketSimulator({ clock: new VirtualClock(new Date()), random, broker: core, instruments: DEFAULT_INSTRUMENTS });
  venue.setMark(SYMBOL, MARKS[0], BOOK);
  server.attachMarketData(venue);
  await server.start();
  const gateway = benchGateway(server, clock, random);
  const feed = new NetworkMarketDataFeed({ name: 'venue market data', url: marketDataUrl(server.url), reconnectAttempts: 3, reconnectBaseDelayMs: 50, random: () => random.next() });
  let system: TradingSystem | null = null;
  try {
    await gateway.connect();
    system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock, marketData: feed });
    system.fund('10000000');
    core.deposit(new Decimal(10_000_000));
    system.startTradingDay();
    await system.connectMarketData();
    const opened = system;
    const candidate = { symbol: SYMBOL, side: 'buy' as const, type: 'market' as const, quantity: QUANTITY, reduceOnly: false };
    const decide = () => opened.risk.evaluate(candidate);

    const h = createHistogram();
    const warmup = Math.min(300, Math.floor(samples / 10));
    const budgetEnds = performance.now() + SAMPLING_BUDGET_MS;
    for (let i = 0; i < samples + warmup && performance.now() < budgetEnds; i += 1) {
      // The initial state brought MARKS[0]: the first sample publishes the other one.
      const price = MARKS[(i + 1) % 2];
      const decided = decisionOnMark(opened, price, decide);
      const started = performance.now();
      venue.setMark(SYMBOL, price, BOOK);
      const result = await decided;
      requireSeen(opened, result, price, i);
      if (i >= warmup) h.record(Math.max(1, Math.round((result.atMs - started) * 1e6)));
    }
    if (h.count === 0) throw new Error(`no mark measured after ${warmup} warm-up within the ${SAMPLING_BUDGET_MS / 1000} s budget`);
    const cut = h.count < samples ? ` (stopped at the ${SAMPLING_BUDGET_MS / 1000} s budget, ${samples} asked for)` : '';
    const figure = latencyFigure('wire market data -> risk decision', h);
    return {
      figures: [figure],
      lines: [`market data over the wire (loopback WebSocket, mark recorded in SQLite synchronous FULL, then one risk decision that reads it), ${h.count} marks after ${warmup} warm-up${cut}`, latencyLine(figure)],
    };
  } finally {
    system?.close();
    await feed.close();
    await gateway.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every listed symbol that has a book (the index is marked only), each on its own price path. */
const MODELLED: readonly { symbol: string; price: Decimal }[] = [
  { symbol: 'BTC-PERP', price: new Decimal('50000') },
  { symbol: 'ETH-PERP', price: new Decimal('3000') },
  { symbol: 'SOL-PERP', price: new Decimal('150') },
  { symbol: 'AAPL', price: new Decimal('190') },
  { symbol: 'MSFT', price: new Decimal('410') },
  { symbol: 'SPY', price: new Decimal('520') },
  { symbol: 'SMLC', price: new Decimal('12') },
];
const STEP_MS = 100;
/** Steps between looks at the wall clock: few enough looks that reading it costs nothing. */
const STEPS_PER_CHUNK = 200;

interface TimedSimulator {
  readonly name: string;
  readonly market: MarketSimulator;
  deltas: number;
  elapsedMs: number;
}

function modelledMarket(listeners: number): MarketSimulator {
  const clock = new VirtualClock('2026-03-09T14:30:00.000Z');
  const broker = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const market = new MarketSimulator({ clock, random: new SeededRandom(20261127), broker, instruments: DEFAULT_INSTRUMENTS });
  for (let i = 0; i < listeners; i += 1) market.subscribe(() => undefined);
  for (const { symbol, price } of MODELLED) market.model(symbol, { price });
  return market;
}

/**
 * Book deltas the simulator publishes per wall-clock second while it steps its virtual clock, with
 * no listener and with one that does nothing with what it gets. The two take turns chunk by chunk
 * for about `seconds` each, so a change in the machine's load falls on both alike.
 */
export function simulatorBookUpdates(seconds: number): BenchSection {
  const runs: TimedSimulator[] = [
    { name: 'no listener', market: modelledMarket(0), deltas: 0, elapsedMs: 0 },
    { name: 'one listener, decoding nothing', market: modelledMarket(1), deltas: 0, elapsedMs: 0 },
  ];
  // Warm-up: the first chunks run before the code is optimised.
  for (const run of runs) run.market.advance(STEPS_PER_CHUNK * STEP_MS * 5, STEP_MS);
  while (runs.some(run => run.elapsedMs < seconds * 1000)) {
    for (const run of runs) {
      const fromDeltas = run.market.bookDeltasPublished;
      const started = performance.now();
      run.market.advance(STEPS_PER_CHUNK * STEP_MS, STEP_MS);
      run.elapsedMs += performance.now() - started;
      run.deltas += run.market.bookDeltasPublished - fromDeltas;
    }
  }
  const lines = [`market simulator book updates a second (virtual clock, ${MODELLED.length} modelled symbols, ${STEP_MS} ms steps, broker book kept in step)`];
  const figures = runs.map(run => {
    const figure = valueFigure(`market simulator book updates, ${run.name}`, 'updates/s', run.deltas, Math.round(run.deltas / (run.elapsedMs / 1000)));
    lines.push(`${run.name.padEnd(34)} n=${String(run.deltas).padStart(6)}  ${(figure.value ?? 0).toLocaleString('en-US').padStart(9)} updates/s  over ${(run.elapsedMs / 1000).toFixed(2)} s wall clock`);
    return figure;
  });
  return { figures, lines };
}
