import { Decimal, TradingError, raisedIn } from '../shared';
import {
  BrokerBalance,
  BrokerClockReading,
  BrokerGateway,
  BrokerLeverage,
  BrokerOrderRequest,
  BrokerOrderView,
  BrokerPosition,
  BrokerReport,
  CancelAllResult,
  FillPage,
  GatewayEvent,
  OrderBookView,
  SubmitAccepted,
} from './broker-gateway';
import { BrokerHealthTracker, HealthChange, countsAgainstHealth } from './broker-health';

/** What the router needs from the trading system around it. */
export interface BrokerRouterHooks {
  onHealthChange(change: HealthChange): void;
  /** Bring the trading system's state in line with a broker before it takes orders. */
  synchronise(gateway: BrokerGateway, trigger: string): Promise<void>;
  onSwitch(from: string, to: string, reason: string): void;
  /** Every broker is unhealthy (true), or one is usable again (false). */
  onDegraded(degraded: boolean, reason: string): void;
  onGatewayEvent(broker: string, event: GatewayEvent): void;
}

export interface BrokerRouterPorts {
  /** The primary first, then the fallbacks in the order they are tried. */
  readonly brokers: readonly BrokerGateway[];
  readonly health: BrokerHealthTracker;
  readonly hooks: BrokerRouterHooks;
  /** Where a restarted system left off: the broker it had switched to, and whether it was degraded. */
  readonly restored?: { readonly activeBroker?: string | null; readonly degraded?: boolean };
}

/** A read the broker's gateway does not offer: refused, and no mark against the broker's health. */
function notOffered(broker: BrokerGateway, what: string): Promise<never> {
  return Promise.reject(new TradingError('BrokerRejected', `broker ${broker.name} does not offer ${what}`, { broker: broker.name, reasonCode: 'NOT_SUPPORTED' }));
}

/**
 * The broker gateway the execution engine talks to: the primary broker, and fallbacks in order.
 * Every call's outcome feeds the health tracker; when the active broker turns unhealthy the router
 * synchronises with the next healthy one and only then routes to it. With no healthy broker left
 * the system is told to degrade. Reports come from the active broker only.
 */
export class BrokerRouter implements BrokerGateway {
  private activeIndex = 0;
  private switching: Promise<void> | null = null;
  private degraded = false;
  private readonly reportListeners = new Set<(report: BrokerReport) => void>();
  private unsubscribeActive: (() => void) | null = null;
  private readonly unsubscribeEvents: (() => void)[] = [];

  private readonly brokers: readonly BrokerGateway[];
  readonly health: BrokerHealthTracker;
  private readonly hooks: BrokerRouterHooks;

  constructor(ports: BrokerRouterPorts) {
    const { brokers, restored = {} } = ports;
    this.brokers = brokers;
    this.health = ports.health;
    this.hooks = ports.hooks;
    if (brokers.length === 0) throw new TradingError('InvalidInput', 'a broker router needs at least one broker');
    this.activeIndex = Math.max(0, brokers.findIndex(broker => broker.name === restored.activeBroker));
    this.degraded = restored.degraded ?? false;
    for (const broker of brokers) {
      const unsubscribe = broker.onEvent?.(event => this.hooks.onGatewayEvent(broker.name, event));
      if (unsubscribe) this.unsubscribeEvents.push(unsubscribe);
    }
    this.subscribeActive();
  }

  get name(): string {
    return this.active.name;
  }

  get active(): BrokerGateway {
    return this.brokers[this.activeIndex];
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  brokerNames(): string[] {
    return this.brokers.map(b => b.name);
  }

  submit(request: BrokerOrderRequest): Promise<SubmitAccepted> {
    return this.route(broker => broker.submit(request));
  }

  cancel(clientOrderId: string): Promise<void> {
    return this.route(broker => broker.cancel(clientOrderId));
  }

  replace(clientOrderId: string, change: { quantity: Decimal; limitPrice?: Decimal }): Promise<void> {
    return this.route(broker => broker.replace(clientOrderId, change));
  }

  getOrder(clientOrderId: string): Promise<BrokerOrderView | undefined> {
    return this.route(broker => broker.getOrder(clientOrderId));
  }

  openOrders(): Promise<BrokerOrderView[]> {
    return this.route(broker => broker.openOrders());
  }

  positions(): Promise<BrokerPosition[]> {
    return this.route(broker => broker.positions());
  }

  balance(): Promise<BrokerBalance> {
    return this.route(broker => broker.balance());
  }

  fills(sinceCursor: number, limit: number): Promise<FillPage> {
    return this.route(broker => broker.fills(sinceCursor, limit));
  }

  orderBook(symbol: string): Promise<OrderBookView> {
    return this.route(broker => broker.orderBook(symbol));
  }

  cancelAll(): Promise<CancelAllResult> {
    return this.route(broker => broker.cancelAll());
  }

  /** The active broker's clock reading; a broker that offers none refuses (BrokerRejected, NOT_SUPPORTED). */
  brokerTime(): Promise<BrokerClockReading> {
    return this.route(broker => (broker.brokerTime ? broker.brokerTime() : notOffered(broker, 'a reading of its clock')));
  }

  /** The leverage the active broker holds per symbol; a broker that offers none refuses (BrokerRejected, NOT_SUPPORTED). */
  leverage(): Promise<readonly BrokerLeverage[]> {
    return this.route(broker => (broker.leverage ? broker.leverage() : notOffered(broker, 'its leverage per symbol')));
  }

  onReport(listener: (report: BrokerReport) => void): () => void {
    this.reportListeners.add(listener);
    return () => this.reportListeners.delete(listener);
  }

  /**
   * Try every unhealthy broker whose cool-down has passed with a cheap read (the balance), so one
   * that came back is marked healthy; then leave degraded mode, or return to a preferred broker
   * (the primary first) that is healthy again, synchronising with it before any order goes there.
   */
  async probe(): Promise<void> {
    for (const broker of this.brokers) {
      if (this.health.isHealthy(broker.name) || !this.health.mayProbe(broker.name)) continue;
      await this.observe(broker, () => broker.balance()).catch(() => undefined);
    }
    const preferred = this.brokers.findIndex(broker => this.health.isHealthy(broker.name));
    if (this.degraded || (preferred >= 0 && preferred < this.activeIndex)) await this.failOver(`${this.brokers[Math.max(0, preferred)].name} is healthy again`);
  }

  async close(): Promise<void> {
    this.unsubscribeActive?.();
    for (const unsubscribe of this.unsubscribeEvents) unsubscribe();
    this.reportListeners.clear();
  }

  private async route<T>(call: (broker: BrokerGateway) => Promise<T>): Promise<T> {
    if (this.switching) await this.switching;
    return this.observe(this.active, () => call(this.active));
  }

  private async observe<T>(broker: BrokerGateway, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.noteOutcome(broker, true);
      return result;
    } catch (error) {
      this.noteOutcome(broker, !countsAgainstHealth(error));
      // The router is the broker gateway to everything behind it: what a broker threw says it came from there.
      throw raisedIn(error, 'broker gateway');
    }
  }

  private noteOutcome(broker: BrokerGateway, succeeded: boolean): void {
    const change = this.health.record(broker.name, succeeded);
    if (change) {
      this.hooks.onHealthChange(change);
      if (change.healthy) void broker.reconnect?.().catch(() => undefined);
    }
    // While the active broker is unhealthy and no switch is under way, every outcome tries again to find a usable one.
    if (broker === this.active && !this.health.isHealthy(broker.name) && !this.degraded && !this.switching) {
      const reason = change ? `${broker.name} is unhealthy: ${change.reason}` : `${broker.name} is still unhealthy`;
      void this.failOver(reason).catch(() => undefined);
    }
  }

  /**
   * Move to the first healthy broker (the primary preferred), synchronising before any order goes
   * there. A broker whose synchronisation fails is passed over (and the failure counts against its
   * health); with none left the system is told to degrade.
   */
  private failOver(reason: string): Promise<void> {
    if (this.switching) return this.switching;
    this.switching = (async () => {
      for (const [index, broker] of this.brokers.entries()) {
        if (!this.health.isHealthy(broker.name)) continue;
        if (index !== this.activeIndex) {
          const from = this.active.name;
          try {
            await this.hooks.synchronise(broker, `switch from ${from}`);
          } catch {
            this.noteSyncFailure(broker);
            continue;
          }
          this.activeIndex = index;
          this.subscribeActive();
          this.hooks.onSwitch(from, broker.name, reason);
        }
        if (this.degraded) {
          this.degraded = false;
          this.hooks.onDegraded(false, `${broker.name} is healthy`);
        }
        return;
      }
      if (!this.degraded) {
        this.degraded = true;
        this.hooks.onDegraded(true, `no healthy broker: ${reason}`);
      }
    })().finally(() => {
      this.switching = null;
    });
    return this.switching;
  }

  private noteSyncFailure(broker: BrokerGateway): void {
    const change = this.health.record(broker.name, false);
    if (change) this.hooks.onHealthChange(change);
  }

  private subscribeActive(): void {
    this.unsubscribeActive?.();
    this.unsubscribeActive = this.active.onReport(report => {
      for (const listener of this.reportListeners) listener(report);
    });
  }
}
