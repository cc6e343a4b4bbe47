import { Decimal } from '../sut';
import type { ScenarioContext } from './scenario-context';

/** Depth the simulated market offers at the mark on both sides unless a scenario scripts the book. */
export const DEFAULT_BOOK_DEPTH = new Decimal(1000);

/** The market: marks reach the system's feed and the broker's book together; time passes on the scenario's clock. */
export class Market {
  constructor(private readonly context: ScenarioContext) {}

  /** The market moves: the system's mark, the broker's mark and the book around it. */
  mark(symbol: string, price: Decimal): void {
    const { system, broker } = this.context;
    system.updateMark(symbol, price);
    broker.setMark(symbol, price);
    broker.setBook(symbol, 'asks', [{ price, quantity: DEFAULT_BOOK_DEPTH }]);
    broker.setBook(symbol, 'bids', [{ price, quantity: DEFAULT_BOOK_DEPTH }]);
  }

  /** Let time pass, then a new mark: the broker's book follows the mark unless bids are given. */
  markLater(ms: number, symbol: string, price: Decimal, bids?: readonly { price: Decimal; quantity: Decimal }[]): void {
    const { clock, broker, system } = this.context;
    clock.advance(ms);
    if (!bids) return this.mark(symbol, price);
    // The thin book is in place before the tick reaches the system, as it would be at the venue.
    broker.setMark(symbol, price);
    broker.setBook(symbol, 'bids', bids.map(b => ({ ...b })));
    broker.setBook(symbol, 'asks', [{ price, quantity: DEFAULT_BOOK_DEPTH }]);
    system.updateMark(symbol, price);
  }

  /** Every symbol marked again once a minute at its current mark (a quiet market), then the breakers' responses settle. */
  async calm(minutes: number): Promise<void> {
    for (let i = 0; i < minutes; i += 1) {
      this.context.clock.advance(60_000);
      for (const [symbol, price] of [...this.context.system.state.marks.entries()]) this.mark(symbol, price);
      await this.context.system.breakers.idle();
    }
  }

  /** Time passes with nothing else happening. */
  wait(ms: number): void {
    this.context.clock.advance(ms);
  }

  /** Time passes and the market moves (the broker's book as given, or around the mark), and the breakers have answered the new mark. */
  async moveAfter(ms: number, symbol: string, price: Decimal, bids?: readonly { price: Decimal; quantity: Decimal }[]): Promise<void> {
    this.markLater(ms, symbol, price, bids);
    await this.context.system.breakers.idle();
  }

  /** A symbol swings once a minute, to the high mark first, then back to the low one, and so on; the breakers have answered every mark. */
  async alternate(symbol: string, low: Decimal, high: Decimal, minutes: number): Promise<void> {
    for (let i = 1; i <= minutes; i += 1) this.markLater(60_000, symbol, i % 2 === 1 ? high : low);
    await this.context.system.breakers.idle();
  }

  /** The mark the system holds for a symbol now. */
  markOf(symbol: string): Decimal {
    const mark = this.context.system.state.marks.get(symbol);
    if (!mark) throw new Error(`${symbol} has no mark price; marked: ${[...this.context.system.state.marks.keys()].join(', ') || 'none'}`);
    return mark;
  }
}
