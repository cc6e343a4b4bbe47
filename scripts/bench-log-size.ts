/**
 * Recovery as the log grows: a log of N events on a real SQLite file (synchronous FULL), then the
 * trading system opened on it again, timed (TradingSystem.open verifies each event, reads it and
 * replays it as the check walks the chain, in one pass), and the parts alone: the chain check, and
 * reading every event and applying it to a fresh projection. The log is what a trading day writes:
 * orders through the whole path (request, risk decision, submit, acknowledgement, fill,
 * reconciliation), each event of them followed by a mark of the feed.
 *
 *   npm run bench            (LOG_SIZES=10000,100000,1000000 by default; writing the 1,000,000-event log takes minutes)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Decimal, VirtualClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS, InstrumentRegistry } from '../domain/model';
import { DEFAULT_SETTINGS, DomainEvent, SqliteEventStore, StateProjection } from '../domain/state';
import { TradingSystem } from '../domain/trading-system';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';
import { openMarket } from './bench-market';
import { BenchFigure, valueFigure } from './bench-figures';
import { RECOVERY_TARGET_US } from './recovery-bench';

export interface LogRecoveryFigure {
  readonly events: number;
  readonly megabytes: number;
  /** The read-only check before the store is opened. */
  readonly inspectMs: number;
  /** Reading every event and applying it to a fresh projection. */
  readonly replayMs: number;
  /** TradingSystem.open on the log: all of the above and the services built. */
  readonly openMs: number;
}

const BATCH = 5_000;

/**
 * A trading day's log of about `events` events. One buy and one sell of the same size at the same
 * mark go through the whole path first (input, risk, submit, acknowledgement, fill, the position
 * reconciled after each fill), and their events are the template: the pair leaves the books as it
 * found them but for the fees, so the template is recorded again and again under fresh client order,
 * broker order and trade ids, through the ledger's one write path (checked by the projection, chained,
 * in batches), with a mark of the feed between each order event and the next.
 */
export async function writeLog(path: string, events: number): Promise<void> {
  const clock = new VirtualClock();
  const broker = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const gateway = new InProcessBrokerGateway(broker);
  const system = TradingSystem.open({ eventStorePath: path, broker: gateway, clock, clientOrderIdPrefix: 'LOG' });
  try {
    openMarket(system, broker, 1_000_000_000, 'BTC-PERP', new Decimal(50_000), new Decimal(1_000_000_000));
    const store = system.ledger.store;
    const from = store.length;
    const ids: string[] = [];
    for (const side of ['buy', 'sell'] as const) {
      const result = await system.coordinator.place({ symbol: 'BTC-PERP', side, type: 'market', quantity: '0.01' });
      if (result.outcome !== 'accepted') throw new Error(`log-size bench: the template's ${side} was ${result.outcome}: ${result.error.message}`);
      ids.push(result.order.clientOrderId);
      // The fill comes from the simulator a turn later: wait for it (bounded), not for a timer.
      for (let turn = 0; system.state.order(result.order.clientOrderId).status !== 'filled'; turn += 1) {
        if (turn > 10_000) throw new Error(`log-size bench: ${result.order.clientOrderId} was not filled`);
        await new Promise(resolve => setImmediate(resolve));
      }
      await system.reconciliationIdle();
    }
    const template = store.read(from + 1).map(e => ({ type: e.type, payload: JSON.stringify(e.payload) }));
    const brokerIds = ids.map(id => system.state.order(id).brokerOrderId ?? '');
    const tradeIds = [...new Set(template.flatMap(e => [...e.payload.matchAll(/"tradeId":"([^"]+)"/g)].map(m => m[1])))];
    const renamed = (payload: string, pair: number) => {
      let text = payload;
      ids.forEach(id => (text = text.split(id).join(`${id}-${pair}`)));
      brokerIds.forEach(id => id !== '' && (text = text.split(id).join(`${id}-${pair}`)));
      tradeIds.forEach(id => (text = text.split(`"${id}"`).join(`"${id}-${pair}"`)));
      return text;
    };
    let pair = 0;
    let mark = 0;
    while (store.length < events) {
      system.ledger.batch(() => {
        for (let written = 0; written < BATCH && store.length < events; ) {
          pair += 1;
          for (const event of template) {
            system.ledger.record({ type: event.type, payload: JSON.parse(renamed(event.payload, pair)) } as DomainEvent);
            mark += 1;
            clock.advance(100);
            system.updateMark('BTC-PERP', new Decimal(50_000).plus(mark % 100));
            written += 2;
          }
        }
      });
    }
  } finally {
    system.close();
    await gateway.close();
  }
}

async function measure(events: number): Promise<LogRecoveryFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'trading-log-size-'));
  const path = join(dir, 'events.sqlite');
  try {
    await writeLog(path, events);
    const clock = new VirtualClock();
    let started = performance.now();
    const inspected = SqliteEventStore.inspect(path);
    const inspectMs = performance.now() - started;
    if (!inspected.ok) throw new Error(`log-size bench: the log written does not verify: ${inspected.problem}`);
    const store = SqliteEventStore.open(path, clock);
    let replayMs: number;
    try {
      started = performance.now();
      new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS).replay(store.read());
      replayMs = performance.now() - started;
    } finally {
      store.close();
    }
    const broker = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
    const gateway = new InProcessBrokerGateway(broker);
    started = performance.now();
    const system = TradingSystem.open({ eventStorePath: path, broker: gateway, clock });
    const openMs = performance.now() - started;
    const replayed = system.eventsReplayed;
    system.close();
    await gateway.close();
    if (replayed < events) throw new Error(`log-size bench: ${replayed} events replayed of ${events}`);
    return { events: replayed, megabytes: statSync(path).size / 1024 / 1024, inspectMs, replayMs, openMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The goal beside the plan's: a 1,000,000-event log open in at most 1 s. */
export const LOG_OPEN_GOAL_US = 1_000_000;

export async function logRecoveryBenchmark(sizes: readonly number[]): Promise<{ figures: BenchFigure[]; measured: LogRecoveryFigure[]; lines: string[] }> {
  const measured: LogRecoveryFigure[] = [];
  const figures: BenchFigure[] = [];
  const lines = ['recovery as the log grows (SQLite synchronous FULL; plan: recovery under 5 s)'];
  for (const size of sizes) {
    const f = await measure(size);
    measured.push(f);
    figures.push(valueFigure(`open, verify and replay a log of ${f.events} events`, 'us', f.events, f.openMs * 1000, { target: f.events >= 1_000_000 ? LOG_OPEN_GOAL_US : RECOVERY_TARGET_US }));
    const ms = (value: number) => `${Math.round(value).toLocaleString('en-US').padStart(7)} ms`;
    lines.push(
      `  ${f.events.toLocaleString('en-US').padStart(9)} events (${f.megabytes.toFixed(0).padStart(4)} MB): TradingSystem.open ${ms(f.openMs)}   each part alone: chain check ${ms(f.inspectMs)}, read and replay ${ms(f.replayMs)}`,
    );
  }
  return { figures, measured, lines };
}

if (require.main === module) {
  const sizes = (process.env.LOG_SIZES ?? '10000,100000,1000000').split(',').map(Number);
  logRecoveryBenchmark(sizes).then(
    ({ lines }) => lines.forEach(line => console.log(line)),
    error => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
