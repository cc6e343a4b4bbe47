import { Clock, Decimal, describeError } from '../shared';
import type { Instrument } from '../model';
import type { RecordedTradingStatus, StoredEvent, TradingLedger } from '../state';
import type { Telemetry } from '../telemetry';
// The pure volatility measures, from their own file: the breakers' folder as a whole reaches the execution layer, which reads the market.
import { MINUTES_PER_YEAR, PriceHistory, PricePoint, realizedVolatility } from '../breakers/volatility';
import { HaltReason, MARKET_WIDE, MarketDataFeedEvent, MarketDataMessage, MarketDataSource } from './market-data';
import type { MarketView, TradingStatusView } from './market-view';
import { calendarFor } from './venue-calendar';
import { evaluateMarketWideBreaker } from './market-wide-breaker';
import { LULD_REFERENCE_MOVE, LULD_REFERENCE_WINDOW_MS, luldBands, luldReferencePrice } from './limit-up-limit-down';
import { classifyRegime } from './volatility-regime';
import { LocalOrderBook } from './local-order-book';
import { SessionWatch, inClosePreparation } from './session-watch';

/** One-minute periods in a year of regular sessions (252 days of 390 minutes): an equity's returns are annualised by them. */
export const EQUITY_MINUTES_PER_YEAR = 252 * 390;
const TRADING_DAYS_PER_YEAR = { 'us-equity': 252, continuous: 365 } as const;

export interface MarketStatePorts {
  readonly ledger: TradingLedger;
  readonly clock: Clock;
  /** The one mark path (InputDesk.updateMark): the breakers and the risk checks read the MarkPriceUpdated it records. */
  readonly recordMark: (symbol: string, price: Decimal) => void;
  /** Time-driven rules of the venue's day; run after every message. */
  readonly sessionWatch?: SessionWatch;
  readonly telemetry?: Telemetry;
}

const OPEN: TradingStatusView = { status: 'open', reason: null, since: null, awaitingReopeningPrint: false };

function sameStatus(a: RecordedTradingStatus | undefined, message: Extract<MarketDataMessage, { type: 'trading_status' }>): boolean {
  const status = a?.status ?? 'open';
  const reason = a?.reason ?? null;
  const reopening = a?.reopeningPrice ?? null;
  if (status !== message.status) return false;
  if (status === 'open') return (message.reopeningPrice === undefined && reopening === null) || (message.reopeningPrice !== undefined && reopening !== null && reopening.eq(message.reopeningPrice));
  return reason === message.reason;
}

/**
 * The market as the trading system knows it, fed by a market data source: a local copy of every
 * book (rebuilt from a snapshot after a gap), marks through the system's mark path, trading status,
 * implied volatility and prior closes in the log (a restart keeps halts), the market-wide circuit
 * breakers on the S&P 500's marks, and five minutes of marks per symbol for the LULD bands (with
 * enough one-minute closes for the realized volatility). Books and samples live in memory and come
 * back from the feed after a restart. view() is what the market checks read.
 *
 * Reconnect rule: after a feed connects, the venue sends its current state first; a mark in it equal
 * to the mark the log holds is the one already recorded, so it adds no event. That window lasts
 * until connect() resolves, or after a reconnect until the first heartbeat or book delta.
 */
export class MarketState {
  private readonly books = new Map<string, LocalOrderBook>();
  /** Symbols whose book lost deltas: unusable until the next snapshot, which is recorded as the resynchronisation. */
  private readonly resynchronising = new Set<string>();
  /** Symbols whose first message was a delta (a book listed after the feed connected): their snapshot is asked for once. */
  private readonly firstSnapshots = new Set<string>();
  private readonly samples = new Map<string, PriceHistory>();
  /**
   * The LULD reference price per symbol as the venue keeps it: the mean of the regular session's
   * prices of the five minutes before, moved only when that mean has moved 1 % from it; a price with
   * none in the five minutes before it starts a new reference, as a reopening print does.
   */
  private readonly luld = new Map<string, { reference: Decimal; points: PricePoint[] }>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly stopWatchingLog: () => void;
  private source: MarketDataSource | null = null;
  private initialState = false;

  constructor(private readonly ports: MarketStatePorts) {
    this.stopWatchingLog = ports.ledger.subscribe(event => this.onRecorded(event));
  }

  private get state() {
    return this.ports.ledger.state;
  }

  /** Listen to a source's messages and feed events (one source at a time). */
  attach(source: MarketDataSource): void {
    this.detach();
    this.source = source;
    this.unsubscribe.push(source.onMessage(message => this.onMessage(message)));
    this.unsubscribe.push(source.onFeedEvent(event => this.onFeedEvent(event)));
  }

  /** Connect the attached source; resolves once it has delivered every book's first snapshot. */
  async connect(): Promise<void> {
    if (!this.source) return;
    this.initialState = true;
    try {
      await this.source.connect();
    } finally {
      this.initialState = false;
    }
  }

  /** Stop listening; the source is closed by whoever owns it. */
  detach(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
    this.source = null;
  }

  /** Stop listening to the source and to the log. */
  stop(): void {
    this.detach();
    this.stopWatchingLog();
  }

  /** Resolves when every snapshot request and every order action started so far has been answered. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.ports.sessionWatch?.idle();
  }

  /** Run the time-driven rules now (every message does). */
  tick(): void {
    this.ports.sessionWatch?.run();
  }

  onMessage(message: MarketDataMessage): void {
    try {
      this.apply(message);
    } catch (error) {
      this.ports.telemetry?.increment(`market.messages.failed.${describeError(error).kind}`);
    }
    try {
      this.tick();
    } catch (error) {
      this.ports.telemetry?.increment(`market.session_watch.failed.${describeError(error).kind}`);
    }
  }

  onFeedEvent(event: MarketDataFeedEvent): void {
    const source = this.source?.name ?? 'market data';
    const ledger = this.ports.ledger;
    switch (event.type) {
      case 'connected':
        this.initialState = true;
        ledger.record({ type: 'MarketDataConnectionChanged', payload: { source, state: 'connected', reason: 'connected', attempt: event.attempt } });
        return;
      case 'lost':
        ledger.record({ type: 'MarketDataConnectionChanged', payload: { source, state: 'lost', reason: event.reason } });
        return;
      case 'gave_up':
        ledger.record({ type: 'MarketDataConnectionChanged', payload: { source, state: 'gave_up', reason: event.reason, attempt: event.attempts } });
        return;
      case 'book_gap':
        // The source saw the gap first and asks for the snapshot itself: the book is unusable until it arrives.
        if (!this.resynchronising.has(event.symbol)) {
          this.resynchronising.add(event.symbol);
          ledger.record({ type: 'MarketDataGap', payload: { symbol: event.symbol, expected: event.expected, received: event.received } });
        }
        return;
      case 'book_resynchronised':
        // Recorded when the snapshot reaches the book here.
        return;
      case 'message_rejected':
        ledger.record({ type: 'MarketDataMessageRejected', payload: { source, reason: event.reason } });
        return;
    }
  }

  private apply(message: MarketDataMessage): void {
    switch (message.type) {
      case 'mark':
        return this.onMark(message.symbol, message.price);
      case 'book_snapshot':
      case 'book_delta':
        return this.onBook(message);
      case 'trading_status':
        return this.onTradingStatus(message);
      case 'implied_volatility': {
        const known = this.state.market.impliedVolatility.get(message.underlying);
        if (known?.eq(message.value)) return;
        this.ports.ledger.record({ type: 'ImpliedVolatilityUpdated', payload: { underlying: message.underlying, value: message.value.toString() } });
        return;
      }
      case 'prior_close': {
        if (!this.state.instruments.find(message.symbol)) return;
        const known = this.state.market.priorCloses.get(message.symbol);
        if (known && known.price.eq(message.price) && known.tradingDay === message.tradingDay) return;
        this.ports.ledger.record({ type: 'PriorCloseRecorded', payload: { symbol: message.symbol, price: message.price.toString(), tradingDay: message.tradingDay } });
        return;
      }
      case 'heartbeat':
        this.initialState = false;
        return;
    }
  }

  private onMark(symbol: string, price: Decimal): void {
    if (!this.state.instruments.find(symbol)) {
      this.ports.telemetry?.increment('market.marks.unlisted');
      return;
    }
    if (this.initialState && this.state.marks.get(symbol)?.eq(price)) return;
    this.ports.recordMark(symbol, price);
  }

  private onBook(message: Extract<MarketDataMessage, { type: 'book_snapshot' | 'book_delta' }>): void {
    const { symbol } = message;
    if (!this.state.instruments.find(symbol)) return;
    if (message.type === 'book_delta') this.initialState = false;
    let book = this.books.get(symbol);
    if (!book) {
      book = new LocalOrderBook(symbol);
      this.books.set(symbol, book);
    }
    const outcome = book.apply(message);
    if (outcome.outcome === 'applied' && message.type === 'book_snapshot') this.firstSnapshots.delete(symbol);
    if (outcome.outcome === 'applied' && message.type === 'book_snapshot' && this.resynchronising.delete(symbol)) {
      this.ports.ledger.record({ type: 'MarketBookResynchronised', payload: { symbol, seq: outcome.seq } });
    }
    // A book the venue started after the initial state has no snapshot here yet: its deltas mean nothing until one is taken.
    if (outcome.outcome === 'ignored' && !book.synced && !this.resynchronising.has(symbol) && !this.firstSnapshots.has(symbol)) {
      this.firstSnapshots.add(symbol);
      this.requestSnapshot(symbol);
    }
    if (outcome.outcome === 'gap' && !this.resynchronising.has(symbol)) {
      this.resynchronising.add(symbol);
      this.ports.ledger.record({ type: 'MarketDataGap', payload: { symbol, expected: outcome.expected, received: outcome.received } });
      this.requestSnapshot(symbol);
    }
  }

  private requestSnapshot(symbol: string): void {
    const source = this.source;
    if (!source) return;
    const request = source.requestSnapshot(symbol).catch(error => {
      this.ports.telemetry?.increment(`market.snapshot_requests.failed.${describeError(error).kind}`);
    });
    this.pending.add(request);
    void request.finally(() => this.pending.delete(request));
  }

  private onTradingStatus(message: Extract<MarketDataMessage, { type: 'trading_status' }>): void {
    const { symbol } = message;
    const marketWide = symbol === MARKET_WIDE;
    if (!marketWide && !this.state.instruments.find(symbol)) return;
    if (message.status === 'open' && this.levelThreeInForce() && (marketWide || this.isUsEquity(symbol))) {
      // Level 3 closes the market for the rest of the day: a reopening the same day is not taken.
      this.ports.telemetry?.increment('market.reopening_refused.level_3');
      return;
    }
    const own = this.state.market.statuses.get(symbol);
    const overridden = !marketWide && message.status === 'open' && this.isUsEquity(symbol) && this.marketWideOverrides(symbol);
    if (sameStatus(own, message) && !overridden) return;
    this.ports.ledger.record({
      type: 'MarketStatusChanged',
      payload: { symbol, status: message.status, reason: message.reason, ...(message.reopeningPrice !== undefined ? { reopeningPrice: message.reopeningPrice.toString() } : {}) },
    });
    if (message.status !== 'open') this.ports.sessionWatch?.halted(marketWide ? this.usEquities().map(i => i.symbol) : [symbol], message.reason);
    // The reopening print is a trade at the venue: the symbol's price from now on, and the LULD reference starts again from it.
    if (message.status === 'open' && message.reopeningPrice !== undefined && !marketWide) {
      this.luld.delete(symbol);
      this.ports.recordMark(symbol, message.reopeningPrice);
    }
  }

  /** The market-wide halt stands over the symbol: it is not open and the symbol has not reopened on its own since. */
  private marketWideOverrides(symbol: string): boolean {
    const wide = this.state.market.statuses.get(MARKET_WIDE);
    if (!wide || wide.status === 'open') return false;
    const own = this.state.market.statuses.get(symbol);
    return !own || own.order < wide.order || own.status !== 'open';
  }

  private levelThreeInForce(): boolean {
    const day = this.usEquityTradingDay();
    if (!day) return false;
    const wide = this.state.market.statuses.get(MARKET_WIDE);
    return wide?.status === 'halted' && wide.reason === 'MARKET_WIDE_LEVEL_3' && this.state.market.levelsReached(day).has(3);
  }

  private usEquityTradingDay(): string | null {
    return calendarFor('us-equity').sessionAt(this.ports.clock.now()).tradingDay;
  }

  private isUsEquity(symbol: string): boolean {
    const instrument = this.state.instruments.find(symbol);
    return instrument !== undefined && instrument.calendar === 'us-equity' && instrument.kind !== 'index';
  }

  private usEquities(): Instrument[] {
    return this.state.instruments.all().filter(i => i.calendar === 'us-equity' && i.kind !== 'index');
  }

  /** Every mark the log records, from the feed or not: a sample for the bands and the volatility, and an index's level for the market-wide breakers. */
  private onRecorded(event: StoredEvent): void {
    if (event.type !== 'MarkPriceUpdated') return;
    const { symbol } = event.payload;
    const price = new Decimal(event.payload.price);
    this.addSample(symbol, price, Date.parse(event.at));
    this.followLuldReference(symbol, price, Date.parse(event.at));
    const instrument = this.state.instruments.find(symbol);
    if (instrument?.kind === 'index' && instrument.calendar === 'us-equity') {
      try {
        this.evaluateMarketWide(symbol, price);
      } catch (error) {
        this.ports.telemetry?.increment(`market.market_wide.failed.${describeError(error).kind}`);
      }
    }
  }

  private addSample(symbol: string, price: Decimal, atMs: number): void {
    let history = this.samples.get(symbol);
    if (!history) {
      history = new PriceHistory();
      this.samples.set(symbol, history);
    }
    history.add({ price, atMs }, this.retentionMs());
  }

  private followLuldReference(symbol: string, price: Decimal, atMs: number): void {
    const instrument = this.state.instruments.find(symbol);
    if (!instrument || instrument.luldTier === null || instrument.kind === 'index' || instrument.calendar !== 'us-equity') return;
    if (calendarFor('us-equity').sessionAt(new Date(atMs)).session !== 'regular') return;
    const kept = this.luld.get(symbol);
    const points = (kept?.points ?? []).filter(p => p.atMs > atMs - LULD_REFERENCE_WINDOW_MS);
    const mean = luldReferencePrice(points, atMs);
    if (!kept || mean === null) {
      this.luld.set(symbol, { reference: price, points: [{ price, atMs }] });
      return;
    }
    const reference = mean.minus(kept.reference).abs().div(kept.reference).gte(LULD_REFERENCE_MOVE) ? mean : kept.reference;
    points.push({ price, atMs });
    this.luld.set(symbol, { reference, points });
  }

  /** Five minutes for the LULD reference price, or the volatility window of one-minute returns if longer. */
  private retentionMs(): number {
    const window = Number(this.state.settings.snapshot().volatility_window_returns ?? '20');
    return Math.max(LULD_REFERENCE_WINDOW_MS, (window + 2) * 60_000);
  }

  private evaluateMarketWide(index: string, level: Decimal): void {
    const prior = this.state.market.priorCloses.get(index);
    if (!prior) return;
    const now = this.ports.clock.now();
    const calendar = calendarFor('us-equity');
    const session = calendar.sessionAt(now);
    // The breakers watch the regular session only: before the open the index has not traded today.
    if (session.session !== 'regular' || !session.tradingDay) return;
    const day = session.tradingDay;
    const decision = evaluateMarketWideBreaker({ priorClose: prior.price, indexLevel: level, at: now, triggeredToday: this.state.market.levelsReached(day), calendar });
    if (decision.level === null) return;
    const haltEnds = decision.haltEnds instanceof Date ? decision.haltEnds.toISOString() : decision.haltEnds;
    this.ports.ledger.record({
      type: 'MarketWideBreakerTriggered',
      payload: { level: decision.level, decline: decision.decline.toString(), halts: decision.halts, haltEnds, tradingDay: day, index, indexLevel: level.toString(), priorClose: prior.price.toString() },
    });
    if (!decision.halts) return;
    const reason: HaltReason = `MARKET_WIDE_LEVEL_${decision.level}`;
    this.ports.ledger.record({ type: 'MarketStatusChanged', payload: { symbol: MARKET_WIDE, status: 'halted', reason } });
    this.ports.sessionWatch?.halted(this.usEquities().map(i => i.symbol), reason);
  }

  /**
   * A symbol's trading status: its own, or for a US equity the market-wide one, whichever came
   * last and is not open; a market-wide reopening does not lift a symbol's own halt, a symbol's own
   * reopening lifts the market-wide halt for it. Market orders wait for the reopening print after a
   * halt or pause until a reopening that carries it (a reopening without one keeps them waiting),
   * and after a closed period until the first mark of the regular session.
   */
  tradingStatus(instrument: Instrument, session: MarketView['session']): TradingStatusView {
    const own = this.state.market.statuses.get(instrument.symbol);
    const wide = instrument.calendar === 'us-equity' ? this.state.market.statuses.get(MARKET_WIDE) : undefined;
    const records = [own, wide].filter((r): r is RecordedTradingStatus => r !== undefined).sort((a, b) => b.order - a.order);
    let chosen: RecordedTradingStatus | undefined = records[0];
    if (chosen && chosen.status === 'open' && chosen === wide && own && own.status !== 'open') chosen = own;
    const status: TradingStatusView = chosen ? { status: chosen.status, reason: chosen.reason, since: chosen.since, awaitingReopeningPrint: chosen.awaitingReopeningPrint } : OPEN;
    if (status.awaitingReopeningPrint || instrument.calendar === 'continuous' || session.session !== 'regular' || !session.regularOpen) return status;
    const markedAt = this.state.markTimes.get(instrument.symbol);
    const printedToday = markedAt !== undefined && Date.parse(markedAt) >= session.regularOpen.getTime();
    return printedToday ? status : { ...status, awaitingReopeningPrint: true };
  }

  /** The local book of a symbol as the market checks see it: null before its first snapshot and while a gap is repaired. */
  book(symbol: string): MarketView['book'] {
    if (this.resynchronising.has(symbol)) return null;
    return this.books.get(symbol)?.view() ?? null;
  }

  /** Annualised realized volatility from the one-minute closes of the marks kept. */
  realizedVolatility(instrument: Instrument): Decimal | null {
    const settings = this.state.settings.snapshot();
    const window = Number(settings.volatility_window_returns);
    const minimum = Number(settings.volatility_min_returns);
    const returns = this.samples.get(instrument.symbol)?.returns() ?? [];
    try {
      return realizedVolatility(returns, window, minimum, instrument.calendar === 'us-equity' ? EQUITY_MINUTES_PER_YEAR : MINUTES_PER_YEAR);
    } catch {
      // Settings that cannot make an estimate (a minimum above the window) give none.
      return null;
    }
  }

  /** The instrument's implied-volatility index, or one published under its own symbol. */
  impliedVolatility(instrument: Instrument): Decimal | null {
    const published = this.state.market.impliedVolatility;
    return (instrument.impliedVolatilityIndex ? published.get(instrument.impliedVolatilityIndex) : undefined) ?? published.get(instrument.symbol) ?? null;
  }

  /** The picture the market checks read for one symbol, taken now; null for an unlisted symbol. */
  view(symbol: string): MarketView | null {
    const instrument = this.state.instruments.find(symbol);
    if (!instrument) return null;
    const now = this.ports.clock.now();
    const calendar = calendarFor(instrument.calendar);
    const session = calendar.sessionAt(now);
    const limits = this.state.settings.limits;
    const realized = this.realizedVolatility(instrument);
    const implied = this.impliedVolatility(instrument);
    const { regime, driver } = classifyRegime({ realized, implied }, { elevated: limits.regimeElevatedVolatility, stress: limits.regimeStressVolatility });
    // Impact is priced from the higher of the two, as the regime is.
    const annual = realized && implied ? Decimal.max(realized, implied) : (realized ?? implied);
    let bands: MarketView['bands'] = null;
    if (instrument.luldTier !== null && session.session === 'regular') {
      const reference = this.luld.get(symbol)?.reference ?? null;
      bands = reference ? luldBands(reference, instrument.luldTier, now, calendar) : null;
    }
    return {
      symbol,
      session,
      status: this.tradingStatus(instrument, session),
      book: this.book(symbol),
      closePreparation: inClosePreparation(session, now, limits.closePreparationMinutes),
      bands,
      realizedVolatility: realized,
      impliedVolatility: implied,
      regime,
      regimeDriver: driver,
      dailyVolatility: annual ? annual.div(new Decimal(TRADING_DAYS_PER_YEAR[instrument.calendar]).sqrt()) : null,
    };
  }
}
