import type { Decimal } from '../shared';

/**
 * The public market data a venue publishes, as the trading system reads it: marks, the order book
 * as snapshots and numbered deltas, trading status (halts, pauses, reopenings), session changes,
 * implied-volatility indices, and a heartbeat that carries the venue's time. The wire form (JSON
 * on the broker's public WebSocket channel) is in market-data-protocol.ts; in process the same
 * decoded messages are delivered without sockets.
 */

/** One price level of the visible book. */
export interface PriceLevel {
  readonly price: Decimal;
  readonly quantity: Decimal;
}

export type BookSide = 'bid' | 'ask';

/** Why a symbol (or, for MARKET_WIDE, every US equity) stopped trading. */
export type HaltReason =
  | 'MARKET_WIDE_LEVEL_1'
  | 'MARKET_WIDE_LEVEL_2'
  | 'MARKET_WIDE_LEVEL_3'
  | 'LULD_PAUSE'
  | 'VENUE_HALT'
  | 'NEWS_PENDING';

export type TradingStatusValue = 'open' | 'halted' | 'paused';

/** The symbol a market-wide status applies to: every instrument on the US equity calendar. */
export const MARKET_WIDE = '*US-EQUITY*';

export type MarketDataMessage =
  /** The venue's mark price of a symbol (an index's level too). */
  | { readonly type: 'mark'; readonly symbol: string; readonly price: Decimal; readonly at: string }
  /** The whole visible book of a symbol; seq is the book's sequence number this snapshot stands at. */
  | { readonly type: 'book_snapshot'; readonly symbol: string; readonly seq: number; readonly bids: readonly PriceLevel[]; readonly asks: readonly PriceLevel[]; readonly at: string }
  /** Changes to one book: a level's new quantity (0 removes it); seq is one more than the last one of this symbol. */
  | { readonly type: 'book_delta'; readonly symbol: string; readonly seq: number; readonly changes: readonly { readonly side: BookSide; readonly price: Decimal; readonly quantity: Decimal }[]; readonly at: string }
  /**
   * A symbol (or MARKET_WIDE) halts, pauses or reopens. A reopening carries the reopening print (the
   * auction's price); until it arrives nothing but limit orders may be sent for the symbol.
   */
  | { readonly type: 'trading_status'; readonly symbol: string; readonly status: TradingStatusValue; readonly reason: HaltReason | 'REOPENED'; readonly reopeningPrice?: Decimal; readonly at: string }
  /** An implied-volatility index of an underlying, annualised, as a fraction (0.35 = 35 %). */
  | { readonly type: 'implied_volatility'; readonly underlying: string; readonly value: Decimal; readonly at: string }
  /** The previous session's closing price of a symbol: the base of the market-wide breakers for an index. */
  | { readonly type: 'prior_close'; readonly symbol: string; readonly price: Decimal; readonly tradingDay: string; readonly at: string }
  /** The venue's clock: sent when nothing else is, so time-driven rules (the close) run on the feed's beat. */
  | { readonly type: 'heartbeat'; readonly at: string };

export type MarketDataMessageType = MarketDataMessage['type'];

/** What a feed saw happen to itself: the trading system records each. */
export type MarketDataFeedEvent =
  | { readonly type: 'connected'; readonly attempt: number }
  | { readonly type: 'lost'; readonly reason: string }
  | { readonly type: 'gave_up'; readonly attempts: number; readonly reason: string }
  /** A book's numbering jumped: the deltas between were lost, the book is rebuilt from a snapshot. */
  | { readonly type: 'book_gap'; readonly symbol: string; readonly expected: number; readonly received: number }
  | { readonly type: 'book_resynchronised'; readonly symbol: string; readonly seq: number }
  | { readonly type: 'message_rejected'; readonly reason: string };

/**
 * The port the trading system reads market data through. A wire adapter (market-data-channel.ts)
 * connects to the venue's public channel; in process the simulator delivers the same messages.
 */
export interface MarketDataSource {
  readonly name: string;
  /** Connect (or start delivering); resolves once the first snapshot of every book has arrived, or rejects. */
  connect(): Promise<void>;
  /** Told of each message in the order the venue sent it; book numbering is checked by the reader (LocalOrderBook), not by the source. */
  onMessage(listener: (message: MarketDataMessage) => void): () => void;
  onFeedEvent(listener: (event: MarketDataFeedEvent) => void): () => void;
  /** Ask the venue for the whole book of a symbol again (a gap was seen); the snapshot arrives as a message. */
  requestSnapshot(symbol: string): Promise<void>;
  close(): Promise<void>;
}
