import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Clock, VirtualClock, Decimal, SeededRandom } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { TradingSystem } from '../domain/trading-system';
import { NetworkBrokerGateway } from '../domain/execution';
import { BrokerServer, BrokerSimulatorCore } from './simulators/broker';

const KEY = 'recovery-key';
const SECRET = 'recovery-secret';
const SYMBOL = 'BTC-PERP';
const MARK = new Decimal(50_000);
const FILL_QUANTITY = new Decimal('0.001');

export interface RigOptions {
  /** Folder for the event log file. */
  readonly dir: string;
  readonly clock?: Clock;
  readonly cash?: number;
}

/**
 * A trading system on a real SQLite log talking over loopback HTTP + WebSocket to the broker
 * simulator's server, with the means to crash it, book fills at the broker while it is down (on
 * orders the log knows), and start it again on the same log: the recovery tests and bench use it.
 */
export class WireRecoveryRig {
  readonly clock: Clock;
  readonly core: BrokerSimulatorCore;
  readonly server: BrokerServer;
  readonly eventStorePath: string;
  private readonly random = new SeededRandom(20261125);
  private current: { system: TradingSystem; gateway: NetworkBrokerGateway } | null = null;
  private readonly cash: number;
  /** Resting orders the log knows, fills go to them in turn. */
  readonly restingOrders: string[] = [];
  private nextOrder = 0;
  /** Fill-history pages asked for and the time spent waiting for them, since the last reset. */
  readonly historyReads = { requests: 0, ms: 0 };

  constructor(options: RigOptions) {
    this.clock = options.clock ?? new VirtualClock();
    this.cash = options.cash ?? 10_000_000;
    this.eventStorePath = join(options.dir, 'events.sqlite');
    this.core = new BrokerSimulatorCore({ name: 'SIM', clock: this.clock, instruments: DEFAULT_INSTRUMENTS });
    // Recovery is measured against the broker's paging, not its rate limit.
    this.server = new BrokerServer({ core: this.core, clock: this.clock, credentials: [{ key: KEY, secret: SECRET, permissions: ['read', 'trade'] }], rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 } });
  }

  get system(): TradingSystem {
    if (!this.current) throw new Error('the trading system is not running: call start()');
    return this.current.system;
  }

  /** Broker up, system started on the log, account funded and the market marked on both sides. */
  async open(): Promise<void> {
    await this.server.start();
    await this.start();
    this.system.fund(String(this.cash));
    this.core.deposit(new Decimal(this.cash));
    this.system.startTradingDay();
    this.system.updateMark(SYMBOL, MARK);
    this.core.setMark(SYMBOL, MARK);
  }

  /** Buys below the mark and sells above it, each resting at the broker: the fills booked later belong to them. */
  async placeRestingOrders(pairs: number, quantity: string): Promise<void> {
    for (let i = 0; i < pairs * 2; i += 1) {
      const side = i % 2 === 0 ? 'buy' : 'sell';
      const result = await this.system.coordinator.place({ symbol: SYMBOL, side, type: 'limit', quantity, limitPrice: side === 'buy' ? '49000' : '51000' });
      if (result.outcome !== 'accepted') throw new Error(`resting order ${i} was not accepted: ${result.outcome}`);
      this.restingOrders.push(result.order.clientOrderId);
    }
  }

  /** Start the trading system on the log with a fresh gateway, as a new process would. */
  async start(): Promise<{ openMs: number }> {
    if (this.current) throw new Error('the trading system is already running');
    const gateway = new NetworkBrokerGateway({ name: 'SIM', baseUrl: this.server.url, apiKey: KEY, apiSecret: SECRET, clock: this.clock, random: () => this.random.next() });
    await gateway.connect();
    const fills = gateway.fills.bind(gateway);
    // Timed here so a benchmark can tell reading the history from applying it.
    gateway.fills = async (since, limit) => {
      const asked = performance.now();
      try {
        return await fills(since, limit);
      } finally {
        this.historyReads.requests += 1;
        this.historyReads.ms += performance.now() - asked;
      }
    };
    const started = performance.now();
    const system = TradingSystem.open({ eventStorePath: this.eventStorePath, broker: gateway, clock: this.clock });
    this.current = { system, gateway };
    return { openMs: performance.now() - started };
  }

  /** The process dies: its log stays, its connections go. */
  async crash(): Promise<void> {
    if (!this.current) return;
    const { system, gateway } = this.current;
    this.current = null;
    system.close();
    await gateway.close();
    // The broker's end of the dead channel goes too, so fills booked in one synchronous burst are not written to a closed socket.
    this.server.dropUserChannels();
  }

  /** Other participants trade against the resting orders, in turn, while the system is down. */
  bookFills(count: number): void {
    if (this.restingOrders.length === 0) throw new Error('no resting orders to fill: call placeRestingOrders() first');
    for (let i = 0; i < count; i += 1) {
      this.core.tradeAgainst(this.restingOrders[this.nextOrder], FILL_QUANTITY);
      this.nextOrder = (this.nextOrder + 1) % this.restingOrders.length;
    }
  }

  /** The system's positions and cash beside the broker's, as decimal strings. */
  books(): { system: Record<string, string>; broker: Record<string, string> } {
    const line = (p: { netQuantity: Decimal; averageEntryPrice: Decimal; realizedPnl: Decimal }) => `${p.netQuantity.toString()} @ ${p.averageEntryPrice.toString()}, realized ${p.realizedPnl.toString()}`;
    const system: Record<string, string> = { cash: this.system.state.account().cash.toString() };
    for (const p of this.system.state.positions.values()) if (!p.netQuantity.isZero() || !p.realizedPnl.isZero()) system[p.symbol] = line(p);
    const broker: Record<string, string> = { cash: this.core.balance().cash.toString() };
    for (const p of this.core.positions()) broker[p.symbol] = line(p);
    return { system, broker };
  }

  async close(): Promise<void> {
    await this.crash();
    await this.server.stop();
  }
}
