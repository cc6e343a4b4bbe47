import { Decimal } from '../sut';
import type { ScenarioContext } from './scenario-context';

type Level = { readonly price: Decimal; readonly quantity: Decimal };

/**
 * The market: each mark goes through the venue's market simulator, which sets the broker's mark and
 * book (1,000 at the mark on each side unless a scenario scripts a side) and publishes the mark and
 * the book's change. Where the system takes the venue's feed the mark reaches it that way; where
 * its marks come from the desk, the step hands it the same mark. Time passes on the scenario's clock.
 */
export class Market {
  constructor(private readonly context: ScenarioContext) {}

  /** The market moves: the venue's mark and book, and the system's mark; returns once the system has it and the breakers have answered it. */
  async mark(symbol: string, price: Decimal, bids?: readonly Level[], asks?: readonly Level[]): Promise<void> {
    const { system, market } = this.context;
    const book = { ...(bids ? { bids } : {}), ...(asks ? { asks } : {}) };
    if (this.context.marketData === 'venue feed') {
      const after = system.events.mark();
      market.setMark(symbol, price, book);
      await this.context.session.forEvent(`the mark of ${symbol} at ${price} from the venue's feed`, e => e.type === 'MarkPriceUpdated' && e.payload.symbol === symbol && price.eq(e.payload.price), after);
      await this.caughtUp();
      await system.breakers.idle();
      await system.marketIdle();
      return;
    }
    // All of it before the first await: the mark reaches the system at the moment this is called (a basket relies on it).
    market.setMark(symbol, price, book);
    system.updateMark(symbol, price);
    await system.breakers.idle();
  }

  /** The venue's book offers this quantity at this price (its asks replaced), the bids and the mark as they stand; the system sees it as a book change. */
  async offer(symbol: string, price: Decimal, quantity: Decimal): Promise<void> {
    const { market } = this.context;
    const mark = market.markOf(symbol);
    if (!mark) throw new Error(`${symbol} has no mark at the venue yet: the market is marked first`);
    await this.mark(symbol, mark, market.bookOf(symbol).bids, [{ price, quantity }]);
  }

  /** Each symbol marked in turn, each mark answered by the breakers before the next. */
  async markEach(marks: readonly { readonly symbol: string; readonly price: Decimal }[]): Promise<void> {
    for (const { symbol, price } of marks) await this.mark(symbol, price);
  }

  /** Every symbol with a mark is marked again where it stands, as a live feed does in a quiet market. */
  async markEverySymbolAgain(): Promise<void> {
    // A symbol the venue models moves and publishes by itself: marking it would script it.
    const scripted = [...this.context.system.state.marks.entries()].filter(([symbol]) => this.context.market.modelState(symbol) === null);
    await this.markEach(scripted.map(([symbol, price]) => ({ symbol, price })));
  }

  /** Every symbol marked again once a minute at its current mark (a quiet market), each answered by the breakers. */
  async calm(minutes: number): Promise<void> {
    for (let i = 0; i < minutes; i += 1) {
      this.context.clock.advance(60_000);
      await this.markEverySymbolAgain();
    }
  }

  /** Time passes with nothing else happening. */
  wait(ms: number): void {
    this.context.clock.advance(ms);
  }

  /** Time passes and the market moves (the broker's book as given, or around the mark), and the breakers have answered the new mark. */
  async moveAfter(ms: number, symbol: string, price: Decimal, bids?: readonly Level[]): Promise<void> {
    this.context.clock.advance(ms);
    await this.mark(symbol, price, bids);
  }

  /** A symbol swings once a minute, to the high mark first, then back to the low one, and so on; the breakers answer each mark before the next. */
  async alternate(symbol: string, low: Decimal, high: Decimal, minutes: number): Promise<void> {
    for (let i = 1; i <= minutes; i += 1) await this.moveAfter(60_000, symbol, i % 2 === 1 ? high : low);
  }

  /**
   * Until the system's market is the venue's: the same mark and book (by its sequence number) for
   * every symbol the venue publishes. A book delta records no event, so the wait is re-checked on
   * every market data message the system takes in.
   */
  async caughtUp(timeoutMs?: number): Promise<void> {
    const venue = this.context.market;
    await this.context.session.until('the system to take in everything the venue published', () => {
      const system = this.context.system;
      for (const message of venue.currentState()) {
        if (message.type === 'mark' && !system.state.marks.get(message.symbol)?.eq(message.price)) return false;
        if (message.type === 'book_snapshot' && system.marketView(message.symbol)?.book?.seq !== message.seq) return false;
      }
      return true;
    }, timeoutMs);
  }

  /** The mark the system holds for a symbol now. */
  markOf(symbol: string): Decimal {
    const mark = this.context.system.state.marks.get(symbol);
    if (!mark) throw new Error(`${symbol} has no mark price; marked: ${[...this.context.system.state.marks.keys()].join(', ') || 'none'}`);
    return mark;
  }
}
