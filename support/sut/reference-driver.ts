import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TradingSystem } from '../../domain/trading-system';
import { SqliteEventStore, StateProjection } from '../../domain/state';
import { InstrumentRegistry } from '../../domain/model';
import { BreakerSnapshot } from '../../domain/breakers';
import { NetworkBrokerGateway } from '../../domain/execution';
import { MarketDataSource, NetworkMarketDataFeed } from '../../domain/market';
import { rebuildLogFromBroker } from '../../domain/reconciliation';
import { statePicture as stateSnapshot } from '../../domain/state';
import {
  BreakerControls,
  BrokerGateway,
  BrokerRoute,
  Clock,
  CustomBreakerRequest,
  Decimal,
  EventFeed,
  MarketDataRoute,
  StoredEvent,
  SystemConfiguration,
  SystemUnderTest,
  SystemUnderTestDriver,
} from './system-under-test';

const LOG_FILE = 'events.sqlite';

/**
 * The log as the suite reads it: read from the file once when the system opens, then kept up to
 * date by the ledger's notice of each appended event. Reading from a mark is a slice, not a query.
 */
class LedgerEventFeed implements EventFeed {
  private readonly events: StoredEvent[];
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  /** Events told of before one with a lower sequence number (recorded while that one's listeners ran), held until it comes. */
  private readonly early = new Map<number, StoredEvent>();

  constructor(system: TradingSystem) {
    this.events = system.ledger.store.read();
    system.ledger.subscribe(event => {
      this.early.set(event.seq, event);
      for (let next = this.early.get(this.mark() + 1); next; next = this.early.get(this.mark() + 1)) {
        this.early.delete(next.seq);
        this.events.push(next);
        for (const listener of [...this.listeners]) listener(next);
      }
    });
  }

  mark(): number {
    return this.events.length === 0 ? 0 : this.events[this.events.length - 1].seq;
  }

  since(mark: number): readonly StoredEvent[] {
    // Sequence numbers start at 1 and have no gaps (the store verifies it on open): event n is at n - 1.
    return this.events.slice(Math.max(0, mark));
  }

  all(): readonly StoredEvent[] {
    return this.events;
  }

  onAppend(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function markPriceMetric(symbol: string): (snapshot: BreakerSnapshot) => Decimal | null {
  return snapshot => snapshot.state.marks.get(symbol) ?? null;
}

/** The reference system's own adapter to a route on the wire: a new one at each start, as a new process would make. */
function wireGateway(route: Extract<BrokerRoute, { transport: 'wire' }>, configuration: SystemConfiguration): NetworkBrokerGateway {
  const { baseUrl, apiKey, apiSecret, timings, timers } = route.endpoint;
  const gateway = new NetworkBrokerGateway({ name: route.name, baseUrl, apiKey, apiSecret, clock: configuration.clock, random: configuration.random, timers, ...timings });
  gateway.setClockSkew(route.clockSkewMs);
  return gateway;
}

/** The system's own market data client for a route: on the wire a new feed client at each start, in process the route's source. */
function marketDataSource(route: MarketDataRoute, configuration: SystemConfiguration): MarketDataSource {
  if (route.transport === 'in-process') return route.open();
  const { name, url, reconnectAttempts, reconnectBaseDelayMs, livenessTimeoutMs } = route;
  return new NetworkMarketDataFeed({ name, url, reconnectAttempts, reconnectBaseDelayMs, livenessTimeoutMs, random: configuration.random });
}

/** The reference trading system (`domain/`) behind the port, in this process, on a SQLite log. */
class ReferenceSystem implements SystemUnderTest {
  readonly events: EventFeed;
  readonly breakers: BreakerControls;

  constructor(
    private readonly system: TradingSystem,
    /** The adapters this instance built for its wire routes: they are its connections, and go with it. */
    private readonly wireGateways: readonly NetworkBrokerGateway[],
    private readonly marketData: MarketDataSource | null,
  ) {
    this.events = new LedgerEventFeed(system);
    const monitor = system.breakers;
    this.breakers = {
      get armed() {
        return monitor.armed;
      },
      idle: () => monitor.idle(),
      readings: () => monitor.readings(),
      register: (request: CustomBreakerRequest) => {
        monitor.register({
          name: request.name,
          measure: `${request.metric.kind} of ${request.metric.symbol} (USD)`,
          metric: markPriceMetric(request.metric.symbol),
          warning: request.warning,
          critical: request.critical,
          direction: request.direction,
          response: request.response,
          actor: request.actor,
        });
      },
      reset: request => monitor.reset(request),
      healthCheck: trigger => monitor.healthCheck(trigger),
    };
  }

  get state() {
    return this.system.state;
  }

  get eventsReplayed(): number {
    return this.system.eventsReplayed;
  }

  place: SystemUnderTest['place'] = order => this.system.coordinator.place(order);
  cancel: SystemUnderTest['cancel'] = id => this.system.coordinator.cancel(id);
  modify: SystemUnderTest['modify'] = (id, changes) => this.system.coordinator.modify(id, changes);
  sizeOrder: SystemUnderTest['sizeOrder'] = (symbol, side, riskShare, stopPrice) => this.system.risk.sizeOrder(symbol, side, riskShare, stopPrice);

  fund(amount: Decimal): void {
    this.system.fund(amount.toString());
  }

  startTradingDay(): void {
    this.system.startTradingDay();
  }

  updateMark(symbol: string, price: Decimal): void {
    this.system.updateMark(symbol, price);
  }

  changeSettings: SystemUnderTest['changeSettings'] = (changes, actor, reason) => this.system.changeSettings(changes, actor, reason);
  recover: SystemUnderTest['recover'] = () => this.system.recover();
  resolveInFlightOrders: SystemUnderTest['resolveInFlightOrders'] = () => this.system.resolveInFlightOrders();
  reconcileBalance: SystemUnderTest['reconcileBalance'] = trigger => this.system.reconcileBalance(trigger);
  reconcilePosition: SystemUnderTest['reconcilePosition'] = (symbol, trigger) => this.system.reconciler.reconcile(symbol, trigger);
  checkBrokers: SystemUnderTest['checkBrokers'] = () => this.system.checkBrokers();

  routing() {
    const router = this.system.brokers;
    return { active: router.name, routes: router.brokerNames(), degraded: router.isDegraded };
  }

  lastReportSequence(route: string): number {
    return this.wireGateways.find(gateway => gateway.name === route)?.lastReportSequence ?? 0;
  }

  projectedExposure: SystemUnderTest['projectedExposure'] = () => this.system.risk.projectedExposure();
  workingExposure: SystemUnderTest['workingExposure'] = () => this.system.risk.workingExposure();
  counter = (name: string): number => this.system.telemetry.count(name);
  counters = (): Readonly<Record<string, number>> => this.system.telemetry.counterSnapshot();
  alerts: SystemUnderTest['alerts'] = () => this.system.telemetry.alerts.all();

  reconcile: SystemUnderTest['reconcile'] = trigger => this.system.reconcile(trigger);
  reconciliationIdle: SystemUnderTest['reconciliationIdle'] = () => this.system.reconciliationIdle();
  reconciliationQueue: SystemUnderTest['reconciliationQueue'] = () => [...this.system.state.reconciliation.openItems.values()];
  resolveReconciliationItem: SystemUnderTest['resolveReconciliationItem'] = request => this.system.resolveReconciliationItem(request);
  checkConsistency: SystemUnderTest['checkConsistency'] = trigger => this.system.checkConsistency(trigger);

  snapshot() {
    return stateSnapshot(this.system.state);
  }

  snapshotRebuiltFromLog() {
    const rebuilt = new StateProjection(new InstrumentRegistry());
    rebuilt.replay(this.events.all());
    return stateSnapshot(rebuilt);
  }

  verifyLog() {
    return this.system.ledger.store.verify();
  }

  async stop(): Promise<void> {
    this.system.close();
    await Promise.all([...this.wireGateways.map(gateway => gateway.close()), this.marketData?.close()]);
  }

  marketView: SystemUnderTest['marketView'] = symbol => this.system.marketView(symbol);
  marketIdle: SystemUnderTest['marketIdle'] = () => this.system.marketIdle();
  /** The market state listens to the source first (it attached at open), so a listener here runs after the message is applied. */
  onMarketData: SystemUnderTest['onMarketData'] = listener => this.marketData?.onMessage(() => listener()) ?? (() => undefined);

  latencySamples: SystemUnderTest['latencySamples'] = stage => this.system.telemetry.latency(stage).count;

  /** The decision as the log records it: the risk manager's pass, or its rejection of the order. */
  riskDecision: SystemUnderTest['riskDecision'] = clientOrderId => {
    for (const e of this.events.all()) {
      if (e.type === 'RiskCheckPassed' && e.payload.clientOrderId === clientOrderId) {
        return { outcome: 'approved', rows: e.payload.checks, settingsVersion: e.payload.settingsVersion, ...(e.payload.market ? { market: e.payload.market } : {}) };
      }
      if (e.type === 'OrderRejected' && e.payload.stage === 'risk' && e.payload.clientOrderId === clientOrderId) {
        return { outcome: 'rejected', rows: e.payload.checks, settingsVersion: e.payload.settingsVersion, ...(e.payload.market ? { market: e.payload.market } : {}) };
      }
    }
    return undefined;
  };
}

export const referenceDriver: SystemUnderTestDriver = {
  name: 'reference trading system',

  async start(configuration: SystemConfiguration): Promise<SystemUnderTest> {
    const [primary, ...fallbacks] = configuration.routes;
    if (!primary) throw new Error('the trading system needs a route to a broker');
    const wireGateways: NetworkBrokerGateway[] = [];
    const gatewayOf = (route: BrokerRoute): BrokerGateway => {
      if (route.transport === 'in-process') return route.gateway;
      const gateway = wireGateway(route, configuration);
      wireGateways.push(gateway);
      return gateway;
    };
    const broker = gatewayOf(primary);
    const fallbackBrokers = fallbacks.map(gatewayOf);
    const marketData = configuration.marketData ? marketDataSource(configuration.marketData, configuration) : null;
    let system: TradingSystem;
    try {
      system = TradingSystem.open({
        eventStorePath: join(configuration.dataDir, LOG_FILE),
        broker,
        fallbackBrokers,
        clock: configuration.clock,
        logger: configuration.logger,
        circuitBreakers: configuration.circuitBreakers,
        reconciliation: configuration.reconciliation,
        clientOrderIdPrefix: configuration.clientOrderIdPrefix,
        ...(marketData ? { marketData } : {}),
      });
    } catch (error) {
      await Promise.all([...wireGateways.map(gateway => gateway.close()), marketData?.close()]);
      throw error;
    }
    const running = new ReferenceSystem(system, wireGateways, marketData);
    // The log first, then each route's user channel: what the broker sent while the system was down is in its REST history.
    // A channel the broker refuses is on record (BrokerConnectionChanged "gave_up") and the system runs without it.
    await Promise.all(wireGateways.map(gateway => gateway.connect().catch(() => undefined)));
    // Then the market: every book's first snapshot is in before the first order is taken. A feed that cannot connect fails the start.
    try {
      await system.connectMarketData();
    } catch (error) {
      await running.stop();
      throw error;
    }
    // Then the books against the broker's, before anything new trades (automatic reconciliation; an incomplete run keeps trading halted).
    await system.reconcileAtStartUp();
    return running;
  },

  tamperWithLog(dataDir: string, _clock: Clock, change): void {
    const db = new Database(join(dataDir, LOG_FILE));
    try {
      const row = db.prepare('SELECT seq, payload FROM events WHERE type = ? ORDER BY seq LIMIT 1').get(change.eventType) as { seq: number; payload: string } | undefined;
      if (!row) throw new Error(`the log has no ${change.eventType} event to change`);
      const payload = { ...(JSON.parse(row.payload) as Record<string, unknown>), [change.field]: change.value };
      db.prepare('UPDATE events SET payload = ? WHERE seq = ?').run(JSON.stringify(payload), row.seq);
    } finally {
      db.close();
    }
  },

  async rebuildLogFromBroker(configuration: SystemConfiguration) {
    const [primary] = configuration.routes;
    if (!primary) throw new Error('a rebuild needs a route to the broker');
    const gateway = primary.transport === 'in-process' ? primary.gateway : wireGateway(primary, configuration);
    try {
      return await rebuildLogFromBroker({ path: join(configuration.dataDir, LOG_FILE), broker: gateway, clock: configuration.clock, instruments: new InstrumentRegistry() });
    } finally {
      if (primary.transport === 'wire') await gateway.close();
    }
  },

  openLog(dataDir: string, clock: Clock): void {
    SqliteEventStore.open(join(dataDir, LOG_FILE), clock).close();
  },
};
