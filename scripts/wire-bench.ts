/**
 * Order flow over the wire: the trading system's network gateway (signed REST + WebSocket user
 * channel) against the broker simulator's server on a loopback port. Beside it, the floor: a bare
 * WebSocket echo round trip measured in the same run, on the same machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, performance, RecordableHistogram } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { SystemClock, Decimal, SeededRandom } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import { NetworkBrokerGateway } from '../domain/execution';
import { BrokerSimulatorCore, BrokerServer } from '../support/simulators/broker';
import { MarkFeed, openMarket } from './bench-market';
import { BenchSection, latencyFigure, latencyLine, onFloor } from './bench-figures';

/** Plan targets, in microseconds: an order placed to its fill, a broker error to the coordinator's result. */
export const PLACE_TO_FILL_TARGET_US = 100_000;
export const BROKER_ERROR_TARGET_US = 25_000;

const record = (h: RecordableHistogram, startedMs: number) => h.record(Math.max(1, Math.round((performance.now() - startedMs) * 1e6)));

/** A bare WebSocket echo over loopback: what one message there and back costs with nothing else. */
async function echoFloor(messages: number): Promise<RecordableHistogram> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>(resolve => server.once('listening', () => resolve()));
  server.on('connection', socket => socket.on('message', data => socket.send(data)));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  const h = createHistogram();
  const payload = JSON.stringify({ type: 'report', seq: 1, report: { type: 'acknowledged', clientOrderId: 'CO-000001', brokerOrderId: 'SIM-1', at: new Date().toISOString() } });
  for (let i = 0; i < messages; i += 1) {
    const started = performance.now();
    await new Promise<void>(resolve => {
      client.once('message', () => resolve());
      client.send(payload);
    });
    if (i >= messages / 10) record(h, started);
  }
  client.terminate();
  await new Promise<void>(resolve => server.close(() => resolve()));
  return h;
}

/** The broker the wire figures trade with: a simulator core behind its server, with a key that has no practical rate limit. */
export function benchBroker(clock: SystemClock): { core: BrokerSimulatorCore; server: BrokerServer } {
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const server = new BrokerServer({
    core,
    clock,
    credentials: [{ key: 'bench-key', secret: 'bench-secret', permissions: ['read', 'trade'] }],
    rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
  });
  return { core, server };
}

/** The system's gateway to the bench broker, once its server listens. */
export function benchGateway(server: BrokerServer, clock: SystemClock, random: SeededRandom): NetworkBrokerGateway {
  return new NetworkBrokerGateway({ name: 'SIM', baseUrl: server.url, apiKey: 'bench-key', apiSecret: 'bench-secret', clock, random: () => random.next() });
}

export async function wireBenchmark(orders: number): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'trading-wire-bench-'));
  const clock = new SystemClock();
  const random = new SeededRandom(20261125);
  const { core, server } = benchBroker(clock);
  await server.start();
  const gateway = benchGateway(server, clock, random);
  await gateway.connect();
  const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock });
  try {
    openMarket(system, core, 10_000_000, 'BTC-PERP', new Decimal(50_000), new Decimal(1_000_000));
    const feed = new MarkFeed(system, 'BTC-PERP', new Decimal(50_000));
    const filledAt = new Map<string, number>();
    system.ledger.subscribe(event => {
      if (event.type === 'OrderFilled') filledAt.set(event.payload.clientOrderId, performance.now());
    });

    const toAck = createHistogram();
    const toFill = createHistogram();
    const warmup = Math.min(200, Math.floor(orders / 10));
    for (let i = 0; i < orders + warmup; i += 1) {
      feed.tick();
      const started = performance.now();
      const result = await system.coordinator.place({ symbol: 'BTC-PERP', side: i % 2 === 0 ? 'buy' : 'sell', type: 'market', quantity: '0.01' });
      if (result.outcome !== 'accepted') throw new Error(`bench order ${i} was not accepted: ${result.outcome}`);
      const acked = performance.now();
      const id = result.order.clientOrderId;
      // The fill report arrives on the socket: wait for its event, not for a timer.
      await new Promise<void>(resolve => {
        if (filledAt.has(id)) return resolve();
        const unsubscribe = system.ledger.subscribe(() => {
          if (filledAt.has(id)) {
            unsubscribe();
            resolve();
          }
        });
      });
      if (i >= warmup) {
        toAck.record(Math.max(1, Math.round((acked - started) * 1e6)));
        toFill.record(Math.max(1, Math.round((filledAt.get(id)! - started) * 1e6)));
      }
    }

    // A broker refusal (HTTP 400) back to the coordinator's result: the error's whole way up.
    const errorPath = createHistogram();
    const errors = Math.max(50, Math.floor(orders / 4));
    for (let i = 0; i < errors; i += 1) {
      feed.tick();
      server.failNextRequests(1, { status: 400, code: 'INSUFFICIENT_MARGIN', message: 'bench' }, { method: 'POST', pathPrefix: '/api/v1/orders' });
      const started = performance.now();
      const result = await system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.01' });
      if (result.outcome !== 'rejected') throw new Error(`bench error ${i} was not rejected: ${result.outcome}`);
      record(errorPath, started);
    }

    const floor = latencyFigure('floor: bare WebSocket echo', await echoFloor(orders));
    const figures = [
      onFloor(latencyFigure('wire place -> ack', toAck), floor),
      onFloor(latencyFigure('wire place -> fill', toFill, { target: PLACE_TO_FILL_TARGET_US }), floor),
      onFloor(latencyFigure('broker error -> coordinator result', errorPath, { target: BROKER_ERROR_TARGET_US }), floor),
      floor,
    ];
    const lines = [`order flow over the wire (loopback HTTP + WebSocket, signed, SQLite synchronous FULL), ${orders} orders after ${warmup} warm-up`, ...figures.map(f => latencyLine(f))];
    return { figures, lines };
  } finally {
    system.close();
    await gateway.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
