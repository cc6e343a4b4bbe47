import { Decimal, ErrorKind } from '../shared';
import { Liquidity, OrderType, Side } from '../model';

/** What the execution engine sends to a broker. */
export interface BrokerOrderRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Decimal;
  readonly limitPrice?: Decimal;
  readonly reduceOnly: boolean;
  /** Every attempt of this request is signed with this time, so the system knows when the broker stops taking it. */
  readonly signedAt?: Date;
}

export type BrokerOrderStatus = 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'expired';

/** The broker's own view of one order. */
export interface BrokerOrderView {
  readonly clientOrderId: string;
  readonly brokerOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Decimal;
  readonly limitPrice?: Decimal;
  readonly filledQuantity: Decimal;
  readonly averageFillPrice: Decimal;
  readonly status: BrokerOrderStatus;
}

export interface BrokerPosition {
  readonly symbol: string;
  readonly netQuantity: Decimal;
  readonly averageEntryPrice: Decimal;
  readonly realizedPnl: Decimal;
}

export interface BrokerBalance {
  readonly currency: string;
  /** Wallet balance: deposits plus realized P&L after fees. */
  readonly cash: Decimal;
}

/** Asynchronous reports from the broker: the user channel of a venue. */
export type BrokerReport =
  | { readonly type: 'acknowledged'; readonly clientOrderId: string; readonly brokerOrderId: string; readonly at: string }
  | {
      readonly type: 'fill';
      readonly clientOrderId: string;
      readonly brokerOrderId: string;
      readonly tradeId: string;
      readonly symbol: string;
      readonly side: Side;
      readonly quantity: Decimal;
      readonly price: Decimal;
      readonly fee: Decimal;
      readonly liquidity: Liquidity;
      readonly at: string;
    }
  | { readonly type: 'cancelled'; readonly clientOrderId: string; readonly reason: string; readonly at: string }
  | {
      readonly type: 'replaced';
      readonly clientOrderId: string;
      readonly quantity: Decimal;
      readonly limitPrice?: Decimal;
      readonly at: string;
    }
  | { readonly type: 'rejected'; readonly clientOrderId: string; readonly reasonCode: string; readonly message: string; readonly at: string }
  | { readonly type: 'expired'; readonly clientOrderId: string; readonly reason: string; readonly at: string };

export type BrokerFill = Extract<BrokerReport, { type: 'fill' }>;

/**
 * One page of the broker's fill history. The cursor counts places in the history, one a trade, so
 * in a whole page `cursor - sinceCursor` equals `fills.length`. A page with fewer fills than its
 * cursor moved has a hole: fills it stepped over without sending. Ask the same page again: a hole
 * that goes was lost on the way; one that stays is a trade the venue busted, which leaves the
 * history but keeps its place so that no cursor ever moves under a reader.
 */
export interface FillPage {
  readonly fills: readonly BrokerFill[];
  /** Where the next page starts: ask from here next time, after a restart too. */
  readonly cursor: number;
  /** Whether the history goes on past the cursor. */
  readonly more: boolean;
}

/** The leverage the broker applies to the account's positions in one symbol. */
export interface BrokerLeverage {
  readonly symbol: string;
  readonly leverage: Decimal;
}

/**
 * One reading of the broker's clock. sentAt and receivedAt are the system's own clock as the gateway
 * reads it (a skewed host's skew included) when the request left and when the answer came back.
 */
export interface BrokerClockReading {
  /** The broker's clock when it answered. */
  readonly brokerTime: Date;
  readonly sentAt: Date;
  readonly receivedAt: Date;
}

/**
 * How far the broker's clock runs ahead of the system's (negative: behind), taking the broker to
 * have answered halfway through the round trip; the offset is known to within half the round trip.
 */
export function brokerClockOffset(reading: BrokerClockReading): { offsetMs: number; roundTripMs: number } {
  const sentMs = reading.sentAt.getTime();
  const roundTripMs = reading.receivedAt.getTime() - sentMs;
  return { offsetMs: reading.brokerTime.getTime() - (sentMs + roundTripMs / 2), roundTripMs };
}

/** One price level of the venue's order book. */
export interface BookLevelView {
  readonly price: Decimal;
  readonly quantity: Decimal;
}

export interface OrderBookView {
  readonly symbol: string;
  /** Best first. */
  readonly bids: readonly BookLevelView[];
  readonly asks: readonly BookLevelView[];
}

/** What a gateway saw happen to its connection: the trading system records each as an event. */
export type GatewayEvent =
  | ({ readonly source: 'user channel' } & import('./user-channel').ChannelEvent)
  | {
      readonly source: 'rest';
      readonly type: 'retry';
      readonly operation: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly errorKind: ErrorKind;
      readonly clientOrderId?: string;
    };

/** What the kill switch closed: the client order ids of the open orders the broker cancelled. */
export interface CancelAllResult {
  readonly cancelled: readonly string[];
}

export interface SubmitAccepted {
  readonly clientOrderId: string;
  readonly brokerOrderId: string;
}

/**
 * The port through which the trading system reaches a broker. Adapters: the in-process simulator
 * core for fast scenarios, HTTP + WebSocket for the wire. Every failure is thrown as a TradingError
 * whose kind says what happened (BrokerRejected, BrokerUnavailable, RateLimited, Timeout, ...).
 */
export interface BrokerGateway {
  readonly name: string;
  submit(request: BrokerOrderRequest): Promise<SubmitAccepted>;
  cancel(clientOrderId: string): Promise<void>;
  replace(clientOrderId: string, change: { quantity: Decimal; limitPrice?: Decimal }): Promise<void>;
  getOrder(clientOrderId: string): Promise<BrokerOrderView | undefined>;
  openOrders(): Promise<BrokerOrderView[]>;
  positions(): Promise<BrokerPosition[]>;
  balance(): Promise<BrokerBalance>;
  /** At most limit fills after a cursor (0 = from the start), the cursor to ask from next, and whether more remain. */
  fills(sinceCursor: number, limit: number): Promise<FillPage>;
  /** The venue's order book for one symbol, best levels first (what a liquidation can take). */
  orderBook(symbol: string): Promise<OrderBookView>;
  /** Cancel every open order (the kill switch); the answer names each order it closed. */
  cancelAll(): Promise<CancelAllResult>;
  onReport(listener: (report: BrokerReport) => void): () => void;
  /**
   * Read the broker's clock (GET /time on the wire): the broker's time and, by the system's own
   * clock, when the request left and the answer came back. brokerClockOffset(reading) is how far
   * the broker's clock is ahead of the system's: a system clock that runs ahead shows as a negative offset.
   */
  brokerTime?(): Promise<BrokerClockReading>;
  /** The leverage the broker holds for each symbol of the account (GET /leverage on the wire). */
  leverage?(): Promise<readonly BrokerLeverage[]>;
  /** Connection events (lost, restored, sequence gaps, retries); a gateway without a connection has none. */
  onEvent?(listener: (event: GatewayEvent) => void): () => void;
  /** Open the report stream again after it gave up (a broker that is healthy again). */
  reconnect?(): Promise<void>;
  close(): Promise<void>;
}
