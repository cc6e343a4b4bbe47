import { Clock } from './shared/clock';
import { Decimal, parsePositiveDecimal } from './shared/decimal';
import { TradingError } from './shared/errors';
import { InstrumentRegistry } from './model/instrument';
import { Order, isTerminal, mayStillArrive, sameTerms } from './model/order';
import { LiveRiskManager } from './risk/live-risk-manager';
import { SqliteEventStore } from './state/event-store';
import { StoredEvent } from './state/events';
import { TradingLedger } from './state/ledger';
import { StateProjection } from './state/projection';
import { DEFAULT_SETTINGS } from './state/runtime-settings';
import { Telemetry } from './telemetry/telemetry';
import { Logger, SILENT_LOGGER } from './telemetry/logger';
import { logRecordedEvent } from './telemetry/event-log-levels';
import { BrokerGateway, BrokerOrderView } from './execution/broker-gateway';
import { BalanceReconciler } from './execution/balance-reconciler';
import { ExecutionCoordinator } from './execution/execution-coordinator';
import { LiveExecutionEngine } from './execution/live-execution-engine';
import { PositionReconciler } from './execution/position-reconciler';
import { BrokerRouter } from './execution/broker-router';
import { BrokerHealthPolicy, BrokerHealthTracker } from './execution/broker-health';
import { BrokerErrorLog } from './execution/broker-error-log';
import { describeError } from './shared/errors';
import { BreakerMonitor } from './breakers/breaker-monitor';
import { inferFill } from './recovery/fill-inference';
import { GatewayEventRecorder } from './recovery/gateway-event-recorder';
import { DegradedModeSwitch } from './recovery/degraded-mode-switch';

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
}

/** Fills asked for per page of the broker's history: about 40 KiB of JSON, well inside MAX_BODY_BYTES. */
const FILL_PAGE_SIZE = 200;

export interface RecoveryReport {
  readonly eventsReplayed: number;
  readonly positionsChecked: number;
  readonly fillsRecovered: number;
  readonly ordersClosed: number;
  readonly ordersStillWorking: number;
}

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
  readonly eventsReplayed: number;
  private readonly gatewayEvents: GatewayEventRecorder;
  private readonly degradedMode: DegradedModeSwitch;
  private readonly balance: BalanceReconciler;
  private closed = false;
  private synchronising: { gateway: BrokerGateway; done: Promise<RecoveryReport> } | null = null;

  private constructor(readonly options: TradingSystemOptions) {
    const store = SqliteEventStore.open(options.eventStorePath, options.clock);
    const state = new StateProjection(options.instruments ?? new InstrumentRegistry(), options.defaultSettings ?? DEFAULT_SETTINGS);
    try {
      this.ledger = TradingLedger.rebuild(store, state);
    } catch (error) {
      store.close();
      throw error;
    }
    this.eventsReplayed = store.length;
    const logger = options.logger ?? SILENT_LOGGER;
    this.ledger.subscribe(event => logRecordedEvent(logger, event));
    this.risk = new LiveRiskManager({ state, telemetry: this.telemetry, clock: options.clock });
    this.brokerErrors = new BrokerErrorLog({ ledger: this.ledger, telemetry: this.telemetry });
    this.degradedMode = new DegradedModeSwitch({ ledger: this.ledger, changeSettings: (changes, actor, reason) => this.changeSettings(changes, actor, reason) });
    this.gatewayEvents = new GatewayEventRecorder({ ledger: this.ledger, telemetry: this.telemetry, activeBroker: () => this.brokers.name, synchronise: trigger => this.synchronise(trigger) });
    const health = new BrokerHealthTracker({ clock: options.clock, policy: options.healthPolicy });
    for (const [broker, since] of state.routing.unhealthySince) health.restoreUnhealthy(broker, Date.parse(since));
    this.brokers = new BrokerRouter({
      brokers: [options.broker, ...(options.fallbackBrokers ?? [])],
      health,
      hooks: {
        onHealthChange: change =>
          this.ledger.record({
            type: 'BrokerHealthChanged',
            payload: { broker: change.broker, healthy: change.healthy, reason: change.reason, consecutiveFailures: change.consecutiveFailures, errorRate: change.errorRate.toFixed(2) },
          }),
        synchronise: (gateway, trigger) => this.synchronise(trigger, gateway).then(() => undefined),
        onSwitch: (from, to, reason) => this.ledger.record({ type: 'BrokerSwitched', payload: { from, to, reason } }),
        onDegraded: (degraded, reason) => this.degradedMode.set(degraded, reason),
        onGatewayEvent: (broker, event) => this.gatewayEvents.record(broker, event),
      },
      restored: { activeBroker: state.routing.activeBroker, degraded: state.routing.degraded !== null },
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
    });
    this.balance = new BalanceReconciler({ ledger: this.ledger, broker: this.brokers, telemetry: this.telemetry, brokerErrors: this.brokerErrors });
    this.engine.start();
    this.breakers = new BreakerMonitor({ ledger: this.ledger, coordinator: this.coordinator, broker: () => this.brokers, reconciler: this.reconciler, telemetry: this.telemetry, clock: options.clock, logger, brokerErrors: this.brokerErrors, changeSettings: (changes, actor, reason) => this.changeSettings(changes, actor, reason) });
    if (options.circuitBreakers !== 'disarmed') this.breakers.start();
  }

  static open(options: TradingSystemOptions): TradingSystem {
    return new TradingSystem(options);
  }

  get state(): StateProjection {
    return this.ledger.state;
  }

  get events(): StoredEvent[] {
    return this.ledger.store.read();
  }

  fund(amount: string, currency = 'USD'): StoredEvent {
    const value = parsePositiveDecimal(amount, 'deposit');
    return this.ledger.record({ type: 'AccountFunded', payload: { currency, amount: value.toString() } });
  }

  /** Start-of-day equity is the base of the daily loss limit; orders also start a new day by themselves. */
  startTradingDay(): void {
    this.coordinator.rollTradingDay();
  }

  updateMark(symbol: string, price: string | Decimal): StoredEvent {
    this.state.instruments.get(symbol);
    const value = parsePositiveDecimal(price, `mark price of ${symbol}`);
    return this.ledger.record({ type: 'MarkPriceUpdated', payload: { symbol, price: value.toString() } });
  }

  /** A settings change is validated as a whole; a refused change leaves version and values as they were. */
  changeSettings(changes: Readonly<Record<string, string>>, actor: string, reason: string): StoredEvent {
    if (!actor.trim() || !reason.trim()) throw new TradingError('InvalidSettings', 'a settings change needs an actor and a reason');
    const canonical = this.state.settings.prepare(changes);
    this.telemetry.increment('settings.changed');
    return this.ledger.record({ type: 'SettingsChanged', payload: { version: this.state.settings.version + 1, changes: canonical, actor, reason } });
  }

  /**
   * After a restart: ask the broker what happened to every order the log still has working. Fills
   * that arrived while the system was down are applied from the broker's fill history; a fill the
   * history lacks is inferred from the broker's order (REFERENCE.md); orders the broker closed are
   * closed; a cancel or replace left pending is settled by what the broker shows; an order the
   * broker does not have yet stays in flight until it can no longer arrive. Then every position is
   * reconciled.
   */
  recover(): Promise<RecoveryReport> {
    return this.synchronise('recovery');
  }

  /**
   * Bring the log in line with a broker over REST: after a restart, a reconnect, a sequence gap, or
   * before switching to a fallback broker. One at a time; a second request joins the first.
   */
  synchronise(trigger: string, gateway: BrokerGateway = this.brokers.active): Promise<RecoveryReport> {
    const running = this.synchronising;
    if (running && running.gateway === gateway) return running.done;
    // A synchronisation with another broker (a switch during a reconnect) waits for the running one, then reads its own broker.
    const done = (running ? running.done.catch(() => undefined) : Promise.resolve())
      .then(() => this.synchroniseWith(gateway, trigger))
      .finally(() => {
        if (this.synchronising?.done === done) this.synchronising = null;
      });
    this.synchronising = { gateway, done };
    return done;
  }

  private async synchroniseWith(broker: BrokerGateway, trigger: string): Promise<RecoveryReport> {
    try {
      return await this.synchroniseSteps(broker, trigger);
    } catch (error) {
      const { kind, message } = describeError(error);
      this.ledger.record({ type: 'BrokerSyncFailed', payload: { broker: broker.name, trigger, errorKind: kind, reason: message } });
      this.brokerErrors.record(error, { broker: broker.name, operation: `synchronise (${trigger})`, saw: { 'trading system': `synchronisation after ${trigger} stopped; state left as it was, to be retried` } });
      throw error;
    }
  }

  private async synchroniseSteps(broker: BrokerGateway, trigger: string): Promise<RecoveryReport> {
    let fillsRecovered = 0;
    let ordersClosed = 0;
    // From where the last synchronisation with this broker stopped: its history only grows.
    let cursor = this.state.fillCursor(broker.name);
    for (;;) {
      const page = await broker.fills(cursor, FILL_PAGE_SIZE);
      if (page.cursor < cursor || (page.more && page.cursor === cursor) || page.fills.length > FILL_PAGE_SIZE) {
        throw new TradingError('ProtocolError', `broker ${broker.name} answered fills from ${cursor} with a page that goes back or does not move (cursor ${page.cursor}, ${page.fills.length} fills, more: ${page.more})`, { broker: broker.name, operation: 'fills', cursor, pageCursor: page.cursor });
      }
      // A page is written with one sync to disk; the cursor moves only after the page is on record.
      fillsRecovered += this.ledger.batch(() => {
        let applied = 0;
        for (const fill of page.fills) {
          const order = this.state.orders.get(fill.clientOrderId);
          if (order && !this.state.tradeIds.has(fill.tradeId) && this.engine.applyFill(fill, { fromHistory: true })) applied += 1;
        }
        return applied;
      });
      cursor = page.cursor;
      if (!page.more) break;
    }
    for (const order of this.state.workingOrders()) {
      const id = order.clientOrderId;
      const view = await broker.getOrder(id);
      if (isTerminal(order)) continue;
      if (!view) {
        if (this.closeUnknownOrder(order, trigger)) ordersClosed += 1;
        continue;
      }
      if (view.filledQuantity.gt(order.filledQuantity) && this.inferFill(order, view)) fillsRecovered += 1;
      if (isTerminal(order)) continue;
      if (view.status === 'cancelled' || view.status === 'rejected') {
        this.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: id, reason: `broker reports ${view.status} on ${trigger}` } });
        ordersClosed += 1;
      } else if (view.status === 'expired') {
        this.ledger.record({ type: 'OrderExpired', payload: { clientOrderId: id, reason: `broker reports expired on ${trigger}` } });
        ordersClosed += 1;
      } else if (view.status === 'open' || view.status === 'partially_filled') {
        this.settleOpenOrder(order.clientOrderId, view);
      }
    }
    const symbols = new Set([...this.state.positions.keys(), ...(await broker.positions()).map(p => p.symbol)]);
    for (const symbol of symbols) await this.reconciler.reconcile(symbol, trigger, broker);
    const report = {
      eventsReplayed: this.eventsReplayed,
      fillsRecovered,
      ordersClosed,
      ordersStillWorking: this.state.workingOrders().length,
      positionsChecked: symbols.size,
    };
    this.ledger.record({
      type: 'StateSynchronised',
      payload: { broker: broker.name, trigger, fillsRecovered, ordersClosed, ordersStillWorking: report.ordersStillWorking, positionsChecked: symbols.size, fillCursor: cursor },
    });
    (this.options.logger ?? SILENT_LOGGER).log('info', 'synchronised', { trigger, broker: broker.name, ...report });
    return report;
  }

  /** Compare cash with the broker's wallet balance; a failed query is recorded and never read as zero. */
  reconcileBalance(trigger: string): Promise<StoredEvent> {
    return this.balance.reconcile(trigger);
  }

  /** How long after signing the broker still takes a request (the setting the broker's own window is configured to). */
  private get receiveWindowMs(): number {
    return Number(this.state.settings.snapshot().broker_receive_window_ms ?? DEFAULT_SETTINGS.broker_receive_window_ms);
  }

  /**
   * An order the broker does not know. One it never acknowledged may still be on its way: it stays
   * in flight, its exposure reserved, until the broker's receive window has passed since its latest
   * request was signed; then it can no longer arrive and is closed. Returns whether it was closed.
   */
  private closeUnknownOrder(order: Order, trigger: string): boolean {
    const toleranceMs = Number(this.state.settings.snapshot().broker_clock_tolerance_ms ?? DEFAULT_SETTINGS.broker_clock_tolerance_ms);
    if (mayStillArrive(order, this.options.clock.now(), this.receiveWindowMs + toleranceMs)) return false;
    const reason =
      order.brokerOrderId === undefined
        ? `can no longer arrive: not known at the broker on ${trigger}, and its receive window of ${this.receiveWindowMs} ms (plus ${toleranceMs} ms for the broker's clock) has passed since the request was signed at ${order.signedAt ?? order.updatedAt}`
        : `not known at the broker on ${trigger}`;
    this.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: order.clientOrderId, reason } });
    return true;
  }

  /**
   * Orders sent but never answered: ask the broker for each by client order id. One it has is
   * acknowledged (its fills follow from the synchronisation). One it does not have is closed once it
   * can no longer arrive; until then it is sent again under the same id, which the broker cannot turn
   * into a second order (nor book after a cancel it acknowledged), signed anew and so in flight again
   * for a whole receive window.
   */
  async resolveInFlightOrders(): Promise<{ found: number; resubmitted: number; closed: number; unresolved: number }> {
    const result = { found: 0, resubmitted: 0, closed: 0, unresolved: 0 };
    for (const order of this.state.workingOrders().filter(o => o.status === 'submitted')) {
      let view;
      try {
        view = await this.brokers.getOrder(order.clientOrderId);
      } catch (error) {
        this.brokerErrors.record(error, { broker: this.brokers.name, operation: 'get-order', clientOrderId: order.clientOrderId, saw: { 'trading system': 'in-flight order still unresolved; it stays reserved' } });
        result.unresolved += 1;
        continue;
      }
      if (this.state.order(order.clientOrderId).status !== 'submitted') continue;
      if (view) {
        this.ledger.record({ type: 'OrderAcknowledged', payload: { clientOrderId: order.clientOrderId, brokerOrderId: view.brokerOrderId } });
        result.found += 1;
      } else if (this.closeUnknownOrder(order, 'in-flight resolution')) {
        result.closed += 1;
      } else {
        const outcome = await this.engine.resubmit(order, 'in flight and not known at the broker');
        if (outcome.outcome === 'acknowledged') result.resubmitted += 1;
        else result.unresolved += 1;
      }
    }
    if (result.found > 0) await this.synchronise('in-flight resolution');
    return result;
  }

  /** Ask every unhealthy broker whose cool-down has passed whether it is back. */
  checkBrokers(): Promise<void> {
    return this.brokers.probe();
  }

  /** A fill the broker's history does not show, inferred from its order totals and applied. */
  private inferFill(order: Order, view: BrokerOrderView): boolean {
    const fill = inferFill(order, view, this.options.clock.now());
    return fill !== null && this.engine.applyFill(fill, { inferred: true }) !== null;
  }

  /** The broker still has the order open: whatever was pending before the crash did not happen, or did. */
  private settleOpenOrder(clientOrderId: string, view: BrokerOrderView): void {
    const order = this.state.order(clientOrderId);
    if (order.status === 'submitted') {
      this.ledger.record({ type: 'OrderAcknowledged', payload: { clientOrderId, brokerOrderId: view.brokerOrderId } });
    } else if (order.status === 'pending_cancel') {
      this.ledger.record({ type: 'OrderCancelRefused', payload: { clientOrderId, errorKind: 'UnknownOrder', reason: 'cancel not confirmed before the restart; the broker still has the order open' } });
    } else if (order.status === 'pending_replace') {
      if (order.pendingReplace && sameTerms(view, order.pendingReplace)) {
        this.engine.recordReplaced(clientOrderId, view.quantity, view.limitPrice);
      } else {
        this.ledger.record({ type: 'OrderReplaceRefused', payload: { clientOrderId, stage: 'broker', errorKind: 'UnknownOrder', reason: 'replace not applied at the broker before the restart' } });
      }
    }
  }

  /** Close the log; the broker connection belongs to whoever opened it. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gatewayEvents.stop();
    this.breakers.stop();
    this.engine.stop();
    void this.brokers.close();
    this.ledger.store.close();
  }
}

