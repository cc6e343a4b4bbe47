import { DateTime } from 'luxon';
import { Decimal, MARKET_WIDE } from '../sut';
import type { HaltReason, MarketView } from '../sut';
import type { EventOfType } from './broker-events';
import { flashCrash, liquidityDrain, spreadWidening } from '../simulators/market';
import type { MarketEvent } from '../simulators/market';
import type { EventLog } from './event-log';
import type { Market } from './market';
import type { ScenarioContext } from './scenario-context';
import { WAIT_MS } from './system-session';

/** The zone US equities trade in: scenario times are written as the venue's people read them. */
export const VENUE_ZONE = 'America/New_York';

/** How a scenario names the whole US equity market in a halt ("the market"). */
export const WHOLE_MARKET = 'the market';

type Level = { readonly price: Decimal; readonly quantity: Decimal };

/** A symbol, or the whole US equity market. */
function statusSymbol(name: string): string {
  return name === WHOLE_MARKET ? MARKET_WIDE : name;
}

/**
 * The exchange: what the venue does to the market beyond a mark (halts and reopenings, prior
 * closes, implied volatility, scripted events from the market simulator, faults of its feed) and
 * what the system then knows of it. Every action waits until the system has taken in what the
 * venue published, read from its own market state, never from the simulator's.
 */
export class Exchange {
  constructor(
    private readonly context: ScenarioContext,
    private readonly eventLog: EventLog,
    private readonly market: Market,
  ) {}

  /** Configuration of the next start: the system takes marks, books and trading status from the venue's market data feed. */
  feedTheSystem(): void {
    this.context.takeMarketDataFromVenue();
  }

  // ---- the venue's clock ----

  /** The venue's local time ("2026-01-06 09:29:59") as an instant. */
  static instant(local: string): Date {
    const at = DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: VENUE_ZONE });
    if (!at.isValid) throw new Error(`"${local}" is not a New York time written yyyy-MM-dd HH:mm:ss: ${at.invalidExplanation ?? at.invalidReason}`);
    return at.toJSDate();
  }

  /**
   * Time moves on to a New York time (it never goes back), and every symbol is marked again where it
   * stood, as a live feed does: the session rules act on the venue's messages at that time.
   */
  async timeIs(local: string): Promise<void> {
    const target = Exchange.instant(local);
    const now = this.context.clock.now();
    if (target.getTime() < now.getTime()) throw new Error(`the scenario's clock is at ${now.toISOString()}; it cannot go back to ${local} New York time`);
    this.context.clock.set(target);
    await this.market.markEverySymbolAgain();
  }

  // ---- trading status ----

  /** The venue halts a symbol or the whole market; returns once the system has recorded the halt. */
  async halt(name: string, reason: HaltReason): Promise<EventOfType<'MarketStatusChanged'>> {
    const symbol = statusSymbol(name);
    const mark = this.eventLog.mark();
    this.context.market.halt(symbol, reason);
    return this.eventLog.waitForType('MarketStatusChanged', mark, e => e.payload.symbol === symbol && e.payload.status !== 'open', WAIT_MS.settle);
  }

  /** The venue reopens a symbol (with its reopening print) or the whole market; returns once the system has recorded it. */
  async reopen(name: string, print?: Decimal): Promise<EventOfType<'MarketStatusChanged'>> {
    const symbol = statusSymbol(name);
    const mark = this.eventLog.mark();
    this.context.market.reopen(symbol, print);
    return this.eventLog.waitForType('MarketStatusChanged', mark, e => e.payload.symbol === symbol && e.payload.status === 'open', WAIT_MS.settle);
  }

  /** The venue reopens the whole market while a level 3 halt stands: returns once the system has heard it and refused it. */
  async reopenRefused(name: string): Promise<void> {
    const symbol = statusSymbol(name);
    const before = this.context.system.counter('market.reopening_refused.level_3');
    this.context.market.reopen(symbol);
    await this.context.session.until('the system to refuse the reopening', () => this.context.system.counter('market.reopening_refused.level_3') > before);
  }

  /** The S&P 500's close on the trading day before, as the venue publishes it. */
  async priorClose(symbol: string, price: Decimal, tradingDay: string): Promise<void> {
    const mark = this.eventLog.mark();
    this.context.market.setPriorClose(symbol, price, tradingDay);
    await this.eventLog.waitForType('PriorCloseRecorded', mark, e => e.payload.symbol === symbol, WAIT_MS.settle);
  }

  /** An implied-volatility index (VIX for the S&P 500's stocks) moves to a level, as a share (0.6 = 60 %). */
  async impliedVolatility(index: string, value: Decimal): Promise<void> {
    const mark = this.eventLog.mark();
    this.context.market.setImpliedVolatility(index, value);
    await this.eventLog.waitForType('ImpliedVolatilityUpdated', mark, e => e.payload.underlying === index && value.eq(e.payload.value), WAIT_MS.settle);
  }

  // ---- modelled markets and scripted events ----

  /** The venue models a symbol from a price: a seeded path, a book of several levels a side that follows the regime. */
  async model(symbol: string, price: Decimal, options: { depthPerLevel?: Decimal; baseSpreadBps?: number } = {}): Promise<void> {
    this.context.market.model(symbol, { price, holdRegime: true, ...options });
    await this.caughtUp();
  }

  /** A flash crash shaped like 6 May 2010 (a fall of the given share, liquidity withdrawn at the low) starts now. */
  startFlashCrash(symbol: string, fall: number): void {
    this.schedule(flashCrash({ symbol, fall }));
  }

  /** The book drains to a share of its depth over a time, and stays there. */
  startLiquidityDrain(symbol: string, toShare: number, overMs: number): void {
    this.schedule(liquidityDrain({ symbol, toShare, overMs }));
  }

  /** The spread widens by a factor over a time, and stays there. */
  startSpreadWidening(symbol: string, factor: number, overMs: number): void {
    this.schedule(spreadWidening({ symbol, factor, overMs }));
  }

  /** Time passes on the venue, one step a second: paths move, events act, and every step is published; returns once the system has caught up. */
  async advance(ms: number, stepMs = 1000): Promise<void> {
    this.context.market.advance(ms, stepMs);
    await this.caughtUp();
    await this.context.system.breakers.idle();
    await this.context.system.marketIdle();
  }

  private schedule(event: MarketEvent): void {
    this.context.market.schedule(event);
  }

  // ---- the feed's faults ----

  /** The next book delta of a symbol never reaches the system. */
  loseNextBookDelta(symbol: string): void {
    this.context.marketDataFaults.dropNextBookDelta(symbol);
  }

  /** The venue's feed stalls: nothing reaches the system, and what the venue publishes meanwhile is lost. */
  stallFeed(): void {
    this.context.marketDataFaults.stall();
  }

  /** The venue publishes a mark the stalled feed never delivers. */
  publishUndelivered(symbol: string, price: Decimal, bids?: readonly Level[], asks?: readonly Level[]): void {
    this.context.market.setMark(symbol, price, { ...(bids ? { bids } : {}), ...(asks ? { asks } : {}) });
  }

  /** The gap the system found in a book's numbering, and its resynchronisation from a snapshot. */
  async bookRepaired(symbol: string, after: number): Promise<{ gap: EventOfType<'MarketDataGap'>; resynchronised: EventOfType<'MarketBookResynchronised'> }> {
    const gap = await this.eventLog.waitForType('MarketDataGap', after, e => e.payload.symbol === symbol, WAIT_MS.settle);
    const resynchronised = await this.eventLog.waitForType('MarketBookResynchronised', gap.seq, e => e.payload.symbol === symbol, WAIT_MS.settle);
    await this.caughtUp();
    return { gap, resynchronised };
  }

  // ---- what the system knows ----

  /** The system's picture of a symbol's market now. */
  view(symbol: string): MarketView {
    const view = this.context.system.marketView(symbol);
    if (!view) throw new Error(`the system has no market view of ${symbol}: it takes no market data, or does not list ${symbol}`);
    return view;
  }

  /**
   * Until the system's market is the venue's: the same mark and book (by its sequence number) for
   * every symbol the venue publishes, and the same trading status for every halt in force.
   */
  async caughtUp(): Promise<void> {
    const venue = this.context.market;
    await this.context.session.until('the system to take in everything the venue published', () => {
      const system = this.context.system;
      for (const message of venue.currentState()) {
        if (message.type === 'mark' && !system.state.marks.get(message.symbol)?.eq(message.price)) return false;
        if (message.type === 'book_snapshot' && system.marketView(message.symbol)?.book?.seq !== message.seq) return false;
      }
      return true;
    }, WAIT_MS.settle);
  }
}
