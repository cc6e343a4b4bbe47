import { Decimal, ZERO, TradingError } from '../shared';
import type { Instrument } from './instrument';

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';
/** How long an order works: until the regular close of its trading day, or until cancelled. */
export type TimeInForce = 'day' | 'gtc';
export const TIMES_IN_FORCE: readonly TimeInForce[] = ['day', 'gtc'];

/** Equities work for the day unless told otherwise, as their venues do; instruments that never close, until cancelled. */
export function defaultTimeInForce(instrument: Pick<Instrument, 'kind'>): TimeInForce {
  return instrument.kind === 'equity' ? 'day' : 'gtc';
}

export type OrderStatus =
  | 'new'
  | 'pending_risk'
  | 'rejected'
  | 'submitted'
  | 'acknowledged'
  | 'partially_filled'
  | 'filled'
  | 'pending_cancel'
  | 'cancelled'
  | 'pending_replace'
  | 'failed'
  | 'expired';

/**
 * The order state machine. A fill may race a cancel or a replace, so the pending states accept fills;
 * a refused cancel or replace returns the order to the state it came from. A fill the broker reports
 * after it closed the order is still a trade: it is applied without reopening the order.
 */
const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  new: ['pending_risk', 'rejected'],
  pending_risk: ['rejected', 'submitted'],
  submitted: ['acknowledged', 'rejected', 'failed', 'partially_filled', 'filled', 'pending_cancel', 'cancelled', 'expired'],
  acknowledged: ['partially_filled', 'filled', 'pending_cancel', 'pending_replace', 'cancelled', 'expired'],
  partially_filled: ['partially_filled', 'filled', 'pending_cancel', 'pending_replace', 'cancelled', 'expired'],
  pending_cancel: ['cancelled', 'partially_filled', 'filled', 'acknowledged', 'submitted', 'expired'],
  pending_replace: ['acknowledged', 'partially_filled', 'filled', 'pending_cancel', 'cancelled', 'expired'],
  rejected: [],
  filled: [],
  cancelled: [],
  failed: [],
  expired: [],
};

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['rejected', 'filled', 'cancelled', 'failed', 'expired']);
export const WORKING_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'submitted',
  'acknowledged',
  'partially_filled',
  'pending_cancel',
  'pending_replace',
]);

/** Working orders whose cancel may be asked for: every one but those whose cancel is already on its way. */
export const CANCELLABLE_STATUSES: ReadonlySet<OrderStatus> = new Set(['submitted', 'acknowledged', 'partially_filled', 'pending_replace']);

/**
 * How a cancel of every working order reaches this one: the broker's kill switch closes those it
 * has acknowledged; one still on its way is cancelled once acknowledged; one whose cancel is
 * already on its way, or that is no longer working, needs nothing.
 */
export function cancelRoute(order: Order): 'kill switch' | 'on acknowledgement' | 'none' {
  if (!CANCELLABLE_STATUSES.has(order.status)) return 'none';
  return order.brokerOrderId !== undefined ? 'kill switch' : 'on acknowledgement';
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface OrderRequest {
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: Decimal;
  /** Required for limit orders; absent for market orders. */
  limitPrice?: Decimal;
  reduceOnly: boolean;
  /** Absent: good till cancelled. */
  timeInForce?: TimeInForce;
  /** May trade in the pre-market and after-hours sessions (limit orders only). Absent: no. */
  extendedHours?: boolean;
}

export interface Order {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly reduceOnly: boolean;
  readonly timeInForce: TimeInForce;
  readonly extendedHours: boolean;
  quantity: Decimal;
  limitPrice?: Decimal;
  status: OrderStatus;
  /** The status to return to when a cancel or replace is refused. */
  statusBeforePending?: OrderStatus;
  brokerOrderId?: string;
  filledQuantity: Decimal;
  averageFillPrice: Decimal;
  fees: Decimal;
  reason?: string;
  createdAt: string;
  updatedAt: string;
  /** A replace waiting for the broker's answer. */
  pendingReplace?: { quantity: Decimal; limitPrice?: Decimal };
  /** When its latest order request was signed: the broker takes that request only within its receive window of it. */
  signedAt?: string;
}

export function createOrder(request: OrderRequest, at: string): Order {
  return {
    clientOrderId: request.clientOrderId,
    symbol: request.symbol,
    side: request.side,
    type: request.type,
    reduceOnly: request.reduceOnly,
    timeInForce: request.timeInForce ?? 'gtc',
    extendedHours: request.extendedHours ?? false,
    quantity: request.quantity,
    limitPrice: request.limitPrice,
    status: 'new',
    filledQuantity: ZERO,
    averageFillPrice: ZERO,
    fees: ZERO,
    createdAt: at,
    updatedAt: at,
  };
}

export function transition(order: Order, to: OrderStatus, at: string): void {
  if (!canTransition(order.status, to)) {
    throw new TradingError(
      'IllegalTransition',
      `order ${order.clientOrderId} cannot go from ${order.status} to ${to}`,
      { clientOrderId: order.clientOrderId, from: order.status, to },
    );
  }
  if ((to === 'pending_cancel' || to === 'pending_replace') && order.status !== to) order.statusBeforePending = order.status;
  order.status = to;
  order.updatedAt = at;
}

export function remainingQuantity(order: Order): Decimal {
  return order.quantity.minus(order.filledQuantity);
}

export function isWorking(order: Order): boolean {
  return WORKING_STATUSES.has(order.status);
}

/** The state a refused cancel or replace returns to: what the order's fills say it is now. */
export function statusAfterRefusal(order: Order): OrderStatus {
  if (order.statusBeforePending === 'submitted') return 'submitted';
  return order.filledQuantity.isZero() ? 'acknowledged' : 'partially_filled';
}

/** Do two sets of order terms (quantity, limit price; none for a market order) agree? */
export function sameTerms(a: { quantity: Decimal; limitPrice?: Decimal }, b: { quantity: Decimal; limitPrice?: Decimal }): boolean {
  const samePrice = a.limitPrice === undefined || b.limitPrice === undefined ? a.limitPrice === b.limitPrice : a.limitPrice.eq(b.limitPrice);
  return a.quantity.eq(b.quantity) && samePrice;
}

/**
 * An order the broker has not acknowledged may still arrive there until the broker's receive window
 * has passed since its latest request was signed; until then its fate is unknown.
 */
export function mayStillArrive(order: Order, now: Date, receiveWindowMs: number): boolean {
  const signedAt = Date.parse(order.signedAt ?? order.updatedAt);
  return order.brokerOrderId === undefined && now.getTime() - signedAt <= receiveWindowMs;
}

export function isTerminal(order: Order): boolean {
  return TERMINAL_STATUSES.has(order.status);
}

export function signedQuantity(side: Side, quantity: Decimal): Decimal {
  return side === 'buy' ? quantity : quantity.neg();
}
