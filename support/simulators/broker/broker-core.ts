import { Clock, Decimal, ZERO, isMultipleOf } from '../../../domain/shared';
import { Instrument, OrderType, Side, signedQuantity, Position, applyFill, flatPosition, unrealizedPnl } from '../../../domain/model';
import { BrokerBalance, BrokerFill, BrokerOrderStatus, BrokerOrderView, BrokerPosition, BrokerReport, FillPage, MAX_FILL_PAGE } from '../../../domain/execution';
import { BoundedLog } from '../bounded-log';

/** Machine-readable reasons a venue refuses a request with (HTTP 400 bodies on the wire). */
export const BROKER_REJECT_CODES = [
  'UNKNOWN_SYMBOL',
  'INVALID_QUANTITY',
  'INVALID_PRICE',
  'TICK_SIZE',
  'LOT_SIZE',
  'MIN_NOTIONAL',
  'INSUFFICIENT_MARGIN',
  'REDUCE_ONLY_WOULD_INCREASE',
  'UNKNOWN_ORDER',
  'ORDER_NOT_OPEN',
  'CANCELLED_BEFORE_ARRIVAL',
  'INVALID_REQUEST',
  'SCRIPTED_REJECT',
] as const;

export type BrokerRejectCode = (typeof BROKER_REJECT_CODES)[number];

/** Whether a text (a code a scenario scripts) is one the venue refuses with. */
export function isBrokerRejectCode(text: string): text is BrokerRejectCode {
  return (BROKER_REJECT_CODES as readonly string[]).includes(text);
}

export class BrokerRejection extends Error {
  constructor(readonly code: BrokerRejectCode, message: string) {
    super(message);
    this.name = 'BrokerRejection';
  }
}

export interface SimOrderRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Decimal;
  readonly limitPrice?: Decimal;
  readonly reduceOnly: boolean;
}

interface SimOrder {
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: Decimal;
  limitPrice?: Decimal;
  filledQuantity: Decimal;
  averageFillPrice: Decimal;
  status: BrokerOrderStatus;
}

/** One price level of resting liquidity from other market participants. */
export interface BookLevel {
  price: Decimal;
  quantity: Decimal;
}

export interface BrokerCoreOptions {
  readonly name: string;
  readonly clock: Clock;
  readonly instruments: readonly Instrument[];
  readonly currency?: string;
  /** Fees in basis points of notional. */
  readonly takerFeeBps?: Decimal;
  readonly makerFeeBps?: Decimal;
  /** How many requests `requests` keeps (the last ones). */
  readonly requestLogCapacity?: number;
}

/** A cancel answers with the order it cancelled, or, for an order not yet arrived, with the id it now refuses. */
export type SimCancelOutcome =
  | { readonly order: BrokerOrderView; readonly beforeArrival: false }
  | { readonly clientOrderId: string; readonly at: string; readonly beforeArrival: true };
export interface BrokerRequestRecord {
  readonly action: string;
  readonly clientOrderId?: string;
  readonly at: string;
}

const DEFAULT_REQUEST_LOG_CAPACITY = 10_000;

export type ReportListener = (report: BrokerReport & { seq: number }) => void;

/**
 * The broker simulator core: one account, an order book per symbol built from scripted liquidity,
 * price-time matching, partial fills, fees and margin. Transport-free: the in-process gateway calls
 * it directly and the wire server puts it behind HTTP and WebSocket unchanged.
 */
export class BrokerSimulatorCore {
  readonly name: string;
  readonly currency: string;
  readonly clock: Clock;
  private readonly instruments = new Map<string, Instrument>();
  private readonly takerFee: Decimal;
  private readonly makerFee: Decimal;
  private readonly orders = new Map<string, SimOrder>();
  private readonly bids = new Map<string, BookLevel[]>();
  private readonly asks = new Map<string, BookLevel[]>();
  private readonly marks = new Map<string, Decimal>();
  private readonly positionsBySymbol = new Map<string, Position>();
  private readonly fillLog: BrokerFill[] = [];
  /** Client order ids cancelled before their order arrived (tombstones), with when: an order arriving under one is refused. */
  private readonly cancelledBeforeArrival = new Map<string, string>();
  private readonly listeners = new Set<ReportListener>();
  private deposits = ZERO;
  private orderCounter = 0;
  private tradeCounter = 0;
  private reportSeq = 0;
  private scriptedRejections: { code: BrokerRejectCode; message: string }[] = [];
  private readonly requestLog: BoundedLog<BrokerRequestRecord>;

  constructor(options: BrokerCoreOptions) {
    this.name = options.name;
    this.clock = options.clock;
    this.currency = options.currency ?? 'USD';
    this.takerFee = (options.takerFeeBps ?? new Decimal(5)).div(10_000);
    this.makerFee = (options.makerFeeBps ?? new Decimal(2)).div(10_000);
    for (const instrument of options.instruments) this.instruments.set(instrument.symbol, instrument);
    this.requestLog = new BoundedLog(options.requestLogCapacity ?? DEFAULT_REQUEST_LOG_CAPACITY);
  }

  /** The last requestLogCapacity requests the broker received, in order: what reached the broker is asserted from here. */
  get requests(): readonly BrokerRequestRecord[] {
    return this.requestLog.toArray();
  }

  /** Requests that fell out of `requests` to keep it within its capacity. */
  get requestsDropped(): number {
    return this.requestLog.dropped;
  }

  // ---- scripting (the market and the scenario) ----

  deposit(amount: Decimal): void {
    this.deposits = this.deposits.plus(amount);
  }

  setMark(symbol: string, price: Decimal): void {
    this.marks.set(symbol, price);
  }

  /** Replace the resting liquidity of one side of the book. */
  setBook(symbol: string, side: 'bids' | 'asks', levels: readonly BookLevel[]): void {
    const sorted = [...levels].sort((a, b) => (side === 'asks' ? a.price.cmp(b.price) : b.price.cmp(a.price)));
    (side === 'asks' ? this.asks : this.bids).set(symbol, sorted.map(l => ({ ...l })));
  }

  book(symbol: string): { bids: BookLevel[]; asks: BookLevel[] } {
    return { bids: (this.bids.get(symbol) ?? []).map(l => ({ ...l })), asks: (this.asks.get(symbol) ?? []).map(l => ({ ...l })) };
  }

  /** The next order placed is refused with this code. */
  rejectNextOrder(code: BrokerRejectCode, message: string): void {
    this.scriptedRejections.push({ code, message });
  }

  /** Another participant trades against a resting order (at its limit price unless given). */
  tradeAgainst(clientOrderId: string, quantity: Decimal, price?: Decimal): BrokerFill {
    const order = this.requireOpen(clientOrderId);
    const remaining = order.quantity.minus(order.filledQuantity);
    if (quantity.gt(remaining)) throw new BrokerRejection('INVALID_QUANTITY', `only ${remaining} of ${clientOrderId} is open`);
    const fillPrice = price ?? order.limitPrice ?? this.marks.get(order.symbol);
    if (!fillPrice) throw new BrokerRejection('INVALID_PRICE', `no price to fill ${clientOrderId} at`);
    return this.fill(order, quantity, fillPrice, 'maker');
  }

  // ---- the venue's API ----

  placeOrder(request: SimOrderRequest): { order: BrokerOrderView; duplicate: boolean } {
    this.requestLog.push({ action: 'place', clientOrderId: request.clientOrderId, at: this.now() });
    const existing = this.orders.get(request.clientOrderId);
    // A reused client order id returns the order it already names, never a second one.
    if (existing) return { order: this.view(existing), duplicate: true };
    const cancelledAt = this.cancelledBeforeArrival.get(request.clientOrderId);
    if (cancelledAt) throw new BrokerRejection('CANCELLED_BEFORE_ARRIVAL', `order ${request.clientOrderId} was cancelled at ${cancelledAt}, before it arrived`);
    const scripted = this.scriptedRejections.shift();
    if (scripted) throw new BrokerRejection(scripted.code, scripted.message);
    const instrument = this.validate(request);
    const order: SimOrder = {
      clientOrderId: request.clientOrderId,
      brokerOrderId: `${this.name}-${++this.orderCounter}`,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      quantity: request.quantity,
      limitPrice: request.limitPrice,
      filledQuantity: ZERO,
      averageFillPrice: ZERO,
      status: 'open',
    };
    this.checkMargin(order, instrument);
    this.orders.set(order.clientOrderId, order);
    this.emit({ type: 'acknowledged', clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId, at: this.now() });
    this.match(order);
    if (order.type === 'market' && (order.status === 'open' || order.status === 'partially_filled')) {
      order.status = 'cancelled';
      this.emit({ type: 'cancelled', clientOrderId: order.clientOrderId, reason: 'market order remainder: no more liquidity in the book', at: this.now() });
    }
    return { order: this.view(order), duplicate: false };
  }

  /**
   * Cancel by client order id. An id the broker has not seen is remembered instead (a tombstone),
   * since its order may still be on its way: that order is refused when it arrives.
   */
  cancelOrder(clientOrderId: string): SimCancelOutcome {
    this.requestLog.push({ action: 'cancel', clientOrderId, at: this.now() });
    if (!this.orders.has(clientOrderId)) {
      const at = this.cancelledBeforeArrival.get(clientOrderId) ?? this.now();
      this.cancelledBeforeArrival.set(clientOrderId, at);
      return { clientOrderId, at, beforeArrival: true };
    }
    const order = this.requireOpen(clientOrderId);
    order.status = 'cancelled';
    this.emit({ type: 'cancelled', clientOrderId, reason: 'cancelled by request', at: this.now() });
    return { order: this.view(order), beforeArrival: false };
  }

  replaceOrder(clientOrderId: string, change: { quantity: Decimal; limitPrice?: Decimal }): BrokerOrderView {
    this.requestLog.push({ action: 'replace', clientOrderId, at: this.now() });
    const order = this.requireOpen(clientOrderId);
    const instrument = this.validate({ ...order, quantity: change.quantity, limitPrice: change.limitPrice ?? order.limitPrice, reduceOnly: false });
    if (change.quantity.lte(order.filledQuantity)) throw new BrokerRejection('INVALID_QUANTITY', `quantity ${change.quantity} is not above the filled ${order.filledQuantity}`);
    const increase = change.quantity.minus(order.quantity);
    if (increase.gt(0)) this.checkMargin({ ...order, quantity: increase }, instrument);
    order.quantity = change.quantity;
    order.limitPrice = change.limitPrice ?? order.limitPrice;
    this.emit({ type: 'replaced', clientOrderId, quantity: order.quantity, limitPrice: order.limitPrice, at: this.now() });
    this.match(order);
    return this.view(order);
  }

  /** Whether a cancel overtook this order: an order arriving under the id is refused. */
  cancelledBeforeItArrived(clientOrderId: string): boolean {
    return this.cancelledBeforeArrival.has(clientOrderId);
  }

  getOrder(clientOrderId: string): BrokerOrderView | undefined {
    this.requestLog.push({ action: 'get-order', clientOrderId, at: this.now() });
    const order = this.orders.get(clientOrderId);
    return order ? this.view(order) : undefined;
  }

  openOrders(): BrokerOrderView[] {
    return [...this.orders.values()].filter(o => o.status === 'open' || o.status === 'partially_filled').map(o => this.view(o));
  }

  allOrders(): BrokerOrderView[] {
    return [...this.orders.values()].map(o => this.view(o));
  }

  positions(): BrokerPosition[] {
    return [...this.positionsBySymbol.values()]
      .filter(p => !p.netQuantity.isZero() || !p.realizedPnl.isZero())
      .map(p => ({ symbol: p.symbol, netQuantity: p.netQuantity, averageEntryPrice: p.averageEntryPrice, realizedPnl: p.realizedPnl }));
  }

  balance(): BrokerBalance {
    let realized = ZERO;
    for (const p of this.positionsBySymbol.values()) realized = realized.plus(p.realizedPnl);
    return { currency: this.currency, cash: this.deposits.plus(realized) };
  }

  /** One page of the fill history; the cursor is the position in it, so a page never skips or repeats a fill. */
  fills(sinceCursor: number, limit: number): FillPage {
    if (!Number.isSafeInteger(sinceCursor) || sinceCursor < 0 || sinceCursor > this.fillLog.length) {
      throw new BrokerRejection('INVALID_REQUEST', `cursor ${sinceCursor} is not in the fill history (0 to ${this.fillLog.length})`);
    }
    if (!Number.isSafeInteger(limit) || limit < 1) throw new BrokerRejection('INVALID_REQUEST', `limit ${limit} must be a whole number of at least 1`);
    const fills = this.fillLog.slice(sinceCursor, sinceCursor + Math.min(limit, MAX_FILL_PAGE));
    const cursor = sinceCursor + fills.length;
    return { fills, cursor, more: cursor < this.fillLog.length };
  }

  /** The whole fill history, for a scenario's assertions (the API pages it). */
  fillHistory(): readonly BrokerFill[] {
    return this.fillLog;
  }

  /** The kill switch: cancel every open order. */
  cancelAll(): number {
    this.requestLog.push({ action: 'cancel-all', at: this.now() });
    const open = [...this.orders.values()].filter(o => o.status === 'open' || o.status === 'partially_filled');
    for (const order of open) {
      order.status = 'cancelled';
      this.emit({ type: 'cancelled', clientOrderId: order.clientOrderId, reason: 'cancel all (kill switch)', at: this.now() });
    }
    return open.length;
  }

  subscribe(listener: ReportListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- internals ----

  private validate(request: SimOrderRequest): Instrument {
    const instrument = this.instruments.get(request.symbol);
    if (!instrument) throw new BrokerRejection('UNKNOWN_SYMBOL', `unknown symbol ${request.symbol}`);
    if (!request.quantity.isFinite() || request.quantity.lte(0)) throw new BrokerRejection('INVALID_QUANTITY', `quantity ${request.quantity} must be positive`);
    if (!isMultipleOf(request.quantity, instrument.lotSize)) throw new BrokerRejection('LOT_SIZE', `quantity ${request.quantity} is not a multiple of ${instrument.lotSize}`);
    if (request.type === 'limit') {
      if (!request.limitPrice || !request.limitPrice.isFinite() || request.limitPrice.lte(0)) throw new BrokerRejection('INVALID_PRICE', 'a limit order needs a positive price');
      if (!isMultipleOf(request.limitPrice, instrument.tickSize)) throw new BrokerRejection('TICK_SIZE', `price ${request.limitPrice} is not a multiple of ${instrument.tickSize}`);
    }
    const reference = request.limitPrice ?? this.marks.get(request.symbol);
    if (reference && request.quantity.times(reference).lt(instrument.minNotional)) {
      throw new BrokerRejection('MIN_NOTIONAL', `notional ${request.quantity.times(reference)} is below ${instrument.minNotional}`);
    }
    if (request.reduceOnly) {
      const position = this.position(request.symbol).netQuantity;
      const after = position.plus(signedQuantity(request.side, request.quantity));
      if (position.isZero() || after.abs().gt(position.abs()) || (!after.isZero() && after.isNegative() !== position.isNegative())) {
        throw new BrokerRejection('REDUCE_ONLY_WOULD_INCREASE', 'reduce-only order would increase the position');
      }
    }
    return instrument;
  }

  /** Initial margin of all positions and open orders plus this one must fit in the equity. */
  private checkMargin(order: SimOrder, instrument: Instrument): void {
    const price = order.limitPrice ?? this.marks.get(order.symbol) ?? ZERO;
    let required = order.quantity.minus(order.filledQuantity).times(price).times(instrument.initialMarginRate);
    for (const open of this.openOrders()) {
      const rate = this.instruments.get(open.symbol)?.initialMarginRate ?? ZERO;
      required = required.plus(open.quantity.minus(open.filledQuantity).times(open.limitPrice ?? this.marks.get(open.symbol) ?? ZERO).times(rate));
    }
    let equity = this.balance().cash;
    for (const p of this.positionsBySymbol.values()) {
      const mark = this.marks.get(p.symbol) ?? p.averageEntryPrice;
      equity = equity.plus(unrealizedPnl(p, mark));
      required = required.plus(p.netQuantity.abs().times(mark).times(this.instruments.get(p.symbol)?.initialMarginRate ?? ZERO));
    }
    if (required.gt(equity)) throw new BrokerRejection('INSUFFICIENT_MARGIN', `initial margin ${required.toFixed(2)} exceeds equity ${equity.toFixed(2)}`);
  }

  private match(order: SimOrder): void {
    const levels = (order.side === 'buy' ? this.asks : this.bids).get(order.symbol) ?? [];
    const crosses = (price: Decimal) =>
      order.type === 'market' || !order.limitPrice || (order.side === 'buy' ? price.lte(order.limitPrice) : price.gte(order.limitPrice));
    while (levels.length > 0 && crosses(levels[0].price)) {
      const remaining = order.quantity.minus(order.filledQuantity);
      if (remaining.lte(0)) break;
      const level = levels[0];
      const quantity = Decimal.min(remaining, level.quantity);
      level.quantity = level.quantity.minus(quantity);
      if (level.quantity.lte(0)) levels.shift();
      this.fill(order, quantity, level.price, 'taker');
    }
  }

  private fill(order: SimOrder, quantity: Decimal, price: Decimal, liquidity: 'maker' | 'taker'): BrokerFill {
    const fee = quantity.times(price).times(liquidity === 'maker' ? this.makerFee : this.takerFee).toDecimalPlaces(8);
    const filledAfter = order.filledQuantity.plus(quantity);
    order.averageFillPrice = order.averageFillPrice.times(order.filledQuantity).plus(price.times(quantity)).div(filledAfter);
    order.filledQuantity = filledAfter;
    order.status = filledAfter.eq(order.quantity) ? 'filled' : 'partially_filled';
    this.positionsBySymbol.set(order.symbol, applyFill(this.position(order.symbol), { side: order.side, quantity, price, fee }));
    const fill: BrokerFill = {
      type: 'fill',
      clientOrderId: order.clientOrderId,
      brokerOrderId: order.brokerOrderId,
      tradeId: `${this.name}-T${++this.tradeCounter}`,
      symbol: order.symbol,
      side: order.side,
      quantity,
      price,
      fee,
      liquidity,
      at: this.now(),
    };
    this.fillLog.push(fill);
    this.emit(fill);
    return fill;
  }

  private position(symbol: string): Position {
    return this.positionsBySymbol.get(symbol) ?? flatPosition(symbol);
  }

  private requireOpen(clientOrderId: string): SimOrder {
    const order = this.orders.get(clientOrderId);
    if (!order) throw new BrokerRejection('UNKNOWN_ORDER', `no order ${clientOrderId}`);
    if (order.status !== 'open' && order.status !== 'partially_filled') throw new BrokerRejection('ORDER_NOT_OPEN', `order ${clientOrderId} is ${order.status}`);
    return order;
  }

  private view(order: SimOrder): BrokerOrderView {
    return {
      clientOrderId: order.clientOrderId,
      brokerOrderId: order.brokerOrderId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      quantity: order.quantity,
      limitPrice: order.limitPrice,
      filledQuantity: order.filledQuantity,
      averageFillPrice: order.averageFillPrice,
      status: order.status,
    };
  }

  private emit(report: BrokerReport): void {
    const sequenced = { ...report, seq: ++this.reportSeq };
    for (const listener of this.listeners) listener(sequenced);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
