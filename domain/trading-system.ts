import { Clock, Decimal, TradingError } from './shared';
import { InstrumentRegistry } from './model';
import { LiveRiskManager } from './risk';
import { StoredEvent, InputDesk, TradingLedger, StateProjection, DEFAULT_SETTINGS, TradingState, LogOpening, PrefixCheck, PrefixVerdict, ProjectionSnapshots, SnapshotOptions, openLog } from './state';
import { Telemetry, Logger, SILENT_LOGGER, logRecordedEvent } from './telemetry';
import { BalanceReconciler, PositionReconciler, ReconciliationService, ResolutionRequest, ConsistencyCheck, checkConsistency } from './reconciliation';
import type { ReconciliationRunPayload } from './reconciliation';
import { BrokerGateway, ExecutionCoordinator, LiveExecutionEngine, BrokerRouter, BrokerRoutingRecorder, BrokerHealthPolicy, BrokerHealthTracker, BrokerErrorLog } from './execution';
import { BreakerMonitor } from './breakers';
import { BrokerSynchroniser, RecoveryReport, InFlightResolution, InFlightResolver, GatewayEventRecorder, DegradedModeSwitch } from './recovery';
import { MarketDataSource, MarketState, MarketView, SessionWatch } from './market';

export type { RecoveryReport } from './recovery';

export interface TradingSystemOptions {
  readonly eventStorePath: string;
  readonly broker: BrokerGateway;
  /** Brokers to switch to, in order, when the primary turns unhealthy (same account, other routes). */
  readonly fallbackBrokers?: readonly BrokerGateway[];
  readonly healthPolicy?: BrokerHealthPolicy;
  readonly clock: Clock;
  readonly instruments?: InstrumentRegistry;
  /** Settings version 0; later changes are events. */
  readonly defaultSettings?: Readonly<Record<string, string>>;
  /** Where structured logs go; silent when not given. */
  readonly logger?: Logger;
  /** Circuit breakers watch the live state unless disarmed (armed when not given). */
  readonly circuitBreakers?: 'armed' | 'disarmed';
  /**
   * The venue's public market data (marks, books, trading status, implied volatility, prior closes).
   * When given, the market state follows it, the market checks run for every order and the session
   * watch acts on the venue's day; connect it with connectMarketData() after open.
   */
  readonly marketData?: MarketDataSource;
  /**
   * When the system reconciles with its broker by itself: at start-up (trading waits for a complete
   * run), after a reconnect's synchronisation and on the schedule the settings name ('automatic');
   * or only when an operator asks ('on request', the default).
   */
  readonly reconciliation?: 'automatic' | 'on request';
  /** What the client order ids the system hands out start with: 1 to 20 letters or digits, "CO" unless named. */
  readonly clientOrderIdPrefix?: string;
  /**
   * Snapshots of the projection kept in the log's file, so an open restores the newest and replays
   * only the events after it (domain/state/snapshot-store.ts says why that is safe); 'off' neither
   * uses nor takes them. Taken every 10,000 events and on close unless told otherwise.
   */
  readonly snapshots?: SnapshotOptions | 'off';
}

/** Whether the log's chain is known to be whole: at once after a full replay, once the check of the part before the snapshot answers otherwise. */
export type LogIntegrity = PrefixVerdict | { readonly status: 'checking'; readonly through: number };

/**
 * The reference trading system, assembled from its ports. Opening it on an existing event log
 * rebuilds orders, positions, balances and settings from that log.
 */
export class TradingSystem {
  readonly telemetry = new Telemetry();
  readonly ledger: TradingLedger;
  readonly risk: LiveRiskManager;
  readonly engine: LiveExecutionEngine;
  readonly reconciler: PositionReconciler;
  readonly coordinator: ExecutionCoordinator;
  readonly breakers: BreakerMonitor;
  /** The broker the system routes to: the primary, or a fallback after a switch. */
  readonly brokers: BrokerRouter;
  readonly brokerErrors: BrokerErrorLog;
  /** Events the log held when the system opened: the state it opened with includes them all. */
  readonly eventsReplayed: number;
  /** How the state was brought up to the log's head at open: from a snapshot and its tail, or by a full replay. */
  readonly logOpening: LogOpening;
  /** Settles when the whole chain is known to be whole, or not: at once after a full replay. */
  readonly logChecked: Promise<LogIntegrity>;
  /** What the system knows of the market (null without market data). */
  readonly marketState: MarketState | null;
  private readonly sessionWatch: SessionWatch | null;
  private readonly inputs: InputDesk;
  private readonly synchroniser: BrokerSynchroniser;
  private readonly inFlight: InFlightResolver;
  private readonly gatewayEvents: GatewayEventRecorder;
  private readonly degradedMode: DegradedModeSwitch;
  private readonly balance: BalanceReconciler;
  readonly reconciliation: ReconciliationService;
  /** Until a start-up reconciliation completes, nothing new trades (automatic reconciliation only). */
  private startUp: { status: 'pending' | 'incomplete'; reason: string } | null;
  private nextScheduledRun: number | null = null;
  private startUpHold: (() => void) | null = null;
  private readonly background = new Set<Promise<unknown>>();
  private readonly snapshots: ProjectionSnapshots | null;
  private readonly prefixCheck: PrefixCheck | null;
  private integrity: LogIntegrity;
  private closed = false;

  private constructor(readonly options: TradingSystemOptions) {
    if (options.clientOrderIdPrefix !== undefined && !/^[A-Za-z0-9]{1,20}$/.test(options.clientOrderIdPrefix)) {
      throw new TradingError('InvalidInput', `client order id prefix ${JSON.stringify(options.clientOrderIdPrefix)} must be 1-20 letters or digits`, { field: 'clientOrderIdPrefix' });
    }
    const defaults = options.defaultSettings ?? DEFAULT_SETTINGS;
    // The projection is restored from a snapshot or rebuilt as the log is verified, one event at a time; a log that fails the check leaves no system behind.
    const opened = openLog(options.eventStorePath, options.clock, { instruments: options.instruments ?? new InstrumentRegistry(), defaults, fromSnapshot: options.snapshots !== 'off' });
    const { store, state } = opened;
    this.ledger = new TradingLedger(store, state);
    this.eventsReplayed = store.length;
    this.logOpening = opened.opening;
    const logger = options.logger ?? SILENT_LOGGER;
    this.ledger.subscribe(event => logRecordedEvent(logger, event));
    for (const aside of opened.opening.setAside) logger.log(aside.reason === 'other basis' ? 'info' : 'warn', `snapshot of the projection at seq ${aside.seq} set aside (${aside.reason}): ${aside.problem}`, { seq: aside.seq, reason: aside.reason });
    this.snapshots = options.snapshots === 'off' ? null : new ProjectionSnapshots(store, state, options.clock, opened.basis, { ...options.snapshots, since: opened.opening.snapshotSeq });
    this.ledger.subscribe(() => this.takeSnapshotIfDue(logger));
    this.prefixCheck = opened.prefixCheck;
    this.integrity = this.prefixCheck ? { status: 'checking', through: this.prefixCheck.through.seq } : { status: 'verified', events: store.length };
    this.logChecked = this.prefixCheck ? this.prefixCheck.verdict.then(verdict => this.logCheckAnswered(verdict, logger)) : Promise.resolve(this.integrity);
    this.inputs = new InputDesk({ ledger: this.ledger, telemetry: this.telemetry });
    const changeSettings = (changes: Readonly<Record<string, string>>, actor: string, reason: string) => this.inputs.changeSettings(changes, actor, reason);
    this.startUp = options.reconciliation !== 'automatic' ? null : { status: 'pending', reason: 'the start-up reconciliation has not completed: nothing new trades before it' };
    this.risk = new LiveRiskManager({ state, telemetry: this.telemetry, clock: options.clock, market: symbol => this.marketView(symbol), tradingStateCap: () => this.tradingStateCap() });
    this.brokerErrors = new BrokerErrorLog({ ledger: this.ledger, telemetry: this.telemetry });
    this.degradedMode = new DegradedModeSwitch({ ledger: this.ledger, changeSettings });
    this.gatewayEvents = new GatewayEventRecorder({ ledger: this.ledger, telemetry: this.telemetry, activeBroker: () => this.brokers.name, synchronise: trigger => this.synchronise(trigger) });
    const routing = new BrokerRoutingRecorder({ ledger: this.ledger });
    this.brokers = new BrokerRouter({
      brokers: [options.broker, ...(options.fallbackBrokers ?? [])],
      health: routing.restoreHealth(new BrokerHealthTracker({ clock: options.clock, policy: options.healthPolicy })),
      hooks: {
        onHealthChange: change => routing.healthChanged(change),
        synchronise: (gateway, trigger) => this.synchronise(trigger, gateway).then(() => undefined),
        onSwitch: (from, to, reason) => routing.switched(from, to, reason),
        onDegraded: (degraded, reason) => this.degradedMode.set(degraded, reason),
        onGatewayEvent: (broker, event) => this.gatewayEvents.record(broker, event),
      },
      restored: routing.restoredRoute(),
    });
    this.engine = new LiveExecutionEngine({ ledger: this.ledger, broker: this.brokers, telemetry: this.telemetry, clock: options.clock, logger, brokerErrors: this.brokerErrors });
    this.reconciler = new PositionReconciler({ ledger: this.ledger, broker: () => this.brokers, telemetry: this.telemetry, brokerErrors: this.brokerErrors });
    this.coordinator = new ExecutionCoordinator({
      ledger: this.ledger,
      risk: this.risk,
      engine: this.engine,
      reconciler: this.reconciler,
      telemetry: this.telemetry,
      clock: options.clock,
      brokerErrors: this.brokerErrors,
      clientOrderIdPrefix: options.clientOrderIdPrefix,
    });
    this.balance = new BalanceReconciler({ ledger: this.ledger, broker: this.brokers, telemetry: this.telemetry, brokerErrors: this.brokerErrors });
    this.inFlight = new InFlightResolver({ ledger: this.ledger, broker: this.brokers, engine: this.engine, clock: options.clock, brokerErrors: this.brokerErrors, synchronise: trigger => this.synchronise(trigger) });
    this.synchroniser = new BrokerSynchroniser({
      ledger: this.ledger,
      engine: this.engine,
      reconciler: this.reconciler,
      inFlight: this.inFlight,
      brokerErrors: this.brokerErrors,
      clock: options.clock,
      logger,
      activeBroker: () => this.brokers.active,
      eventsReplayed: this.eventsReplayed,
    });
    this.reconciliation = new ReconciliationService({ ledger: this.ledger, engine: this.engine, inFlight: this.inFlight, broker: () => this.brokers, telemetry: this.telemetry, brokerErrors: this.brokerErrors, clock: options.clock, logger });
    if (options.reconciliation === 'automatic') {
      this.ledger.subscribe(event => {
        if (event.type === 'StateSynchronised' && event.payload.trigger !== 'recovery') this.inBackground(this.reconcile(`after ${event.payload.trigger}`));
        if (event.type === 'MarkPriceUpdated') this.runIfDue();
      });
    }
    this.engine.start();
    // A restarted system that reconciles by itself takes no live report before the start-up run has read the broker's history.
    this.startUpHold = this.startUp && this.eventsReplayed > 0 ? this.engine.holdReports() : null;
    this.breakers = new BreakerMonitor({ ledger: this.ledger, coordinator: this.coordinator, broker: () => this.brokers, reconciler: this.reconciler, telemetry: this.telemetry, clock: options.clock, logger, brokerErrors: this.brokerErrors, changeSettings });
    if (options.circuitBreakers !== 'disarmed') this.breakers.start();
    if (options.marketData) {
      this.sessionWatch = new SessionWatch({
        ledger: this.ledger,
        clock: options.clock,
        orders: { place: input => this.coordinator.place(input), cancel: (id, reason) => this.coordinator.cancel(id, reason) },
        telemetry: this.telemetry,
      });
      this.marketState = new MarketState({
        ledger: this.ledger,
        clock: options.clock,
        recordMark: (symbol, price) => this.inputs.updateMark(symbol, price),
        sessionWatch: this.sessionWatch,
        telemetry: this.telemetry,
      });
      this.marketState.attach(options.marketData);
    } else {
      this.sessionWatch = null;
      this.marketState = null;
    }
  }

  static open(options: TradingSystemOptions): TradingSystem {
    return new TradingSystem(options);
  }

  /**
   * Connect the market data source given at open (open stays synchronous): resolves once every
   * book's first snapshot is in; without a source, at once. A refused connection rejects.
   */
  async connectMarketData(): Promise<void> {
    await this.marketState?.connect();
  }

  /** The market the checks read for a symbol now; null without market data or for an unlisted symbol. */
  marketView(symbol: string): MarketView | null {
    return this.marketState?.view(symbol) ?? null;
  }

  /** Resolves when the market state's snapshot requests and the session watch's order actions started so far have been answered. */
  marketIdle(): Promise<void> {
    return this.marketState?.idle() ?? Promise.resolve();
  }

  get state(): StateProjection {
    return this.ledger.state;
  }

  get events(): StoredEvent[] {
    return this.ledger.store.read();
  }

  fund(amount: string, currency = 'USD'): StoredEvent {
    return this.inputs.fund(amount, currency);
  }

  /** Start-of-day equity is the base of the daily loss limit; orders also start a new day by themselves. */
  startTradingDay(): void {
    this.coordinator.rollTradingDay();
  }

  updateMark(symbol: string, price: string | Decimal): StoredEvent {
    return this.inputs.updateMark(symbol, price);
  }

  /** A settings change is validated as a whole; a refused change leaves version and values as they were. */
  changeSettings(changes: Readonly<Record<string, string>>, actor: string, reason: string): StoredEvent {
    return this.inputs.changeSettings(changes, actor, reason);
  }

  /** After a restart: ask the broker what happened to every order the log still has working (BrokerSynchroniser). */
  recover(): Promise<RecoveryReport> {
    return this.synchronise('recovery');
  }

  /** Bring the log in line with a broker (the active one unless named); a second request joins the first. */
  synchronise(trigger: string, gateway: BrokerGateway = this.brokers.active): Promise<RecoveryReport> {
    return this.synchroniser.synchronise(trigger, gateway);
  }

  /** Compare cash with the broker's wallet balance; a failed query is recorded and never read as zero. */
  reconcileBalance(trigger: string): Promise<StoredEvent> {
    return this.balance.reconcile(trigger);
  }

  /** Orders sent but never answered, asked for at the broker by client order id (InFlightResolver). */
  resolveInFlightOrders(): Promise<InFlightResolution> {
    return this.inFlight.resolve();
  }

  /** Ask every unhealthy broker whose cool-down has passed whether it is back. */
  checkBrokers(): Promise<void> {
    return this.brokers.probe();
  }

  /**
   * Reconcile with the broker now (the operator's request, or a trigger of the system's own): one
   * run at a time, a request while one runs joins it. A complete run lifts the start-up hold.
   */
  async reconcile(trigger: string): Promise<ReconciliationRunPayload> {
    const run = await this.reconciliation.run(trigger);
    if (this.startUp) {
      this.startUp = run.status === 'complete' ? null : { status: 'incomplete', reason: `the start-up reconciliation could not see ${run.parts.filter(p => p.status === 'skipped').map(p => p.part).join(', ')}: nothing new trades before a complete run` };
    }
    const interval = Number(this.state.settings.snapshot().reconciliation_interval_seconds);
    this.nextScheduledRun = interval > 0 ? this.options.clock.now().getTime() + interval * 1000 : null;
    return run;
  }

  /** At start-up: reconcile before anything new trades (automatic reconciliation only; on request this does nothing). */
  async reconcileAtStartUp(): Promise<ReconciliationRunPayload | null> {
    if (this.options.reconciliation !== 'automatic') return null;
    try {
      return await this.reconcile('start-up');
    } finally {
      this.startUpHold?.();
      this.startUpHold = null;
    }
  }

  /** A risk officer's decision on an item of the reconciliation queue; anyone else is refused, on record. */
  resolveReconciliationItem(request: ResolutionRequest): StoredEvent {
    return this.reconciliation.resolve(request);
  }

  /** The data consistency checks (plan 4.5.2) now, recorded as one event. */
  checkConsistency(trigger: string): readonly ConsistencyCheck[] {
    const state = this.state;
    const exposure = this.risk.projectedExposure();
    const checks = checkConsistency(
      {
        events: this.ledger.store.read(),
        chain: this.ledger.store.verify(),
        live: state,
        instruments: state.instruments,
        defaultSettings: this.options.defaultSettings ?? DEFAULT_SETTINGS,
        counters: this.telemetry.counterSnapshot(),
        eventsReplayed: this.eventsReplayed,
        risk: { gross: exposure.gross, net: exposure.net, reservations: this.risk.workingExposure() },
      },
      { fillReceiptMs: Number(state.settings.snapshot().fill_receipt_tolerance_ms) },
    );
    this.ledger.record({ type: 'ConsistencyChecked', payload: { trigger, passed: checks.every(c => c.passed), checks: checks.map(c => ({ ...c })) } });
    return checks;
  }

  /** Resolves when reconciliation runs started by the system itself (schedule, reconnect) are recorded. */
  async reconciliationIdle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
    await this.reconciliation.idle();
  }

  private inBackground(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  private runIfDue(): void {
    if (this.startUp || this.closed) return;
    const interval = Number(this.state.settings.snapshot().reconciliation_interval_seconds);
    if (!(interval > 0)) return;
    const now = this.options.clock.now().getTime();
    this.nextScheduledRun ??= now + interval * 1000;
    if (now >= this.nextScheduledRun) {
      this.nextScheduledRun = now + interval * 1000;
      this.inBackground(this.reconcile('schedule'));
    }
  }

  /** Whether the log's chain is known to be whole (see logChecked). */
  logIntegrity(): LogIntegrity {
    return this.integrity;
  }

  /** Snapshot the projection now (it stands at the log's last committed event); null when nothing was written. */
  takeSnapshot(): { seq: number; size: number } | null {
    return this.snapshots?.take() ?? null;
  }

  private takeSnapshotIfDue(logger: Logger): void {
    try {
      this.snapshots?.takeIfDue();
    } catch (error) {
      // A snapshot is a shortcut for the next open, never a condition of recording: the log is whole without it.
      logger.log('warn', `snapshot of the projection not taken: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * The check of the chain before the snapshot answered. A break is handled as a corrupted log is:
   * nothing new trades, an alert goes out, and the snapshots are dropped so the next open verifies
   * the whole log and refuses it (then the log is rebuilt from the broker). A check that could not
   * run leaves the chain unproven: trading halts the same way, the snapshots are kept.
   */
  private logCheckAnswered(verdict: PrefixVerdict, logger: Logger): LogIntegrity {
    this.integrity = verdict;
    if (verdict.status === 'corrupted' || verdict.status === 'failed') {
      const message = verdict.status === 'corrupted' ? verdict.error.message : `the event log's chain before the snapshot is not proven: ${verdict.problem}`;
      if (verdict.status === 'corrupted' && !this.closed) this.snapshots?.dropAll();
      logger.log('error', message, { kind: verdict.status === 'corrupted' ? verdict.error.kind : 'EventStoreUnchecked' });
      this.telemetry.alert({
        breaker: 'event log integrity',
        level: 'critical',
        observed: verdict.status === 'corrupted' ? `broken at seq ${String(verdict.error.details.brokenAt)}` : 'not checked',
        limit: 'an unbroken hash chain',
        at: this.options.clock.now().toISOString(),
        message,
      });
    }
    return verdict;
  }

  private tradingStateCap(): { state: TradingState; reason: string } | null {
    const integrity = this.integrity;
    if (integrity.status === 'corrupted') return { state: 'HALTED', reason: `${integrity.error.kind}: ${integrity.error.message}: nothing trades on it` };
    if (integrity.status === 'failed') return { state: 'HALTED', reason: `the event log's chain before the snapshot is not proven (${integrity.problem}): nothing trades before it is` };
    if (this.startUp) return { state: 'HALTED', reason: this.startUp.reason };
    return this.reconciliation.queueCap();
  }

  /** Close the log and the market data source; the broker connection belongs to whoever opened it. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.marketState?.stop();
    void this.options.marketData?.close().catch(() => undefined);
    this.gatewayEvents.stop();
    this.breakers.stop();
    this.engine.stop();
    void this.brokers.close();
    // What this turn staged is committed before the snapshot is taken: a snapshot is of committed events only.
    this.ledger.flush();
    this.prefixCheck?.stop();
    if (this.integrity.status !== 'corrupted') {
      try {
        this.snapshots?.takeOnClose();
      } catch (error) {
        (this.options.logger ?? SILENT_LOGGER).log('warn', `snapshot of the projection not taken on close: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.ledger.store.close();
  }
}

