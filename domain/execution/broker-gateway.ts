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

/** One page of the broker's fill history. */
export interface FillPage {
  readonly fills: readonly BrokerFill[];
  /** Where the next page starts: ask from here next time, after a restart too. */
  readonly cursor: number;
  /** Whether the history goes on past the cursor. */
  readonly more: boolean;
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
  /** Cancel every open order (the kill switch). */
  cancelAll(): Promise<number>;
  onReport(listener: (report: BrokerReport) => void): () => void;
  /** Connection events (lost, restored, sequence gaps, retries); a gateway without a connection has none. */
  onEvent?(listener: (event: GatewayEvent) => void): () => void;
  /** Open the report stream again after it gave up (a broker that is healthy again). */
  reconnect?(): Promise<void>;
  close(): Promise<void>;
}
