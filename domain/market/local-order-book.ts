import type { MarketDataMessage, PriceLevel } from './market-data';
import type { BookView } from './market-view';

type BookMessage = Extract<MarketDataMessage, { type: 'book_snapshot' | 'book_delta' }>;

/** What applying a book message did. */
export type BookApplyOutcome =
  | { readonly outcome: 'applied'; readonly seq: number }
  /** A delta whose seq is not one more than the book's: the deltas between were lost; the book is unusable until a snapshot. */
  | { readonly outcome: 'gap'; readonly expected: number; readonly received: number }
  /** A delta at or below the book's seq (already applied), or any delta while waiting for a snapshot: ignored. */
  | { readonly outcome: 'ignored'; readonly seq: number };

/**
 * The system's own copy of one symbol's visible book, built from a snapshot and numbered deltas.
 * A gap makes it unusable (view() is null) until the next snapshot.
 */
export class LocalOrderBook {
  constructor(readonly symbol: string) {}

  apply(message: BookMessage): BookApplyOutcome {
    void message;
    throw new Error('LocalOrderBook.apply: to be implemented');
  }

  /** Best first on each side; null before the first snapshot and after a gap until the next one. */
  view(): BookView | null {
    throw new Error('LocalOrderBook.view: to be implemented');
  }

  get synced(): boolean {
    throw new Error('LocalOrderBook.synced: to be implemented');
  }

  levels(side: 'bid' | 'ask'): readonly PriceLevel[] {
    void side;
    throw new Error('LocalOrderBook.levels: to be implemented');
  }
}
