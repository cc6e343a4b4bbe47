import type { MarketDataMessage } from '../../../domain/market';

/**
 * What the venue's market data publisher offers its channels: every message as the venue sends it,
 * the whole current picture for a subscriber that has just connected, and one book on request.
 * MarketSimulator implements it; the WebSocket channel and the in-process source read it.
 */
export interface VenueMarketFeed {
  /** Told of each message in the order the venue publishes it; returns the way to stop listening. */
  subscribe(listener: (message: MarketDataMessage) => void): () => void;
  /** What a new subscriber is sent first: prior closes, marks, a snapshot of every book, trading statuses, implied volatilities. */
  currentState(): MarketDataMessage[];
  /** The whole book of a symbol now, at its current sequence number. */
  bookSnapshot(symbol: string): Extract<MarketDataMessage, { type: 'book_snapshot' }>;
}
