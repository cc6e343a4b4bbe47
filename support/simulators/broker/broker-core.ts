import { Clock, Decimal, ZERO, isMultipleOf } from '../../../domain/shared';
import { Instrument, OrderType, Side, signedQuantity, Position, applyFill, flatPosition, unrealizedPnl } from '../../../domain/model';
import { BrokerBalance, BrokerFill, BrokerLeverage, BrokerOrderStatus, BrokerOrderView, BrokerPosition, BrokerReport, FillPage, KILL_SWITCH_CANCEL_REASON, MAX_FILL_PAGE } from '../../../domain/execution';
import { DEFAULT_SETTINGS } from '../../../domain/state';
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

/** The reads of the venue's API a scenario can make fail. */
export type BrokerQuery = 'positions' | 'balance' | 'openOrders' | 'fills' | 'getOrder' | 'leverage' | 'time';

/** unavailable: 503 on the wire, BrokerUnavailable in process; rate-limited: 429 with Retry-After, RateLimited. */
export type BrokerQueryFailureKind = 'unavailable' | 'rate-limited';

/** A read the venue's API refused to answer, as scripted with failNext: each transport turns it into its own error. */
export class BrokerQueryFailure extends Error {
  constructor(
    readonly query: BrokerQuery,
    readonly kind: BrokerQueryFailureKind,
  ) {
    super(kind === 'unavailable' ? `the broker cannot answer ${query} now` : `too many ${query} requests`);
    this.name = 'BrokerQueryFailure';
  }
}

/** A wallet credit (positive) or debit (negative) the venue booked outside any trade. */
export interface BalanceAdjustment {
  readonly amount: Decimal;
  readonly reason: string;
  readonly at: string;
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

/** One trade the broker booked; busted: taken back by the venue. */
interface Execution {
  fill: BrokerFill;
  busted: boolean;
}

/** How a fill reaches the books: reported on the user channel, and recorded in the fill history. */
interface Booking {
  readonly report: boolean;
  readonly record: boolean;
}

const REPORTED: Booking = { report: true, record: true };

/** The leverage a fresh account holds on every listed instrument: where the system's own default setting assumes it is. */
const DEFAULT_VENUE_LEVERAGE = new Decimal(DEFAULT_SETTINGS.position_leverage);

/** An order's filled quantity and average price once one more fill is counted. */
function withFill(totals: { filledQuantity: Decimal; averageFillPrice: Decimal }, quantity: Decimal, price: Decimal): { filledQuantity: Decimal; averageFillPrice: Decimal } {
  const filledQuantity = totals.filledQuantity.plus(quantity);
  return { filledQuantity, averageFillPrice: totals.averageFillPrice.times(totals.filledQuantity).plus(price.times(quantity)).div(filledQuantity) };
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
  /** Every trade booked, in order: positions and order totals are these, less the busted ones. */
  private readonly executions: Execution[] = [];
  /** The fill history: the recorded trades in order, a place each; a busted trade keeps its place (the cursor counts places). */
  private readonly historySlots: Execution[] = [];
  private readonly leverageBySymbol = new Map<string, Decimal>();
  private readonly adjustments: BalanceAdjustment[] = [];
  private readonly queryFailures: { query: BrokerQuery; kind: BrokerQueryFailureKind; remaining: number }[] = [];
  /** Fills the next served page with any in it leaves out. */
  private fillsToOmit = 0;
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
    for (const instrument of options.instruments) {
      this.instruments.set(instrument.symbol, instrument);
      this.leverageBySymbol.set(instrument.symbol, DEFAULT_VENUE_LEVERAGE);
    }
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
    return this.fillResting(clientOrderId, quantity, price, REPORTED);
  }

  /** The leverage the venue applies to a symbol from now on (every listed one starts at the system's default). */
  setLeverage(symbol: string, leverage: Decimal): void {
    if (!this.instruments.has(symbol)) throw new BrokerRejection('UNKNOWN_SYMBOL', `unknown symbol ${symbol}`);
    if (!leverage.isFinite() || leverage.lte(0)) throw new BrokerRejection('INVALID_REQUEST', `leverage ${leverage} must be greater than zero`);
    this.leverageBySymbol.set(symbol, leverage);
  }

  // ---- scripted venue incidents (the broker's books change; the system is not told) ----

  /** A resting order trades and the fill is in the history, but its report is never sent (no seq used up either): lost in transit. */
  fillSilently(clientOrderId: string, quantity: Decimal, price?: Decimal): BrokerFill {
    return this.fillResting(clientOrderId, quantity, price, { report: false, record: true });
  }

  /** A resting order trades and the books count it (order totals, position, cash), but it is neither reported nor in the fill history. */
  fillUnrecorded(clientOrderId: string, quantity: Decimal, price?: Decimal): BrokerFill {
    return this.fillResting(clientOrderId, quantity, price, { report: false, record: false });
  }

  /** The venue cancels a working order and sends no report. */
  cancelSilently(clientOrderId: string): BrokerOrderView {
    const order = this.requireOpen(clientOrderId);
    order.status = 'cancelled';
    return this.view(order);
  }

  /** The venue loses an order: it no longer answers for it (a get finds nothing, a cancel is taken as one before arrival); its fills stay booked. */
  forgetOrder(clientOrderId: string): void {
    if (!this.orders.delete(clientOrderId)) throw new BrokerRejection('UNKNOWN_ORDER', `no order ${clientOrderId}`);
  }

  /**
   * The venue busts a trade: the books are as if it never happened (order totals, position, cash),
   * and it leaves the fill history but keeps its place there (a page over it shows a hole that
   * stays). No report is sent. A working order gets the quantity back; a filled one is done, so it
   * ends cancelled rather than going back on the book.
   */
  bustTrade(tradeId: string): void {
    const execution = this.liveExecution(tradeId);
    execution.busted = true;
    this.rebook(execution.fill);
    const order = this.orderOf(execution.fill);
    if (!order) return;
    if (order.status === 'open' || order.status === 'partially_filled') order.status = order.filledQuantity.isZero() ? 'open' : 'partially_filled';
    else if (order.status === 'filled' && order.filledQuantity.lt(order.quantity)) order.status = 'cancelled';
  }

  /** A trade correction: the trade stands at this price (its fee with it); order average, position and cash follow; the history shows it corrected. No report. */
  correctTradePrice(tradeId: string, price: Decimal): BrokerFill {
    if (!price.isFinite() || price.lte(0)) throw new BrokerRejection('INVALID_PRICE', `corrected price ${price} must be greater than zero`);
    const execution = this.liveExecution(tradeId);
    const { fill } = execution;
    execution.fill = { ...fill, price, fee: this.feeOf(fill.quantity, price, fill.liquidity) };
    this.rebook(execution.fill);
    return execution.fill;
  }

  /** A wallet credit (positive) or debit (negative) outside any trade: a funding payment, a fee rebate. */
  adjustBalance(amount: Decimal, reason: string): BalanceAdjustment {
    if (!amount.isFinite() || amount.isZero()) throw new BrokerRejection('INVALID_REQUEST', `a balance adjustment must be a non-zero amount, got ${amount}`);
    if (reason.trim() === '') throw new BrokerRejection('INVALID_REQUEST', 'a balance adjustment needs a reason');
    const adjustment = { amount, reason, at: this.now() };
    this.adjustments.push(adjustment);
    return adjustment;
  }

  /** The adjustments booked, in order. */
  balanceAdjustments(): readonly BalanceAdjustment[] {
    return this.adjustments;
  }

  /**
   * The next page the API serves with fills in it leaves `count` of them out of its middle but its
   * cursor still moves past them: fewer fills than the cursor moved. Pages after it are whole.
   */
  omitFromNextFillsPage(count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new Error(`omitFromNextFillsPage: count must be a positive integer, got ${count}`);
    this.fillsToOmit += count;
  }

  /** The next `times` API reads of this kind fail (503, or 429 when rate-limited) before touching the books; then they answer again. */
  failNext(query: BrokerQuery, times: number, kind: BrokerQueryFailureKind = 'unavailable'): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`failNext: times must be a positive integer, got ${times}`);
    this.queryFailures.push({ query, kind, remaining: times });
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
   * Limit orders already resting on the venue's book, placed in one go (a book at scale for a
   * benchmark): each is validated as placeOrder validates it and must not cross the book, and the
   * margin of all of them is checked once, together, instead of order by order (which grows with
   * the square of the count). Nothing is booked when any of them is refused. Acknowledged as placeOrder does.
   */
  restOrders(requests: readonly SimOrderRequest[]): BrokerOrderView[] {
    const orders: SimOrder[] = [];
    const ids = new Set<string>();
    const required = new Map<string, Decimal>();
    for (const request of requests) {
      if (request.type !== 'limit') throw new BrokerRejection('INVALID_REQUEST', `order ${request.clientOrderId}: only limit orders rest`);
      if (this.orders.has(request.clientOrderId) || ids.has(request.clientOrderId)) throw new BrokerRejection('INVALID_REQUEST', `client order id ${request.clientOrderId} is already in use`);
      this.validate(request);
      const opposite = (request.side === 'buy' ? this.asks : this.bids).get(request.symbol)?.[0];
      const limit = request.limitPrice as Decimal;
      if (opposite && (request.side === 'buy' ? opposite.price.lte(limit) : opposite.price.gte(limit))) {
        throw new BrokerRejection('INVALID_REQUEST', `order ${request.clientOrderId} would cross the book at ${opposite.price}: it cannot rest`);
      }
      ids.add(request.clientOrderId);
      orders.push({ clientOrderId: request.clientOrderId, brokerOrderId: '', symbol: request.symbol, side: request.side, type: 'limit', quantity: request.quantity, limitPrice: limit, filledQuantity: ZERO, averageFillPrice: ZERO, status: 'open' });
      required.set(request.symbol, (required.get(request.symbol) ?? ZERO).plus(request.quantity.times(limit)));
    }
    if (orders.length > 0) {
      // One margin check for all: an order of one unit priced so that its margin is the margin of the whole lot.
      let margin = ZERO;
      for (const [symbol, notional] of required) margin = margin.plus(notional.times((this.instruments.get(symbol) as Instrument).initialMarginRate));
      const instrument = this.instruments.get(orders[0].symbol) as Instrument;
      this.checkMargin({ ...orders[0], quantity: new Decimal(1), limitPrice: margin.div(instrument.initialMarginRate) }, instrument);
    }
    return orders.map(order => {
      order.brokerOrderId = `${this.name}-${++this.orderCounter}`;
      this.requestLog.push({ action: 'place', clientOrderId: order.clientOrderId, at: this.now() });
      this.orders.set(order.clientOrderId, order);
      this.emit({ type: 'acknowledged', clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId, at: this.now() });
      return this.view(order);
    });
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

  /** The broker's clock: what it answers the time with. */
  time(): Date {
    return this.clock.now();
  }

  /** The leverage held per listed symbol, in listing order. */
  leverage(): BrokerLeverage[] {
    return [...this.leverageBySymbol].map(([symbol, leverage]) => ({ symbol, leverage }));
  }

  /**
   * A read as the venue's API answers it: a failure scripted with failNext is thrown here, else the
   * books answer. Both transports ask through this; a scenario reading the books directly does not.
   */
  answerQuery<T>(query: BrokerQuery, read: () => T): T {
    const index = this.queryFailures.findIndex(f => f.query === query);
    if (index < 0) return read();
    const failure = this.queryFailures[index];
    failure.remaining -= 1;
    if (failure.remaining === 0) this.queryFailures.splice(index, 1);
    throw new BrokerQueryFailure(query, failure.kind);
  }

  positions(): BrokerPosition[] {
    return [...this.positionsBySymbol.values()]
      .filter(p => !p.netQuantity.isZero() || !p.realizedPnl.isZero())
      .map(p => ({ symbol: p.symbol, netQuantity: p.netQuantity, averageEntryPrice: p.averageEntryPrice, realizedPnl: p.realizedPnl }));
  }

  balance(): BrokerBalance {
    // Realized P&L summed first, as the system sums it: at 40 significant digits the order of a sum shows in its last digit.
    let realized = ZERO;
    for (const p of this.positionsBySymbol.values()) realized = realized.plus(p.realizedPnl);
    let adjusted = ZERO;
    for (const adjustment of this.adjustments) adjusted = adjusted.plus(adjustment.amount);
    return { currency: this.currency, cash: this.deposits.plus(realized).plus(adjusted) };
  }

  /** One page of the fill history as the books hold it; the cursor is the place in it, so a page never skips or repeats a fill. */
  fills(sinceCursor: number, limit: number): FillPage {
    return this.page(sinceCursor, limit, 0);
  }

  /**
   * One page as the venue's API serves it: with the hole omitFromNextFillsPage scripted. hasRoom
   * says whether the answer still has room for the next fill (the first is always taken); the page
   * stops before the first that does not fit.
   */
  servedFillPage(sinceCursor: number, limit: number, hasRoom: (fill: BrokerFill) => boolean = () => true): FillPage {
    const page = this.page(sinceCursor, limit, this.fillsToOmit, hasRoom);
    if (page.omitted > 0) this.fillsToOmit = 0;
    return { fills: page.fills, cursor: page.cursor, more: page.more };
  }

  /** The whole fill history (busted trades left out, corrections in), for a scenario's assertions (the API pages it). */
  fillHistory(): readonly BrokerFill[] {
    return this.historySlots.filter(e => !e.busted).map(e => e.fill);
  }

  /** The kill switch: cancel every open order; the client order ids of those it closed. */
  cancelAll(): string[] {
    this.requestLog.push({ action: 'cancel-all', at: this.now() });
    const open = [...this.orders.values()].filter(o => o.status === 'open' || o.status === 'partially_filled');
    for (const order of open) {
      order.status = 'cancelled';
      this.emit({ type: 'cancelled', clientOrderId: order.clientOrderId, reason: KILL_SWITCH_CANCEL_REASON, at: this.now() });
    }
    return open.map(o => o.clientOrderId);
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

  private fillResting(clientOrderId: string, quantity: Decimal, price: Decimal | undefined, booking: Booking): BrokerFill {
    const order = this.requireOpen(clientOrderId);
    const remaining = order.quantity.minus(order.filledQuantity);
    if (!quantity.isFinite() || quantity.lte(0)) throw new BrokerRejection('INVALID_QUANTITY', `quantity ${quantity} must be positive`);
    if (quantity.gt(remaining)) throw new BrokerRejection('INVALID_QUANTITY', `only ${remaining} of ${clientOrderId} is open`);
    const fillPrice = price ?? order.limitPrice ?? this.marks.get(order.symbol);
    if (!fillPrice) throw new BrokerRejection('INVALID_PRICE', `no price to fill ${clientOrderId} at`);
    return this.fill(order, quantity, fillPrice, 'maker', booking);
  }

  private feeOf(quantity: Decimal, price: Decimal, liquidity: 'maker' | 'taker'): Decimal {
    return quantity.times(price).times(liquidity === 'maker' ? this.makerFee : this.takerFee).toDecimalPlaces(8);
  }

  private fill(order: SimOrder, quantity: Decimal, price: Decimal, liquidity: 'maker' | 'taker', booking: Booking = REPORTED): BrokerFill {
    const fee = this.feeOf(quantity, price, liquidity);
    Object.assign(order, withFill(order, quantity, price));
    order.status = order.filledQuantity.eq(order.quantity) ? 'filled' : 'partially_filled';
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
    const execution: Execution = { fill, busted: false };
    this.executions.push(execution);
    if (booking.record) this.historySlots.push(execution);
    if (booking.report) this.emit(fill);
    return fill;
  }

  /** The places [sinceCursor, sinceCursor + limit) of the history, busted ones and `omit` fills from the middle left out. */
  private page(sinceCursor: number, limit: number, omit: number, hasRoom: (fill: BrokerFill) => boolean = () => true): FillPage & { omitted: number } {
    const places = this.historySlots.length;
    if (!Number.isSafeInteger(sinceCursor) || sinceCursor < 0 || sinceCursor > places) {
      throw new BrokerRejection('INVALID_REQUEST', `cursor ${sinceCursor} is not in the fill history (0 to ${places})`);
    }
    if (!Number.isSafeInteger(limit) || limit < 1) throw new BrokerRejection('INVALID_REQUEST', `limit ${limit} must be a whole number of at least 1`);
    const end = Math.min(places, sinceCursor + Math.min(limit, MAX_FILL_PAGE));
    const standing: number[] = [];
    for (let place = sinceCursor; place < end; place += 1) if (!this.historySlots[place].busted) standing.push(place);
    const omitted = Math.min(omit, standing.length);
    const firstOmitted = Math.floor((standing.length - omitted) / 2);
    const left = new Set(standing.slice(firstOmitted, firstOmitted + omitted));
    const fills: BrokerFill[] = [];
    let cursor = end;
    for (const place of standing) {
      if (left.has(place)) continue;
      const fill = this.historySlots[place].fill;
      if (!hasRoom(fill) && fills.length > 0) {
        cursor = place;
        break;
      }
      fills.push(fill);
    }
    return { fills, cursor, more: cursor < places, omitted };
  }

  /** A trade that stands (booked, not busted), by its id. */
  private liveExecution(tradeId: string): Execution {
    const execution = this.executions.find(e => e.fill.tradeId === tradeId);
    if (!execution) throw new BrokerRejection('INVALID_REQUEST', `no trade ${tradeId}`);
    if (execution.busted) throw new BrokerRejection('INVALID_REQUEST', `trade ${tradeId} is already busted`);
    return execution;
  }

  /** The order a fill belongs to, while the broker still knows it (by broker order id: a forgotten id may be used again). */
  private orderOf(fill: BrokerFill): SimOrder | undefined {
    const order = this.orders.get(fill.clientOrderId);
    return order && order.brokerOrderId === fill.brokerOrderId ? order : undefined;
  }

  /** After a bust or correction: the fill's order totals and its symbol's position counted again from the trades that stand. */
  private rebook(changed: BrokerFill): void {
    const standing = this.executions.filter(e => !e.busted).map(e => e.fill);
    const order = this.orderOf(changed);
    if (order) {
      let totals = { filledQuantity: ZERO, averageFillPrice: ZERO };
      for (const fill of standing) if (fill.brokerOrderId === order.brokerOrderId) totals = withFill(totals, fill.quantity, fill.price);
      Object.assign(order, totals);
    }
    let position = flatPosition(changed.symbol);
    for (const fill of standing) if (fill.symbol === changed.symbol) position = applyFill(position, fill);
    this.positionsBySymbol.set(changed.symbol, position);
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
