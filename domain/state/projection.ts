import { Decimal, ZERO, TradingError } from '../shared';
import {
  Order,
  OrderRequest,
  OrderStatus,
  TERMINAL_STATUSES,
  canTransition,
  createOrder,
  defaultTimeInForce,
  isWorking,
  remainingQuantity,
  statusAfterRefusal,
  transition,
  Position,
  applyFill,
  flatPosition,
  AccountSnapshot,
  accountSnapshot,
  InstrumentRegistry,
} from '../model';
import { DomainEvent, StoredEvent } from './events';
import { RuntimeSettings } from './runtime-settings';
import { BreakerBoard } from './breaker-board';
import { BrokerRouting } from './broker-routing';
import { MarketBoard } from './market-board';
import { ReconciliationBoard } from './reconciliation-board';

/** A fill as the log booked it, by trade id: what reconciliation compares with the broker's history. */
export interface BookedFill {
  readonly tradeId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly quantity: Decimal;
  readonly price: Decimal;
  readonly fee: Decimal;
  /** Inferred from the broker's order totals: no trade of the broker's history carries its id. */
  readonly inferred: boolean;
  /** When the log booked it. */
  readonly bookedAt: string;
}

/** An order as an event that brings one into the books names it; what the event decides for itself comes in `terms`. */
function orderFrom(
  p: { clientOrderId: string; symbol: string; side: OrderRequest['side']; orderType: OrderRequest['type']; quantity: string; limitPrice?: string },
  terms: Pick<OrderRequest, 'reduceOnly' | 'timeInForce' | 'extendedHours'>,
  at: string,
): Order {
  const limitPrice = p.limitPrice !== undefined ? new Decimal(p.limitPrice) : undefined;
  return createOrder({ clientOrderId: p.clientOrderId, symbol: p.symbol, side: p.side, type: p.orderType, quantity: new Decimal(p.quantity), limitPrice, ...terms }, at);
}

/** Applies a prepared event; `at` is the time the event store gave it. */
export type Commit = (at: string) => void;

/**
 * Orders, positions, balances, marks and settings as a projection of the event log. Applying an
 * event is split in two: prepare() checks it against the current state and throws if it is
 * illegal, so nothing is appended that the projection would refuse; the returned commit applies it.
 */
export class StateProjection {
  readonly orders = new Map<string, Order>();
  readonly positions = new Map<string, Position>();
  readonly marks = new Map<string, Decimal>();
  /** When each mark was recorded, as the event store stamped it. */
  readonly markTimes = new Map<string, string>();
  readonly tradeIds = new Set<string>();
  readonly fills = new Map<string, BookedFill>();
  /** Per broker: how far its fill history has been read, so a restart does not read it from the start again. */
  readonly fillCursors = new Map<string, number>();
  readonly settings: RuntimeSettings;
  readonly breakers = new BreakerBoard();
  readonly routing = new BrokerRouting();
  /** Trading statuses, implied volatilities, prior closes, market-wide levels, sessions and close actions, from the log. */
  readonly market = new MarketBoard();
  /** The manual queue, kept differences and run history of reconciliation, from the log. */
  readonly reconciliation = new ReconciliationBoard();
  deposits = ZERO;
  /** Cash reconciliation moved (a drift accepted from the broker): not a deposit, so it counts in the day's P&L. */
  cashAdjustments = ZERO;
  currency = 'USD';
  tradingDay: string | null = null;
  startOfDayEquity: Decimal | null = null;
  lastSeq = 0;

  constructor(readonly instruments: InstrumentRegistry, defaults?: Readonly<Record<string, string>>) {
    this.settings = new RuntimeSettings(defaults);
  }

  order(clientOrderId: string): Order {
    const order = this.orders.get(clientOrderId);
    if (!order) throw new TradingError('UnknownOrder', `no order with client order id ${clientOrderId}`, { clientOrderId });
    return order;
  }

  position(symbol: string): Position {
    return this.positions.get(symbol) ?? flatPosition(symbol);
  }

  openPositions(): Position[] {
    return [...this.positions.values()].filter(p => !p.netQuantity.isZero());
  }

  /** Where to read this broker's fill history from: 0 until a synchronisation with it has been recorded. */
  fillCursor(broker: string): number {
    return this.fillCursors.get(broker) ?? 0;
  }

  /**
   * The working orders, in the order they became working, kept as events move orders: the risk
   * check of every order reads them, and walking every order the day has seen made each check
   * slower than the last. Built from the orders at first use (after a restore from a snapshot);
   * derived, so not part of the state a snapshot holds (a private field is not dumped).
   */
  #working: Map<string, Order> | null = null;

  workingOrders(): Order[] {
    if (this.#working === null) this.#working = new Map([...this.orders].filter(([, order]) => isWorking(order)));
    return [...this.#working.values()];
  }

  /** Only an event about one order (it names its clientOrderId) moves an order in or out of work. */
  private followWork(event: DomainEvent): void {
    const working = this.#working;
    if (working === null) return;
    const id = (event.payload as { clientOrderId?: unknown }).clientOrderId;
    if (typeof id !== 'string') return;
    const order = this.orders.get(id);
    if (order !== undefined && isWorking(order)) {
      if (!working.has(id)) working.set(id, order);
    } else {
      working.delete(id);
    }
  }

  private applying(event: DomainEvent, commit: Commit): Commit {
    return at => {
      commit(at);
      this.followWork(event);
    };
  }

  account(): AccountSnapshot {
    return accountSnapshot({
      currency: this.currency,
      deposits: this.deposits.plus(this.cashAdjustments),
      positions: [...this.positions.values()],
      marks: this.marks,
      instruments: symbol => this.instruments.get(symbol),
    });
  }

  /** Rebuild from a log, in order. */
  replay(events: readonly StoredEvent[]): void {
    for (const event of events) {
      this.applying(event, this.prepareLogged(event))(event.at);
      this.lastSeq = event.seq;
    }
  }

  /**
   * Check an event about to be recorded; the commit applies it as the log will give it back (its
   * payload through JSON, as the store writes it), so the live state is the state a replay of the
   * log builds, to the last field: no undefined key, no -0, no object shared with the caller.
   */
  prepare(event: DomainEvent): Commit {
    const logged = { type: event.type, payload: JSON.parse(JSON.stringify(event.payload)) as unknown } as DomainEvent;
    return this.applying(logged, this.prepareLogged(logged));
  }

  private prepareLogged(event: DomainEvent): Commit {
    switch (event.type) {
      case 'AccountFunded': {
        const amount = new Decimal(event.payload.amount);
        return () => {
          this.currency = event.payload.currency;
          this.deposits = this.deposits.plus(amount);
          // Money paid in during the day is not profit: the daily loss base moves with it.
          if (this.startOfDayEquity !== null) this.startOfDayEquity = this.startOfDayEquity.plus(amount);
        };
      }
      case 'TradingDayStarted':
        return () => {
          this.tradingDay = event.payload.tradingDay;
          this.startOfDayEquity = new Decimal(event.payload.startEquity);
        };
      case 'SettingsChanged': {
        if (event.payload.version !== this.settings.version + 1) {
          throw new TradingError('InvalidSettings', `settings version ${event.payload.version} does not follow ${this.settings.version}`);
        }
        return () => this.settings.apply(event.payload.version, event.payload.changes);
      }
      case 'MarkPriceUpdated': {
        const price = new Decimal(event.payload.price);
        return (at: string) => {
          this.marks.set(event.payload.symbol, price);
          this.markTimes.set(event.payload.symbol, at);
        };
      }
      case 'InputRejected':
        return () => undefined;
      case 'OrderRequested': {
        const p = event.payload;
        if (this.orders.has(p.clientOrderId)) {
          throw new TradingError('DuplicateClientOrderId', `client order id ${p.clientOrderId} is already in use`, { clientOrderId: p.clientOrderId });
        }
        const instrument = this.instruments.find(p.symbol);
        return (at: string) => {
          const order = orderFrom(p, { reduceOnly: p.reduceOnly, timeInForce: p.timeInForce ?? (instrument ? defaultTimeInForce(instrument) : 'gtc'), extendedHours: p.extendedHours ?? false }, at);
          transition(order, 'pending_risk', at);
          this.orders.set(order.clientOrderId, order);
        };
      }
      case 'RiskCheckPassed':
        this.requireStatus(event.payload.clientOrderId, 'pending_risk');
        return () => undefined;
      case 'OrderRejected':
        return this.moveTo(event.payload.clientOrderId, 'rejected', order => {
          order.reason = event.payload.reason;
        });
      case 'OrderSubmitted':
        return this.moveTo(event.payload.clientOrderId, 'submitted', order => (order.signedAt = event.payload.signedAt ?? order.updatedAt));
      case 'OrderResubmitted': {
        const order = this.order(event.payload.clientOrderId);
        // The request is signed again: the latest signing is the one the broker's receive window counts from.
        return (at: string) => (order.signedAt = event.payload.signedAt ?? at);
      }
      case 'OrderAcknowledged': {
        const order = this.order(event.payload.clientOrderId);
        // An ack that arrives after a fill (the report stream can overtake the REST answer) only records the broker's id.
        if (order.status !== 'submitted') return () => (order.brokerOrderId = event.payload.brokerOrderId);
        return this.moveTo(order.clientOrderId, 'acknowledged', o => (o.brokerOrderId = event.payload.brokerOrderId));
      }
      case 'OrderFilled':
        return this.prepareFill(event);
      case 'FillRejected':
        return () => undefined;
      case 'OrderCancelRefused': {
        const order = this.order(event.payload.clientOrderId);
        if (order.status !== 'pending_cancel') return () => undefined;
        return this.moveTo(order.clientOrderId, statusAfterRefusal(order));
      }
      case 'OrderCancelRequested':
        return this.moveTo(event.payload.clientOrderId, 'pending_cancel');
      case 'OrderCancelled':
        return this.moveTo(event.payload.clientOrderId, 'cancelled', order => {
          order.reason = event.payload.reason;
          order.pendingReplace = undefined;
        });
      case 'OrderReplaceRequested': {
        const quantity = new Decimal(event.payload.quantity);
        const limitPrice = event.payload.limitPrice !== undefined ? new Decimal(event.payload.limitPrice) : undefined;
        return this.moveTo(event.payload.clientOrderId, 'pending_replace', order => {
          order.pendingReplace = { quantity, limitPrice };
        });
      }
      case 'OrderReplaceRefused': {
        const order = this.order(event.payload.clientOrderId);
        if (order.status !== 'pending_replace') return () => undefined;
        return this.moveTo(order.clientOrderId, statusAfterRefusal(order), o => (o.pendingReplace = undefined));
      }
      case 'OrderReplaced': {
        const order = this.order(event.payload.clientOrderId);
        // A new quantity at or below what is already filled leaves nothing working: the order is filled.
        const quantity = Decimal.max(new Decimal(event.payload.quantity), order.filledQuantity);
        const limitPrice = event.payload.limitPrice !== undefined ? new Decimal(event.payload.limitPrice) : undefined;
        const next: OrderStatus = quantity.eq(order.filledQuantity) ? 'filled' : order.filledQuantity.isZero() ? 'acknowledged' : 'partially_filled';
        const update = (o: Order) => {
          o.quantity = quantity;
          o.limitPrice = limitPrice;
          o.pendingReplace = undefined;
        };
        // The broker may report a replace we no longer wait for (its answer timed out): apply the terms in place.
        if (order.status === next) return (at: string) => {
          update(order);
          order.updatedAt = at;
        };
        return this.moveTo(order.clientOrderId, next, update);
      }
      case 'OrderFailed':
        return this.moveTo(event.payload.clientOrderId, 'failed', order => {
          order.reason = event.payload.reason;
        });
      case 'OrderExpired':
        return this.moveTo(event.payload.clientOrderId, 'expired', order => {
          order.reason = event.payload.reason;
        });
      case 'BreakerRegistered':
      case 'BreakerLevelChanged':
      case 'BreakerTripped':
      case 'BreakerActionTaken':
      case 'BreakerHealthChecked':
      case 'BreakerReset':
      case 'BreakerResetRefused':
      case 'BreakerLimitsRestored':
        return this.breakers.prepare(event);
      case 'BrokerHealthChanged':
      case 'BrokerSwitched':
      case 'DegradedModeChanged':
        return this.routing.prepare(event);
      case 'StateSynchronised': {
        const { broker, fillCursor } = event.payload;
        if (fillCursor === undefined) return () => undefined;
        if (!Number.isSafeInteger(fillCursor) || fillCursor < 0) {
          throw new TradingError('InvalidInput', `fill cursor of broker ${broker} must be a whole number, got ${String(fillCursor)}`, { broker, fillCursor });
        }
        return () => this.fillCursors.set(broker, fillCursor);
      }
      case 'ReconciliationCompleted':
      case 'ReconciliationItemEscalated':
      case 'ReconciliationItemResolved':
      case 'ReconciliationResolutionRefused':
      case 'TradeQuarantined':
      case 'ConsistencyChecked':
      case 'EventLogRebuilt':
        return this.reconciliation.prepare(event);
      case 'OrderAdopted':
        return this.prepareAdoption(event);
      case 'BooksAdjusted':
        return this.prepareAdjustment(event);
      case 'MarketStatusChanged':
      case 'ImpliedVolatilityUpdated':
      case 'PriorCloseRecorded':
      case 'MarketWideBreakerTriggered':
      case 'MarketSessionChanged':
      case 'ClosePreparationStarted':
      case 'DayOrdersExpired':
        return this.market.prepare(event);
      case 'MarketDataConnectionChanged':
      case 'MarketDataMessageRejected':
      case 'MarketDataGap':
      case 'MarketBookResynchronised':
      case 'PositionReconciled':
      case 'BrokerErrorRecorded':
      case 'BrokerRequestRetried':
      case 'BrokerConnectionChanged':
      case 'BrokerMessageRejected':
      case 'BrokerSequenceAnomaly':
      case 'BrokerSessionChanged':
      case 'BrokerSyncFailed':
      case 'BalanceReconciled':
      case 'ReconciliationSkipped':
        return () => undefined;
    }
  }

  private prepareFill(event: Extract<DomainEvent, { type: 'OrderFilled' }>): Commit {
    const p = event.payload;
    const order = this.order(p.clientOrderId);
    const quantity = new Decimal(p.quantity);
    const price = new Decimal(p.price);
    const fee = new Decimal(p.fee);
    if (this.tradeIds.has(p.tradeId)) {
      throw new TradingError('DuplicateFill', `trade ${p.tradeId} was already applied`, { tradeId: p.tradeId, clientOrderId: p.clientOrderId });
    }
    if (quantity.gt(remainingQuantity(order))) {
      throw new TradingError('Overfill', `fill of ${quantity} exceeds the ${remainingQuantity(order)} left on ${order.clientOrderId}`, {
        clientOrderId: order.clientOrderId,
        tradeId: p.tradeId,
      });
    }
    const filledAfter = order.filledQuantity.plus(quantity);
    const complete = filledAfter.eq(order.quantity);
    if (order.status === 'rejected' || order.status === 'new' || order.status === 'pending_risk') {
      throw new TradingError('IllegalTransition', `order ${order.clientOrderId} is ${order.status} and never reached the broker: it cannot take a fill`, {
        clientOrderId: order.clientOrderId,
        from: order.status,
      });
    }
    // A fill reported after the order closed (cancelled, expired, failed) is still a trade: apply it, keep the status.
    const closed = TERMINAL_STATUSES.has(order.status);
    // A fill during pending cancel or replace keeps the pending state until the broker answers it.
    const pending = order.status === 'pending_cancel' || order.status === 'pending_replace';
    const next: OrderStatus = closed ? order.status : complete ? 'filled' : pending ? order.status : 'partially_filled';
    if (next !== order.status && !canTransition(order.status, next)) {
      throw new TradingError('IllegalTransition', `order ${order.clientOrderId} in ${order.status} cannot take a fill`, { clientOrderId: order.clientOrderId, from: order.status, to: next });
    }
    return (at: string) => {
      order.averageFillPrice = order.averageFillPrice.times(order.filledQuantity).plus(price.times(quantity)).div(filledAfter);
      order.filledQuantity = filledAfter;
      order.fees = order.fees.plus(fee);
      if (next !== order.status) transition(order, next, at);
      else order.updatedAt = at;
      if (complete) order.pendingReplace = undefined;
      this.tradeIds.add(p.tradeId);
      this.fills.set(p.tradeId, { tradeId: p.tradeId, clientOrderId: order.clientOrderId, symbol: order.symbol, quantity, price, fee, inferred: p.inferred === true, bookedAt: at });
      this.positions.set(order.symbol, applyFill(this.position(order.symbol), { side: order.side, quantity, price, fee }));
    };
  }

  private prepareAdoption(event: Extract<DomainEvent, { type: 'OrderAdopted' }>): Commit {
    const p = event.payload;
    if (this.orders.has(p.clientOrderId)) {
      throw new TradingError('DuplicateClientOrderId', `client order id ${p.clientOrderId} is already in use: an order the system knows is not adopted`, { clientOrderId: p.clientOrderId });
    }
    const instrument = this.instruments.get(p.symbol);
    return (at: string) => {
      const order = orderFrom(p, { reduceOnly: false, timeInForce: defaultTimeInForce(instrument), extendedHours: false }, at);
      // Adopted as the broker has it: working there, so working here, through the states an order passes.
      for (const status of ['pending_risk', 'submitted', 'acknowledged'] as const) transition(order, status, at);
      order.brokerOrderId = p.brokerOrderId;
      order.reason = p.reason;
      this.orders.set(order.clientOrderId, order);
    };
  }

  private prepareAdjustment(event: Extract<DomainEvent, { type: 'BooksAdjusted' }>): Commit {
    const { position, cash } = event.payload;
    const quantity = position ? new Decimal(position.netQuantity) : null;
    const average = position ? new Decimal(position.averageEntryPrice) : null;
    const amount = cash ? new Decimal(cash.amount) : null;
    if (position) this.instruments.get(position.symbol);
    if (average && average.isNegative()) throw new TradingError('InvalidInput', `an average entry price cannot be negative: ${average.toString()}`);
    if (cash && cash.currency !== this.currency) throw new TradingError('InvalidInput', `the account keeps ${this.currency}, not ${cash.currency}`, { currency: cash.currency });
    return () => {
      if (position && quantity && average) {
        const current = this.position(position.symbol);
        this.positions.set(position.symbol, { ...current, netQuantity: quantity, averageEntryPrice: quantity.isZero() ? ZERO : average });
      }
      if (amount) this.cashAdjustments = this.cashAdjustments.plus(amount);
    };
  }

  private requireStatus(clientOrderId: string, status: OrderStatus): void {
    const order = this.order(clientOrderId);
    if (order.status !== status) {
      throw new TradingError('IllegalTransition', `order ${clientOrderId} is ${order.status}, expected ${status}`, { clientOrderId, from: order.status });
    }
  }

  private moveTo(clientOrderId: string, to: OrderStatus, update?: (order: Order) => void): Commit {
    const order = this.order(clientOrderId);
    if (!canTransition(order.status, to)) {
      throw new TradingError('IllegalTransition', `order ${clientOrderId} cannot go from ${order.status} to ${to}`, {
        clientOrderId,
        from: order.status,
        to,
      });
    }
    return (at: string) => {
      transition(order, to, at);
      update?.(order);
    };
  }

}
