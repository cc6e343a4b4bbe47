import { Decimal, TradingError } from '../shared';
import type { BookSide, MarketDataMessage, PriceLevel } from './market-data';
import type { BookView } from './market-view';

type BookMessage = Extract<MarketDataMessage, { type: 'book_snapshot' | 'book_delta' }>;

/** What applying a book message did. */
export type BookApplyOutcome =
  | { readonly outcome: 'applied'; readonly seq: number }
  /** A delta whose seq is not one more than the book's: the deltas between were lost; the book is unusable until a snapshot. */
  | { readonly outcome: 'gap'; readonly expected: number; readonly received: number }
  /**
   * A delta at or below the book's seq (already applied), any delta while waiting for a snapshot, or
   * a snapshot older than the synced book: ignored. seq is the ignored message's.
   */
  | { readonly outcome: 'ignored'; readonly seq: number };

function invalid(symbol: string, message: string, field: string): TradingError {
  return new TradingError('InvalidInput', `order book ${symbol}: ${message}`, { symbol, field });
}

/** Best first: the highest bid, the lowest ask. */
function bestFirst(side: BookSide, levels: Iterable<PriceLevel>): PriceLevel[] {
  return [...levels].sort((a, b) => (side === 'bid' ? b.price.comparedTo(a.price) : a.price.comparedTo(b.price)));
}

/**
 * The system's own copy of one symbol's visible book, built from a snapshot and numbered deltas.
 * A gap makes it unusable (view() is null) until the next snapshot. A message for another symbol or
 * with a level no venue could send (a price not above zero, a negative quantity, a snapshot level
 * of zero) is refused with InvalidInput and changes nothing. A crossed book is kept as the venue
 * sent it: judging it is the reader's business.
 */
export class LocalOrderBook {
  /** Levels by price (canonical text, so 100.50 and 100.5 are one level), per side. */
  private readonly sides: Record<BookSide, Map<string, PriceLevel>> = { bid: new Map(), ask: new Map() };
  private sorted: Record<BookSide, readonly PriceLevel[]> | null = null;
  private seq: number | null = null;
  private isSynced = false;

  constructor(readonly symbol: string) {}

  apply(message: BookMessage): BookApplyOutcome {
    if (message.symbol !== this.symbol) throw invalid(this.symbol, `a ${message.type} of ${message.symbol} is not for this book`, 'symbol');
    return message.type === 'book_snapshot' ? this.applySnapshot(message) : this.applyDelta(message);
  }

  /** Best first on each side; null before the first snapshot and after a gap until the next one. */
  view(): BookView | null {
    if (!this.isSynced || this.seq === null) return null;
    return { bids: this.levels('bid'), asks: this.levels('ask'), seq: this.seq };
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** Best first; empty while the book is not synced, since what it held then is not the venue's book. */
  levels(side: 'bid' | 'ask'): readonly PriceLevel[] {
    if (!this.isSynced) return [];
    this.sorted ??= { bid: bestFirst('bid', this.sides.bid.values()), ask: bestFirst('ask', this.sides.ask.values()) };
    return this.sorted[side];
  }

  private applySnapshot(snapshot: Extract<BookMessage, { type: 'book_snapshot' }>): BookApplyOutcome {
    const bids = this.snapshotSide('bid', snapshot.bids);
    const asks = this.snapshotSide('ask', snapshot.asks);
    // A snapshot answering an older request can arrive after deltas already moved the book past it.
    if (this.isSynced && this.seq !== null && snapshot.seq < this.seq) return { outcome: 'ignored', seq: snapshot.seq };
    this.sides.bid = bids;
    this.sides.ask = asks;
    this.sorted = null;
    this.seq = snapshot.seq;
    this.isSynced = true;
    return { outcome: 'applied', seq: snapshot.seq };
  }

  private applyDelta(delta: Extract<BookMessage, { type: 'book_delta' }>): BookApplyOutcome {
    for (const change of delta.changes) {
      this.checkPrice(change.price);
      if (change.quantity.isNegative()) throw invalid(this.symbol, `delta ${delta.seq} has a negative quantity ${change.quantity.toString()} at ${change.price.toString()}`, 'quantity');
    }
    if (!this.isSynced || this.seq === null || delta.seq <= this.seq) return { outcome: 'ignored', seq: delta.seq };
    if (delta.seq !== this.seq + 1) {
      const expected = this.seq + 1;
      this.unsync();
      return { outcome: 'gap', expected, received: delta.seq };
    }
    for (const change of delta.changes) {
      const key = change.price.toString();
      // A removal of a level the book does not hold changes nothing.
      if (change.quantity.isZero()) this.sides[change.side].delete(key);
      else this.sides[change.side].set(key, { price: change.price, quantity: change.quantity });
    }
    this.sorted = null;
    this.seq = delta.seq;
    return { outcome: 'applied', seq: delta.seq };
  }

  /** A side of a snapshot as levels by price, refused whole if any level is one no venue could send. */
  private snapshotSide(side: BookSide, levels: readonly PriceLevel[]): Map<string, PriceLevel> {
    const bySide = new Map<string, PriceLevel>();
    for (const level of levels) {
      this.checkPrice(level.price);
      if (!level.quantity.gt(0)) throw invalid(this.symbol, `snapshot ${side} level at ${level.price.toString()} has quantity ${level.quantity.toString()}; a snapshot lists only levels that hold something`, 'quantity');
      const key = level.price.toString();
      if (bySide.has(key)) throw invalid(this.symbol, `snapshot lists the ${side} level at ${key} twice`, 'price');
      bySide.set(key, { price: level.price, quantity: level.quantity });
    }
    return bySide;
  }

  private checkPrice(price: Decimal): void {
    if (!price.isFinite() || !price.gt(0)) throw invalid(this.symbol, `a level's price must be greater than zero, got ${price.toString()}`, 'price');
  }

  private unsync(): void {
    this.isSynced = false;
    this.sides.bid.clear();
    this.sides.ask.clear();
    this.sorted = null;
  }
}
