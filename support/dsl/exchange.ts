import { DateTime } from 'luxon';
import { Decimal, MARKET_WIDE } from '../sut';
import type { HaltReason, MarketView } from '../sut';
import type { EventOfType } from './broker-events';
import { flashCrash, impliedVolatilitySurge, liquidityDrain, spreadWidening } from '../simulators/market';
import type { MarketEvent } from '../simulators/market';
import type { EventLog } from './event-log';
import type { Market } from './market';
import type { ScenarioContext } from './scenario-context';
import { WAIT_MS } from './system-session';

/** The zone US equities trade in: scenario times are written as the venue's people read them. */
export const VENUE_ZONE = 'America/New_York';

/** How a scenario names the whole US equity market in a halt ("the market"). */
export const WHOLE_MARKET = 'the market';

/** How often a modelled market publishes while time passes on the venue. */
const VENUE_STEP_MS = 5000;
/** Time a published message may take to reach the system and be taken in, over the wire on a loaded machine. */
const CATCH_UP_MS_PER_MESSAGE = 10;

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
    this.context.takeMarketDataFrom('venue feed');
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
    await this.moveTo(Exchange.instant(local), `${local} New York time`);
  }

  /** The same, with the time written in UTC ("2026-03-09 13:30:00"). */
  async timeIsUtc(utc: string): Promise<void> {
    const at = DateTime.fromFormat(utc, 'yyyy-MM-dd HH:mm:ss', { zone: 'utc' });
    if (!at.isValid) throw new Error(`"${utc}" is not a UTC time written yyyy-MM-dd HH:mm:ss`);
    await this.moveTo(at.toJSDate(), `${utc} UTC`);
  }

  private async moveTo(target: Date, said: string): Promise<void> {
    const now = this.context.clock.now();
    if (target.getTime() < now.getTime()) throw new Error(`the scenario's clock is at ${now.toISOString()}; it cannot go back to ${said}`);
    // What the system still has on its way to the broker was signed now: it must arrive before the clock jumps past its receive window.
    await this.eventLog.reconciliationsSettled();
    // A live feed would have ticked all along: every mark is fresh a second before, so what the venue's day
    // does at the time itself (the close prepared, a session opened) meets no stale mark.
    const secondBefore = target.getTime() - 1000;
    if (secondBefore > now.getTime()) {
      this.context.clock.set(new Date(secondBefore));
      await this.market.markEverySymbolAgain();
    }
    this.context.clock.set(target);
    await this.market.markEverySymbolAgain();
  }

  // ---- trading status ----

  /**
   * The venue halts a symbol or the whole market; returns once the system holds the halt (the
   * venue's message, or its own reading of the index that came first: the same halt adds no event).
   */
  async halt(name: string, reason: HaltReason): Promise<void> {
    const symbol = statusSymbol(name);
    this.context.market.halt(symbol, reason);
    await this.context.session.until(`the system to hold the halt of ${name} for ${reason}`, () => {
      const changes = this.eventLog.ofType('MarketStatusChanged').filter(e => e.payload.symbol === symbol);
      const last = changes[changes.length - 1];
      return last !== undefined && last.payload.status !== 'open' && last.payload.reason === reason;
    });
  }

  /** The venue reopens a symbol (with its reopening print) or the whole market; returns once the system has recorded it. */
  async reopen(name: string, print?: Decimal): Promise<EventOfType<'MarketStatusChanged'>> {
    const symbol = statusSymbol(name);
    const mark = this.eventLog.mark();
    this.context.market.reopen(symbol, print);
    return this.eventLog.waitForType('MarketStatusChanged', mark, e => e.payload.symbol === symbol && e.payload.status === 'open', WAIT_MS.settle);
  }

  /** The venue reopens a symbol or the whole market; returns once the system has recorded the reopening, or refused it (a level 3 halt stands for the day). */
  async reopenHeard(name: string): Promise<void> {
    const symbol = statusSymbol(name);
    const mark = this.eventLog.mark();
    const refused = () => this.context.system.counter('market.reopening_refused.level_3');
    const before = refused();
    this.context.market.reopen(symbol);
    const recorded = () => this.eventLog.ofType('MarketStatusChanged', mark).some(e => e.payload.symbol === symbol && e.payload.status === 'open');
    await this.context.session.until(`the system to take in the reopening of ${name}`, () => recorded() || refused() > before);
  }

  /** The latest trading status the system recorded for a symbol that matches, waited for. */
  statusRecorded(name: string, match: (event: EventOfType<'MarketStatusChanged'>) => boolean): Promise<EventOfType<'MarketStatusChanged'>> {
    const symbol = statusSymbol(name);
    return this.eventLog.waitForType('MarketStatusChanged', 0, e => e.payload.symbol === symbol && match(e), WAIT_MS.settle);
  }

  /** Every level the market-wide circuit breaker reached, oldest first. */
  marketWideTriggers(): EventOfType<'MarketWideBreakerTriggered'>[] {
    return this.eventLog.ofType('MarketWideBreakerTriggered');
  }

  /** The close preparation of the day, waited for with the orders that flatten it: returns once every flattened position is flat or its order has settled. */
  async closePrepared(): Promise<EventOfType<'ClosePreparationStarted'>> {
    const prepared = await this.eventLog.waitForType('ClosePreparationStarted', 0, () => true, WAIT_MS.settle);
    await this.context.system.marketIdle();
    const flat = (symbol: string) => this.context.system.state.position(symbol)?.netQuantity.isZero() ?? true;
    const settled = (symbol: string) => this.eventLog.ofType('OrderRejected', prepared.seq).some(e => e.payload.clientOrderId.endsWith(`-${symbol}`));
    await this.context.session.until('the close preparation to flatten its positions', () => prepared.payload.flattened.every(s => flat(s) || settled(s)), WAIT_MS.broker);
    await this.eventLog.reconciliationsSettled();
    return prepared;
  }

  /** The day orders cancelled at the close, waited for. */
  dayOrdersExpired(): Promise<EventOfType<'DayOrdersExpired'>> {
    return this.eventLog.waitForType('DayOrdersExpired', 0, () => true, WAIT_MS.settle);
  }

  /** An order's status here and at the broker once the system has cancelled it (the cancel is the system's own order action). */
  async workingOrderCancelled(clientOrderId: string): Promise<{ here: string; atBroker: string | undefined }> {
    await this.eventLog.waitForType('OrderCancelled', 0, e => e.payload.clientOrderId === clientOrderId, WAIT_MS.broker);
    await this.context.system.marketIdle();
    const here = this.context.system.state.order(clientOrderId).status;
    const atBroker = this.context.broker.allOrders().find(o => o.clientOrderId === clientOrderId)?.status;
    return { here, atBroker };
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
    await this.context.system.breakers.idle();
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

  /** An implied-volatility index rises in a straight line from one level to another (shares: 0.6 = 60 %) over a time. */
  startImpliedVolatilitySurge(index: string, from: number, to: number, overMs: number): void {
    this.schedule(impliedVolatilitySurge({ underlying: index, from, to, overMs }));
  }

  /** Time passes on the venue, one step every five seconds: paths move, events act, and every step is published; returns once the system has caught up. */
  async advance(ms: number, stepMs = VENUE_STEP_MS): Promise<void> {
    const venue = this.context.market;
    const before = venue.messagesPublished;
    venue.advance(ms, stepMs);
    // Each message is a mark recorded (a durable write) or a book change: the system is given time in proportion.
    await this.market.caughtUp(WAIT_MS.settle + (venue.messagesPublished - before) * CATCH_UP_MS_PER_MESSAGE);
    // An implied-volatility index is no book or mark: its last level is looked for in the log.
    for (const message of venue.currentState()) {
      if (message.type !== 'implied_volatility') continue;
      const { underlying, value } = message;
      await this.context.session.until(`the system to record ${underlying} at ${value}`, () => {
        const recorded = this.eventLog.ofType('ImpliedVolatilityUpdated').filter(e => e.payload.underlying === underlying);
        return recorded.length > 0 && value.eq(recorded[recorded.length - 1].payload.value);
      });
    }
    await this.context.system.breakers.idle();
    await this.context.system.marketIdle();
  }

  private schedule(event: MarketEvent): void {
    this.context.market.schedule(event);
  }

  // ---- the feed's faults ----

  /** The next book delta of a symbol never reaches the system. */
  loseNextBookDelta(symbol: string): void {
    this.lostDeltaAt = this.eventLog.mark();
    this.context.marketDataFaults.dropNextBookDelta(symbol);
  }

  /** Where the log stood when a book delta was lost: the gap is looked for after it. */
  private lostDeltaAt = 0;

  /** The venue's feed stalls: nothing reaches the system, and what the venue publishes meanwhile is lost. */
  stallFeed(): void {
    this.context.marketDataFaults.stall();
  }

  /** The next book delta of a symbol is lost as the venue marks it: the mark arrives, the book's change does not. */
  async loseBookDeltaOfMark(symbol: string, price: Decimal, asks: readonly Level[]): Promise<void> {
    this.loseNextBookDelta(symbol);
    const after = this.eventLog.mark();
    this.context.market.setMark(symbol, price, { asks });
    await this.eventLog.waitForType('MarkPriceUpdated', after, e => e.payload.symbol === symbol && price.eq(e.payload.price), WAIT_MS.settle);
  }

  /** The venue publishes a mark the stalled feed never delivers. */
  publishUndelivered(symbol: string, price: Decimal, bids?: readonly Level[], asks?: readonly Level[]): void {
    this.context.market.setMark(symbol, price, { ...(bids ? { bids } : {}), ...(asks ? { asks } : {}) });
  }

  /** The gap the system found in a book's numbering, and its resynchronisation from a snapshot. */
  async bookRepaired(symbol: string, after: number = this.lostDeltaAt): Promise<{ gap: EventOfType<'MarketDataGap'>; resynchronised: EventOfType<'MarketBookResynchronised'> }> {
    const gap = await this.eventLog.waitForType('MarketDataGap', after, e => e.payload.symbol === symbol, WAIT_MS.settle);
    const resynchronised = await this.eventLog.waitForType('MarketBookResynchronised', gap.seq, e => e.payload.symbol === symbol, WAIT_MS.settle);
    await this.caughtUp();
    return { gap, resynchronised };
  }

  // ---- what the system knows ----

  /** The system's book of a symbol and the venue's, best first on each side. */
  books(symbol: string): { here: { bids: Level[]; asks: Level[] }; venue: { bids: Level[]; asks: Level[] } } {
    const book = this.view(symbol).book;
    if (!book) throw new Error(`the system has no usable ${symbol} book`);
    const plain = (levels: readonly Level[]) => levels.map(l => ({ price: l.price.toString(), quantity: l.quantity.toString() })) as unknown as Level[];
    const venue = this.context.market.bookOf(symbol);
    return { here: { bids: plain(book.bids), asks: plain(book.asks) }, venue: { bids: plain(venue.bids), asks: plain(venue.asks) } };
  }

  /** The system's picture of a symbol's market now. */
  view(symbol: string): MarketView {
    const view = this.context.system.marketView(symbol);
    if (!view) throw new Error(`the system has no market view of ${symbol}: it takes no market data, or does not list ${symbol}`);
    return view;
  }

  /** Until the system's market is the venue's (Market.caughtUp). */
  caughtUp(timeoutMs?: number): Promise<void> {
    return this.market.caughtUp(timeoutMs);
  }
}
