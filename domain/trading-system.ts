import { Clock } from './shared/clock';
import { Decimal, ZERO, parsePositiveDecimal } from './shared/decimal';
import { TradingError } from './shared/errors';
import { InstrumentRegistry } from './model/instrument';
import { Order, isTerminal, sameTerms } from './model/order';
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
import { ExecutionCoordinator } from './execution/execution-coordinator';
import { LiveExecutionEngine } from './execution/live-execution-engine';
import { PositionReconciler } from './execution/position-reconciler';

export interface TradingSystemOptions {
  readonly eventStorePath: string;
  readonly broker: BrokerGateway;
  readonly clock: Clock;
  readonly instruments?: InstrumentRegistry;
  /** Settings version 0; later changes are events. */
  readonly defaultSettings?: Readonly<Record<string, string>>;
  /** Where structured logs go; silent when not given. */
  readonly logger?: Logger;
}

export interface RecoveryReport {
  readonly eventsReplayed: number;
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
  readonly eventsReplayed: number;
  private closed = false;

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
    this.risk = new LiveRiskManager(state, this.telemetry, options.clock);
    this.engine = new LiveExecutionEngine(this.ledger, options.broker, this.telemetry, logger);
    this.reconciler = new PositionReconciler(this.ledger, () => options.broker, this.telemetry);
    this.coordinator = new ExecutionCoordinator(this.ledger, this.risk, this.engine, this.reconciler, this.telemetry, options.clock);
    this.engine.start();
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
   * closed; a cancel or replace left pending is settled by what the broker shows. Then every
   * position is reconciled.
   */
  async recover(): Promise<RecoveryReport> {
    const broker = this.options.broker;
    let fillsRecovered = 0;
    let ordersClosed = 0;
    for (let cursor = 0; ; ) {
      const page = await broker.fills(cursor);
      for (const fill of page.fills) {
        const order = this.state.orders.get(fill.clientOrderId);
        if (order && !this.state.tradeIds.has(fill.tradeId) && this.engine.applyFill(fill)) fillsRecovered += 1;
      }
      if (page.fills.length === 0 || page.cursor <= cursor) break;
      cursor = page.cursor;
    }
    for (const order of this.state.workingOrders()) {
      const id = order.clientOrderId;
      const view = await broker.getOrder(id);
      if (isTerminal(order)) continue;
      if (!view) {
        this.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: id, reason: 'not known at the broker on recovery' } });
        ordersClosed += 1;
        continue;
      }
      if (view.filledQuantity.gt(order.filledQuantity) && this.inferFill(order, view)) fillsRecovered += 1;
      if (isTerminal(order)) continue;
      if (view.status === 'cancelled' || view.status === 'rejected') {
        this.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: id, reason: `broker reports ${view.status} on recovery` } });
        ordersClosed += 1;
      } else if (view.status === 'expired') {
        this.ledger.record({ type: 'OrderExpired', payload: { clientOrderId: id, reason: 'broker reports expired on recovery' } });
        ordersClosed += 1;
      } else if (view.status === 'open' || view.status === 'partially_filled') {
        this.settleOpenOrder(order.clientOrderId, view);
      }
    }
    const symbols = new Set([...this.state.positions.keys(), ...(await broker.positions()).map(p => p.symbol)]);
    for (const symbol of symbols) await this.reconciler.reconcile(symbol, 'recovery');
    const report = {
      eventsReplayed: this.eventsReplayed,
      fillsRecovered,
      ordersClosed,
      ordersStillWorking: this.state.workingOrders().length,
    };
    (this.options.logger ?? SILENT_LOGGER).log('info', 'recovered', { ...report });
    return report;
  }

  /** A fill the broker's history does not show: quantity and price from the broker's order totals, a deterministic trade id. */
  private inferFill(order: Order, view: BrokerOrderView): boolean {
    const quantity = view.filledQuantity.minus(order.filledQuantity);
    const price = view.averageFillPrice.times(view.filledQuantity).minus(order.averageFillPrice.times(order.filledQuantity)).div(quantity);
    const fill = {
      type: 'fill' as const,
      clientOrderId: order.clientOrderId,
      brokerOrderId: view.brokerOrderId,
      tradeId: `inferred-${order.clientOrderId}-${view.filledQuantity.toString()}`,
      symbol: order.symbol,
      side: order.side,
      quantity,
      price,
      fee: ZERO,
      liquidity: 'taker' as const,
      at: this.options.clock.now().toISOString(),
    };
    return this.engine.applyFill(fill, true) !== null;
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
    this.engine.stop();
    this.ledger.store.close();
  }
}

