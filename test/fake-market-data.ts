import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, VirtualClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import type { EventOf, EventType, StoredEvent } from '../domain/state';
import { MarketDataFeedEvent, MarketDataMessage, MarketDataSource, PriceLevel } from '../domain/market';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';

/** A market data source a test feeds by hand: what it sends on connect, then each message as the test says. */
export class HandFedMarketData implements MarketDataSource {
  readonly name = 'hand-fed feed';
  readonly snapshotRequests: string[] = [];
  closed = false;
  private readonly messageListeners = new Set<(message: MarketDataMessage) => void>();
  private readonly feedListeners = new Set<(event: MarketDataFeedEvent) => void>();

  constructor(
    private readonly clock: VirtualClock,
    /** The venue's current state, sent on connect. */
    readonly initialState: MarketDataMessage[] = [],
  ) {}

  async connect(): Promise<void> {
    this.feed({ type: 'connected', attempt: 1 });
    for (const message of this.initialState) this.send(message);
  }

  onMessage(listener: (message: MarketDataMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onFeedEvent(listener: (event: MarketDataFeedEvent) => void): () => void {
    this.feedListeners.add(listener);
    return () => this.feedListeners.delete(listener);
  }

  async requestSnapshot(symbol: string): Promise<void> {
    this.snapshotRequests.push(symbol);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  send(message: MarketDataMessage): void {
    for (const listener of this.messageListeners) listener(message);
  }

  feed(event: MarketDataFeedEvent): void {
    for (const listener of this.feedListeners) listener(event);
  }

  get at(): string {
    return this.clock.now().toISOString();
  }

  mark(symbol: string, price: string): void {
    this.send({ type: 'mark', symbol, price: new Decimal(price), at: this.at });
  }

  heartbeat(): void {
    this.send({ type: 'heartbeat', at: this.at });
  }

  snapshot(symbol: string, seq: number, bids: readonly PriceLevel[], asks: readonly PriceLevel[]): void {
    this.send({ type: 'book_snapshot', symbol, seq, bids, asks, at: this.at });
  }
}

export const levels = (...pairs: [string, string][]): PriceLevel[] => pairs.map(([price, quantity]) => ({ price: new Decimal(price), quantity: new Decimal(quantity) }));

/** A trading system on its own log file over the in-process broker, fed by a hand-fed market data source; reopen() restarts it on the same file. */
export function marketSystem(t: { after: (fn: () => Promise<void>) => void }, start = '2026-01-05T14:30:00Z') {
  const dir = mkdtempSync(join(tmpdir(), 'market-system-'));
  const clock = new VirtualClock(start);
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const gateways: InProcessBrokerGateway[] = [];
  const systems: TradingSystem[] = [];
  const open = (source: HandFedMarketData): TradingSystem => {
    const gateway = new InProcessBrokerGateway(core);
    gateways.push(gateway);
    const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock, circuitBreakers: 'disarmed', marketData: source });
    systems.push(system);
    return system;
  };
  t.after(async () => {
    for (const system of systems) system.close();
    for (const gateway of gateways) await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const source = new HandFedMarketData(clock);
  const system = open(source);
  core.deposit(new Decimal(100_000));
  system.fund('100000');
  return {
    clock,
    core,
    source,
    system,
    /** The process ends and starts again on the same log, with a new feed connection. */
    reopen(initialState: MarketDataMessage[] = []): { system: TradingSystem; source: HandFedMarketData } {
      systems[systems.length - 1].close();
      const next = new HandFedMarketData(clock, initialState);
      return { system: open(next), source: next };
    },
  };
}

/** The broker's book and mark and the system's feed agree: one level of `depth` a side at the price. */
export function quote(env: { core: BrokerSimulatorCore; source: HandFedMarketData }, symbol: string, price: string, seq: number, depth = '100000'): void {
  env.core.setMark(symbol, new Decimal(price));
  env.core.setBook(symbol, 'bids', [{ price: new Decimal(price), quantity: new Decimal(depth) }]);
  env.core.setBook(symbol, 'asks', [{ price: new Decimal(price), quantity: new Decimal(depth) }]);
  env.source.snapshot(symbol, seq, levels([price, depth]), levels([price, depth]));
  env.source.mark(symbol, price);
}

/** Resolves once the system's state satisfies the condition, checked after each event it records. */
export function until(system: TradingSystem, condition: () => boolean): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise(resolve => {
    const stop = system.ledger.subscribe(() => {
      if (!condition()) return;
      stop();
      resolve();
    });
  });
}

/** The system's recorded events of one type, typed. */
export function ofType<T extends EventType>(system: TradingSystem, type: T): (StoredEvent & EventOf<T>)[] {
  return system.events.filter((e): e is StoredEvent & EventOf<T> => e.type === type);
}
