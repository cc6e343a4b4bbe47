/**
 * The port to the system under test: everything the DSL asks of a trading system, in one place.
 * The DSL and the steps import nothing of `domain/` but what this file names; the reference
 * trading system is its first driver (`reference-driver.ts`). A team that owns another trading
 * system writes a driver for this port and keeps the features, the steps and the DSL.
 *
 * The types below are the reference system's own model, named here as the port's vocabulary: a
 * driver for another system translates its orders, events and errors into them.
 */
import type { Clock, Timers } from '../../domain/shared';
import { Decimal } from '../../domain/shared';
import type { Logger, Alert, LatencyStage } from '../../domain/telemetry';
import type { BrokerGateway, CancelResult, ModifyInput, ModifyResult, PlaceResult, OrderInput } from '../../domain/execution';
import type { StoredEvent, StateProjection } from '../../domain/state';
import type { SizingResult, WorkingExposure } from '../../domain/risk';
import type { BreakerDirection, BreakerLevel, BreakerReading, BreakerResponse, HealthCheckRow, ResetOutcome, ResetRequest } from '../../domain/breakers';
import type { RecoveryReport } from '../../domain/trading-system';
import type { DecisionMarketSummary } from '../../domain/state';
import type { MarketDataSource, MarketView } from '../../domain/market';
import type { RebuildReport as LogRebuildReport } from '../../domain/reconciliation';
import type { ConsistencyCheck, ReconciliationRunPayload, ResolutionRequest, DiscrepancyRecord, DiscrepancyClass } from '../../domain/reconciliation';
import type { OpenItem } from '../../domain/state';

export type { LogRebuildReport };
export type { ConsistencyCheck, ReconciliationRunPayload, ResolutionRequest, DiscrepancyRecord, DiscrepancyClass, OpenItem };

/** The port's number: money, prices and quantities cross it as decimals, never as floating point. */
export { Decimal };
export type { Clock, Timers, Logger, BrokerGateway, CancelResult, ModifyInput, ModifyResult, PlaceResult, OrderInput, StoredEvent, SizingResult, WorkingExposure, Alert };
export type { BreakerLevel, BreakerReading, HealthCheckRow, ResetOutcome, ResetRequest, RecoveryReport };
import type { DecisionRow } from '../../domain/state';
export type { DecisionRow };
export type { EventOf, EventType } from '../../domain/state';
export type { Order, OrderStatus } from '../../domain/model';
export type { Position } from '../../domain/model';
export type { AccountSnapshot } from '../../domain/model';
export type { TradingError, ErrorKind } from '../../domain/shared';
export type { BrokerFill, BrokerOrderView } from '../../domain/execution';
export type { DecisionMarketSummary, MarketDataSource, MarketView };
export type { HaltReason, MarketDataMessage, SessionInfo, VolatilityRegime } from '../../domain/market';
/** The symbol a market-wide trading status is published under. */
export { MARKET_WIDE } from '../../domain/market';

/** What the suite hands every system it starts: a virtual clock, seeded randomness, a structured log, and the instruments the venue lists. */
export { VirtualClock } from '../../domain/shared';
export { SeededRandom } from '../../domain/shared';
export { JsonLinesLogger } from '../../domain/telemetry';
export { DEFAULT_INSTRUMENTS } from '../../domain/model';
export type { BrokerBalance, BrokerPosition } from '../../domain/execution';
export type { LatencyStage } from '../../domain/telemetry';

/** What the system knows now, read only: orders, positions, the account, marks, settings, breakers. */
export type SystemState = Pick<
  StateProjection,
  'order' | 'orders' | 'workingOrders' | 'position' | 'positions' | 'openPositions' | 'account' | 'marks' | 'settings' | 'breakers' | 'routing' | 'currency' | 'deposits' | 'tradingDay' | 'startOfDayEquity' | 'instruments'
>;

/** The log as the system hands it out: read from a mark, and told of each event as it is appended. */
export interface EventFeed {
  /** The sequence number of the latest event; every later event has a greater one. */
  mark(): number;
  /** Events after a mark, oldest first. */
  since(mark: number): readonly StoredEvent[];
  /** Every event of the log, oldest first. */
  all(): readonly StoredEvent[];
  /** Called with each event as it is appended; returns the way to stop listening. */
  onAppend(listener: (event: StoredEvent) => void): () => void;
}

/** A breaker a risk officer adds at runtime, on a metric the system offers. */
export interface CustomBreakerRequest {
  readonly name: string;
  readonly metric: { readonly kind: 'mark price'; readonly symbol: string };
  readonly warning: string;
  readonly critical: string;
  readonly direction: BreakerDirection;
  readonly response?: BreakerResponse;
  readonly actor: string;
}

export interface BreakerControls {
  readonly armed: boolean;
  /** Resolves when every evaluation and response started so far has finished; rejects, naming what still runs, when that takes too long. */
  idle(): Promise<void>;
  readings(): readonly { name: string; reading: BreakerReading | null; level: BreakerLevel }[];
  register(request: CustomBreakerRequest): void;
  reset(request: ResetRequest): Promise<ResetOutcome>;
  healthCheck(trigger: string): Promise<readonly HealthCheckRow[]>;
}

export interface InFlightResolution {
  readonly found: number;
  readonly resubmitted: number;
  readonly closed: number;
  readonly unresolved: number;
}

/** A running trading system. */
export interface SystemUnderTest {
  // The trader's channel.
  place(order: OrderInput): Promise<PlaceResult>;
  cancel(clientOrderId: string): Promise<CancelResult>;
  modify(clientOrderId: string, changes: ModifyInput): Promise<ModifyResult>;
  sizeOrder(symbol: string, side: 'buy' | 'sell', riskShare: Decimal, stopPrice: Decimal): SizingResult;

  // The desk and the market data feed.
  fund(amount: Decimal): void;
  startTradingDay(): void;
  updateMark(symbol: string, price: Decimal): void;

  // The risk officer's channel.
  changeSettings(changes: Readonly<Record<string, string>>, actor: string, reason: string): StoredEvent;
  readonly breakers: BreakerControls;

  // The operator's channel.
  recover(): Promise<RecoveryReport>;
  resolveInFlightOrders(): Promise<InFlightResolution>;
  reconcileBalance(trigger: string): Promise<StoredEvent>;
  reconcilePosition(symbol: string, trigger: string): Promise<StoredEvent>;
  checkBrokers(): Promise<void>;
  /** Reconcile the books with the broker now; the run's report (its discrepancy rows, the parts it could not see). */
  reconcile(trigger: string): Promise<ReconciliationRunPayload>;
  /** Resolves when the reconciliation runs the system started by itself (schedule, reconnect) are recorded. */
  reconciliationIdle(): Promise<void>;
  /** The items of the reconciliation queue waiting for a risk officer. */
  reconciliationQueue(): readonly OpenItem[];
  /** A decision on a queue item: only a risk officer's is taken; a refusal is recorded and thrown. */
  resolveReconciliationItem(request: ResolutionRequest): StoredEvent;
  /** The data consistency checks (log, replay, telemetry, settings, risk figures, times), recorded. */
  checkConsistency(trigger: string): readonly ConsistencyCheck[];
  /** The broker orders are routed to now, every route in fallback order, and whether no broker is healthy. */
  routing(): { readonly active: string; readonly routes: readonly string[]; readonly degraded: boolean };
  /** The number of the last report the system took on a route's user channel (0 before the first, and for a route without one): the log does not record report numbers. */
  lastReportSequence(route: string): number;

  // What the system knows and says.
  readonly state: SystemState;
  readonly events: EventFeed;
  /** How many events the system replayed from its log when it opened. */
  readonly eventsReplayed: number;
  projectedExposure(): { gross: Decimal; net: Decimal; leverage: Decimal | null };
  workingExposure(): readonly WorkingExposure[];
  counter(name: string): number;
  counters(): Readonly<Record<string, number>>;
  alerts(): readonly Alert[];
  /** A comparable picture of orders, positions, balances and settings. */
  snapshot(): StateSnapshot;
  /** The same picture, from a state rebuilt by replaying the whole log. */
  snapshotRebuiltFromLog(): StateSnapshot;
  /** Whether the log's sequence numbers and hash chain hold. */
  verifyLog(): { ok: true; events: number } | { ok: false; events: number; brokenAt: number; problem: string };

  /** The process ends: connections and the log file are closed; the broker lives on. */
  stop(): Promise<void>;

  /** How many latency samples the system has taken at a stage of an order's life. */
  latencySamples(stage: LatencyStage): number;

  /** The pre-trade decision the risk manager made on an order: every check's row, the settings version it read and the market it saw; undefined before there is one. */
  riskDecision(clientOrderId: string): RiskDecisionView | undefined;

  // The venue's market data, where the system takes it from a feed (SystemConfiguration.marketData).
  /** What the system knows of a symbol's market now (session, status, book, bands, regime); null without market data. */
  marketView(symbol: string): MarketView | null;
  /** Resolves when what the market data set going (snapshot requests after a gap, the close's orders) has been answered. */
  marketIdle(): Promise<void>;
  /** Told after each market data message the system has taken in (a book delta records no event); returns the way to stop listening. */
  onMarketData(listener: () => void): () => void;
}

export interface RiskDecisionView {
  readonly outcome: 'approved' | 'rejected';
  readonly rows: readonly DecisionRow[];
  readonly settingsVersion: number;
  /** The market the decision saw (absent without market data). */
  readonly market?: DecisionMarketSummary;
}

export type StateSnapshot = Readonly<Record<string, unknown>>;

/**
 * The timings the suite gives the system's client: deadlines generous enough that a healthy request
 * never times out on a loaded machine, backoffs short. A driver whose client has such settings may
 * take them; the scenarios that count retries or wait for a reconnect assume them.
 */
export interface ClientTimings {
  /** How long a REST request may go unanswered. */
  readonly requestTimeoutMs: number;
  /** How often a request that may be sent again is tried, and the first backoff. */
  readonly retry: { readonly attempts: number; readonly baseDelayMs: number };
  /** How long the user channel may be silent (no report, no heartbeat) before it is declared dead. */
  readonly livenessTimeoutMs: number;
  readonly reconnectAttempts: number;
  readonly reconnectBaseDelayMs: number;
  /** How long after signing the broker still takes a request. */
  readonly receiveWindowMs: number;
}

/** Where a broker serves the account on the wire, and the key the system signs with there. */
export interface BrokerEndpoint {
  /** The REST API's base URL; the user channel is on the same host and port (ws://). */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly timings: ClientTimings;
  /**
   * Where the client may run its timers: the route's transport time, which a fault that withholds
   * an answer lets pass at once. A client that keeps to the wall clock waits its timeouts out.
   */
  readonly timers: Timers;
}

/**
 * One route to the broker account, as the venue offers it. On the wire: an endpoint the system's
 * own broker adapter connects to (signed REST and a WebSocket user channel, in the simulator's
 * protocol). In process: the simulator's gateway, which implements the reference system's broker
 * port, for runs without sockets.
 */
export type BrokerRoute =
  | {
      readonly name: string;
      readonly transport: 'wire';
      readonly endpoint: BrokerEndpoint;
      /** How far ahead of the configuration's clock the system's clock runs when it signs (a host whose clock drifted); 0 for a true clock. */
      readonly clockSkewMs: number;
    }
  | { readonly name: string; readonly transport: 'in-process'; readonly gateway: BrokerGateway };

/**
 * Where the system takes the venue's public market data from. On the wire: the venue's market data
 * channel (a WebSocket on the broker's port, here through a fault proxy of its own), which the
 * system's own feed client connects to. In process: a source handing the same messages over without
 * sockets, a new one at each start.
 */
export type MarketDataRoute =
  | {
      readonly name: string;
      readonly transport: 'wire';
      /** ws://host:port/api/v1/market */
      readonly url: string;
      readonly reconnectAttempts: number;
      readonly reconnectBaseDelayMs: number;
      readonly livenessTimeoutMs: number;
    }
  | { readonly name: string; readonly transport: 'in-process'; readonly open: () => MarketDataSource };

export interface SystemConfiguration {
  /** Where the system keeps its log; a restart opens the same place. */
  readonly dataDir: string;
  /** The broker first, then the fallback routes in the order the system switches to them. */
  readonly routes: readonly BrokerRoute[];
  readonly clock: Clock;
  /** Seeded: a run replays with the same seed (backoff jitter, for one). */
  readonly random: () => number;
  readonly logger: Logger;
  readonly circuitBreakers: 'armed' | 'disarmed';
  /** The venue's market data feed; without it the system's marks come from the desk (updateMark) and no market check runs. */
  readonly marketData?: MarketDataRoute;
  /** Whether the system reconciles by itself (at start-up before trading, after a reconnect, on its schedule) or only when asked. */
  readonly reconciliation: 'automatic' | 'on request';
  /** What the system's client order ids start with, so that a report tells one scenario's orders from another's ("CO" unless named). */
  readonly clientOrderIdPrefix?: string;
}

/** How the suite starts a trading system and reaches its stored log while it is down. */
export interface SystemUnderTestDriver {
  readonly name: string;
  /** Resolves once the system is up: its log opened and each route connected, or its refusal on record. */
  start(configuration: SystemConfiguration): Promise<SystemUnderTest>;
  /** While the system is down: change a recorded event's payload field, as someone editing the file would. */
  tamperWithLog(dataDir: string, clock: Clock, change: { readonly eventType: string; readonly field: string; readonly value: string }): void;
  /** While the system is down: open the log and check it; the failure, if any, is the system's own error. */
  openLog(dataDir: string, clock: Clock): void;
  /** While the system is down on a log that fails its check: keep it aside untouched and write a new one from the broker's books. */
  rebuildLogFromBroker(configuration: SystemConfiguration): Promise<LogRebuildReport>;
}
