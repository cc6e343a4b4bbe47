import { Decimal } from '../sut';
import type { ScenarioContext } from './scenario-context';

/** Depth the simulated market offers at the mark on both sides unless a scenario scripts the book. */
const DEFAULT_BOOK_DEPTH = new Decimal(1000);

/** The market: marks reach the system's feed and the broker's book together; time passes on the scenario's clock. */
export class Market {
  constructor(private readonly context: ScenarioContext) {}

  /** The market moves: the system's mark, the broker's mark and the book around it; returns once the breakers have answered it. */
  async mark(symbol: string, price: Decimal, bids?: readonly { price: Decimal; quantity: Decimal }[]): Promise<void> {
    // All of it before the first await: the mark reaches the system at the moment this is called (a basket relies on it).
    const { system, broker } = this.context;
    broker.setMark(symbol, price);
    // A thin book is in place before the tick reaches the system, as it would be at the venue.
    broker.setBook(symbol, 'bids', bids ? bids.map(b => ({ ...b })) : [{ price, quantity: DEFAULT_BOOK_DEPTH }]);
    broker.setBook(symbol, 'asks', [{ price, quantity: DEFAULT_BOOK_DEPTH }]);
    system.updateMark(symbol, price);
    await system.breakers.idle();
  }

  /** Each symbol marked in turn, each mark answered by the breakers before the next. */
  async markEach(marks: readonly { readonly symbol: string; readonly price: Decimal }[]): Promise<void> {
    for (const { symbol, price } of marks) await this.mark(symbol, price);
  }

  /** Every symbol with a mark is marked again where it stands, as a live feed does in a quiet market. */
  async markEverySymbolAgain(): Promise<void> {
    await this.markEach([...this.context.system.state.marks.entries()].map(([symbol, price]) => ({ symbol, price })));
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
  async moveAfter(ms: number, symbol: string, price: Decimal, bids?: readonly { price: Decimal; quantity: Decimal }[]): Promise<void> {
    this.context.clock.advance(ms);
    await this.mark(symbol, price, bids);
  }

  /** A symbol swings once a minute, to the high mark first, then back to the low one, and so on; the breakers answer each mark before the next. */
  async alternate(symbol: string, low: Decimal, high: Decimal, minutes: number): Promise<void> {
    for (let i = 1; i <= minutes; i += 1) await this.moveAfter(60_000, symbol, i % 2 === 1 ? high : low);
  }

  /** The mark the system holds for a symbol now. */
  markOf(symbol: string): Decimal {
    const mark = this.context.system.state.marks.get(symbol);
    if (!mark) throw new Error(`${symbol} has no mark price; marked: ${[...this.context.system.state.marks.keys()].join(', ') || 'none'}`);
    return mark;
  }
}
