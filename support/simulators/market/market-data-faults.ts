import type { MarketDataMessage } from '../../../domain/market';

/**
 * The faults a scenario scripts on a venue's market data, decided once per message for every
 * channel it would go to, so a scenario reads the same on the wire and in process: a book delta
 * that is never sent (the subscriber sees a jump in that book's numbering), and a stall in which
 * nothing at all goes out and what the venue publishes meanwhile is lost.
 */
export class MarketDataFaults {
  /** Deltas to drop, oldest first: the symbol each is for, or null for the next delta of any book. */
  private readonly pendingDrops: (string | null)[] = [];
  private isStalled = false;
  private dropped = 0;
  private readonly resumeListeners = new Set<() => void>();

  /** The next book delta (of this symbol, or of any book) is never sent. */
  dropNextBookDelta(symbol?: string): void {
    this.pendingDrops.push(symbol ?? null);
  }

  /** Nothing is sent from now on, heartbeats and answers included, until resume(). */
  stall(): void {
    this.isStalled = true;
  }

  /** Sending goes on with what is published from now on; nothing published during the stall is sent after it. */
  resume(): void {
    if (!this.isStalled) return;
    this.isStalled = false;
    for (const listener of [...this.resumeListeners]) listener();
  }

  get stalled(): boolean {
    return this.isStalled;
  }

  /** Deltas dropped so far. */
  get deltasDropped(): number {
    return this.dropped;
  }

  onResume(listener: () => void): () => void {
    this.resumeListeners.add(listener);
    return () => this.resumeListeners.delete(listener);
  }

  /** Whether a message the venue publishes goes out; a delta picked to be dropped is used up by this call. */
  passes(message: MarketDataMessage): boolean {
    if (this.isStalled) return false;
    if (message.type !== 'book_delta') return true;
    const index = this.pendingDrops.findIndex(symbol => symbol === null || symbol === message.symbol);
    if (index < 0) return true;
    this.pendingDrops.splice(index, 1);
    this.dropped += 1;
    return false;
  }
}
