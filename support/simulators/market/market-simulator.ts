import { Decimal, TradingError, VirtualClock, ZERO, isMultipleOf, sum } from '../../../domain/shared';
import type { Instrument } from '../../../domain/model';
import { MARKET_WIDE } from '../../../domain/market';
import type { BookSide, HaltReason, MarketDataMessage, PriceLevel, TradingStatusValue } from '../../../domain/market';
import type { BrokerSimulatorCore } from '../broker';
import type { VenueMarketFeed } from './venue-feed';
import { CALENDAR_DAYS_PER_YEAR, CONTINUOUS_DAY_MS, MarketRegime, PricePath, RandomSource, TRADING_DAYS_PER_YEAR, US_EQUITY_DAY_MS } from './price-path';
import { DEFAULT_BOOK_LEVELS, buildOrderBook } from './order-book-model';
import { MarketEvent, eventDurationMs, eventEffect, eventMilestonesMs, eventSymbol, validateMarketEvent } from './market-events';
import { LuldState, VenueLuld } from './venue-luld';

type Message<T extends MarketDataMessage['type']> = Extract<MarketDataMessage, { type: T }>;
type BookChange = Message<'book_delta'>['changes'][number];

/** The book a scripted mark gets unless the scenario gives one: 1000 at the mark on each side (what scenarios have always had). */
export const SCRIPTED_BOOK_DEPTH = new Decimal(1000);
/** How much a modelled level's quantity varies from step to step: +-20 %. */
export const DEFAULT_DEPTH_JITTER = 0.2;
/** A modelled level holds this share of the instrument's daily volume unless told otherwise. */
const DEPTH_SHARE_OF_DAILY_VOLUME = 1 / 2000;
const HALT_REASONS: readonly HaltReason[] = ['MARKET_WIDE_LEVEL_1', 'MARKET_WIDE_LEVEL_2', 'MARKET_WIDE_LEVEL_3', 'LULD_PAUSE', 'VENUE_HALT', 'NEWS_PENDING'];

export interface MarketSimulatorOptions {
  /** The simulator moves this clock while it runs (advance). */
  readonly clock: VirtualClock;
  readonly random: RandomSource;
  /** The broker core whose book and marks follow what the venue publishes. */
  readonly broker: BrokerSimulatorCore;
  readonly instruments: readonly Instrument[];
  /** Step-to-step variation of each modelled level's quantity (0.2 = +-20 %); 0 keeps a book still until its prices move. */
  readonly depthJitter?: number;
}

export interface ModelOptions {
  readonly price: Decimal;
  readonly regime?: MarketRegime;
  /** Keep the regime (no random switching) until a regime change says otherwise. */
  readonly holdRegime?: boolean;
  /** Calm spread in bps: 1 by default, 100 for a Tier 2 equity (a small cap). */
  readonly baseSpreadBps?: number;
  /** Calm quantity at each level: 1/2000 of the daily volume by default, 1000 without one. */
  readonly depthPerLevel?: Decimal;
  readonly levels?: number;
}

export interface ScriptedBook {
  readonly bids?: readonly PriceLevel[];
  readonly asks?: readonly PriceLevel[];
}

export interface ScheduledMarketEvent {
  readonly id: number;
  readonly event: MarketEvent;
  readonly startsAt: string;
}

/** Where a modelled symbol's price path stands. */
export interface ModelState {
  readonly regime: MarketRegime;
  readonly regimeHeld: boolean;
  readonly annualisedVolatility: number;
  readonly lastReturn: number;
  readonly price: number;
}

interface ModelledSymbol {
  readonly instrument: Instrument;
  readonly path: PricePath;
  readonly baseSpreadBps: number;
  readonly depthPerLevel: Decimal;
  readonly levels: number;
}

interface SymbolBook {
  seq: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

interface RunningEvent {
  readonly id: number;
  readonly event: MarketEvent;
  readonly startMs: number;
  priceFactor: number;
  paused: boolean;
}

interface BookFactors { liquidity: number; spread: number }

function invalid(message: string, details: Record<string, unknown> = {}): TradingError {
  return new TradingError('InvalidInput', `market simulator: ${message}`, details);
}

const copyLevels = (levels: readonly PriceLevel[]): PriceLevel[] => levels.map(l => ({ price: l.price, quantity: l.quantity }));

/** What changed on one side: each level's new quantity, 0 for a level gone. */
function sideChanges(side: BookSide, before: readonly PriceLevel[], after: readonly PriceLevel[]): BookChange[] {
  const old = new Map(before.map(l => [l.price.toString(), l.quantity]));
  const changes: BookChange[] = [];
  for (const level of after) {
    const previous = old.get(level.price.toString());
    if (!previous || !previous.eq(level.quantity)) changes.push({ side, price: level.price, quantity: level.quantity });
    old.delete(level.price.toString());
  }
  for (const level of before) if (old.has(level.price.toString())) changes.push({ side, price: level.price, quantity: ZERO });
  return changes;
}

/**
 * The venue's market data: per symbol either scripted (the scenario sets marks and books) or
 * modelled (a seeded price path and a book model), with scripted events on the virtual clock.
 * Each change goes into the broker core first and is then published, so an order that arrives
 * after a message meets the book that message describes.
 *
 * Halts live here only: the broker core has no switch that stops its matching, so while a symbol
 * is halted the core would still fill an order sent to it. The trading system refuses orders for a
 * halted symbol itself (its market checks read the trading_status messages published here).
 * The venue pauses US equities under LULD itself (venue-luld.ts), settled at each call it gets.
 */
export class MarketSimulator implements VenueMarketFeed {
  private readonly clock: VirtualClock;
  private readonly draw: () => number;
  private readonly broker: BrokerSimulatorCore;
  private readonly instruments = new Map<string, Instrument>();
  private readonly depthJitter: number;
  private readonly listeners = new Set<(message: MarketDataMessage) => void>();
  private readonly modelled = new Map<string, ModelledSymbol>();
  private readonly books = new Map<string, SymbolBook>();
  private readonly marks = new Map<string, Message<'mark'>>();
  private readonly priorCloses = new Map<string, Message<'prior_close'>>();
  private readonly statuses = new Map<string, Message<'trading_status'>>();
  private readonly impliedVolatilities = new Map<string, Message<'implied_volatility'>>();
  private readonly running = new Map<number, RunningEvent>();
  /** Implied-volatility changes an event made in this step, published with the step's other messages. */
  private readonly pendingImpliedVolatility: MarketDataMessage[] = [];
  private readonly luld = new VenueLuld();
  private eventCounter = 0;
  private published = 0;
  private deltas = 0;

  constructor(options: MarketSimulatorOptions) {
    this.clock = options.clock;
    const random = options.random;
    this.draw = typeof random === 'function' ? random : () => random.next();
    this.broker = options.broker;
    for (const instrument of options.instruments) this.instruments.set(instrument.symbol, instrument);
    this.depthJitter = options.depthJitter ?? DEFAULT_DEPTH_JITTER;
    if (!Number.isFinite(this.depthJitter) || this.depthJitter < 0 || this.depthJitter >= 1) throw invalid(`depthJitter must be in [0, 1), got ${this.depthJitter}`);
  }

  // ---- the venue feed ----

  subscribe(listener: (message: MarketDataMessage) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  currentState(): MarketDataMessage[] {
    const books = [...this.books.keys()].map(symbol => this.bookSnapshot(symbol));
    const halted = [...this.statuses.values()].filter(s => s.status !== 'open');
    return [...this.priorCloses.values(), ...this.marks.values(), ...books, ...halted, ...this.impliedVolatilities.values()];
  }

  bookSnapshot(symbol: string): Message<'book_snapshot'> {
    this.instrument(symbol);
    const book = this.books.get(symbol);
    return { type: 'book_snapshot', symbol, seq: book?.seq ?? 0, bids: copyLevels(book?.bids ?? []), asks: copyLevels(book?.asks ?? []), at: this.now() };
  }

  /** Every message published so far, and the book deltas among them (a throughput figure). */
  get messagesPublished(): number {
    return this.published;
  }

  get bookDeltasPublished(): number {
    return this.deltas;
  }

  // ---- scripted symbols ----

  /**
   * A scripted mark: the broker gets the mark and the book (1000 at the mark on each side unless
   * given), then the mark and the book's changes are published. A modelled symbol becomes scripted.
   */
  setMark(symbol: string, price: Decimal, book?: ScriptedBook): void {
    const instrument = this.instrument(symbol);
    this.requirePrice(instrument, price, 'mark');
    const bids = book?.bids !== undefined ? this.requireLevels(instrument, book.bids, 'bids') : [{ price, quantity: SCRIPTED_BOOK_DEPTH }];
    const asks = book?.asks !== undefined ? this.requireLevels(instrument, book.asks, 'asks') : [{ price, quantity: SCRIPTED_BOOK_DEPTH }];
    this.catchUp();
    this.modelled.delete(symbol);
    this.broker.setMark(symbol, price);
    this.broker.setBook(symbol, 'bids', copyLevels(bids));
    this.broker.setBook(symbol, 'asks', copyLevels(asks));
    const messages: MarketDataMessage[] = [this.recordMark(instrument, price)];
    const delta = this.replaceBook(symbol, bids, asks);
    if (delta) messages.push(delta);
    this.publishAll(messages);
  }

  // ---- modelled symbols ----

  /** Model a symbol from a price: a seeded path and a book around it, published at once (a delta from the book it had). */
  model(symbol: string, options: ModelOptions): void {
    const instrument = this.instrument(symbol);
    this.requirePrice(instrument, options.price, 'price');
    const baseSpreadBps = options.baseSpreadBps ?? (instrument.luldTier === 2 ? 100 : 1);
    if (!Number.isFinite(baseSpreadBps) || baseSpreadBps < 0) throw invalid(`baseSpreadBps must be a number of at least 0, got ${baseSpreadBps}`, { symbol });
    const levels = options.levels ?? DEFAULT_BOOK_LEVELS;
    if (!Number.isInteger(levels) || levels < 1 || levels > 100) throw invalid(`levels must be a whole number from 1 to 100, got ${levels}`, { symbol });
    const depthPerLevel = options.depthPerLevel ?? this.defaultDepth(instrument);
    if (!(depthPerLevel instanceof Decimal) || !depthPerLevel.isFinite() || depthPerLevel.lt(instrument.lotSize)) {
      throw invalid(`depthPerLevel must be at least one lot (${instrument.lotSize}), got ${String(depthPerLevel)}`, { symbol });
    }
    const equity = instrument.calendar === 'us-equity';
    const path = new PricePath({
      price: options.price.toNumber(),
      random: this.draw,
      regime: options.regime,
      holdRegime: options.holdRegime,
      dayMs: equity ? US_EQUITY_DAY_MS : CONTINUOUS_DAY_MS,
      daysPerYear: equity ? TRADING_DAYS_PER_YEAR : CALENDAR_DAYS_PER_YEAR,
    });
    const entry: ModelledSymbol = { instrument, path, baseSpreadBps, depthPerLevel, levels };
    this.catchUp();
    this.modelled.set(symbol, entry);
    this.publishAll(this.refresh([entry], new Map()));
  }

  /** Move a modelled symbol's price by a share at once (-0.05 = 5 % down), published at once. */
  shock(symbol: string, share: number): void {
    const entry = this.requireModelled(symbol);
    this.catchUp();
    entry.path.applyShock(share);
    this.publishAll(this.refresh([entry], this.eventFactors()));
  }

  /** Time passes: steps of stepMs (cut short at an event's milestones), each moving paths and events and publishing. */
  advance(ms: number, stepMs = 1000): void {
    if (!Number.isFinite(ms) || ms < 0) throw invalid(`cannot advance by ${ms} ms`);
    if (!Number.isFinite(stepMs) || stepMs <= 0) throw invalid(`a step must be a positive number of ms, got ${stepMs}`);
    const end = this.clock.now().getTime() + ms;
    let now = this.clock.now().getTime();
    while (now < end) {
      const next = Math.min(now + stepMs, end, this.nextMilestone(now));
      this.clock.advance(next - now);
      this.step(next - now);
      now = next;
    }
  }

  /** Run a scripted event from now (or startsInMs from now); it acts on the steps that follow. */
  schedule(event: MarketEvent, startsInMs = 0): ScheduledMarketEvent {
    validateMarketEvent(event);
    if (!Number.isFinite(startsInMs) || startsInMs < 0) throw invalid(`an event starts now or later, got ${startsInMs} ms`);
    if (event.kind !== 'implied_volatility_surge') this.requireModelled(event.symbol);
    const id = ++this.eventCounter;
    const startMs = this.clock.now().getTime() + startsInMs;
    this.running.set(id, { id, event, startMs, priceFactor: 1, paused: false });
    return { id, event, startsAt: new Date(startMs).toISOString() };
  }

  /** End a running event: its depth and spread factors go; the price it moved and any pause it began stay. False when it had ended. */
  lift(id: number): boolean {
    return this.running.delete(id);
  }

  regimeOf(symbol: string): MarketRegime | null {
    return this.modelState(symbol)?.regime ?? null;
  }

  /** A modelled symbol's path (null for a scripted one). */
  modelState(symbol: string): ModelState | null {
    this.instrument(symbol);
    const entry = this.modelled.get(symbol);
    if (!entry) return null;
    const { path } = entry;
    return { regime: path.regime, regimeHeld: path.regimeHeld, annualisedVolatility: path.annualisedVolatility, lastReturn: path.lastReturn, price: path.price };
  }

  // ---- what the venue shows ----

  markOf(symbol: string): Decimal | null {
    this.instrument(symbol);
    return this.marks.get(symbol)?.price ?? null;
  }

  /** The book as last published, best first. */
  bookOf(symbol: string): { bids: PriceLevel[]; asks: PriceLevel[] } {
    const snapshot = this.bookSnapshot(symbol);
    return { bids: copyLevels(snapshot.bids), asks: copyLevels(snapshot.asks) };
  }

  /** Best ask minus best bid over their mid, in bps; null without both sides. */
  spreadBps(symbol: string): Decimal | null {
    const { bids, asks } = this.bookOf(symbol);
    if (bids.length === 0 || asks.length === 0) return null;
    const mid = bids[0].price.plus(asks[0].price).div(2);
    return asks[0].price.minus(bids[0].price).div(mid).times(10_000);
  }

  /** The quantity shown on one side, all levels. */
  depth(symbol: string, side: BookSide): Decimal {
    const { bids, asks } = this.bookOf(symbol);
    return sum((side === 'bid' ? bids : asks).map(l => l.quantity));
  }

  /** A symbol under LULD as the venue last settled it (null for what LULD does not cover): bands, limit state since, paused until. */
  luldState(symbol: string): LuldState | null {
    return this.luld.stateOf(this.instrument(symbol), this.clock.now().getTime());
  }

  // ---- statuses, prior closes, implied volatility ----

  /** The venue halts (or pauses) a symbol, or MARKET_WIDE; a modelled symbol's price stands still until it reopens. */
  halt(symbol: string, reason: HaltReason, status?: Exclude<TradingStatusValue, 'open'>): void {
    this.requireStatusSymbol(symbol);
    if (!HALT_REASONS.includes(reason)) throw invalid(`unknown halt reason ${String(reason)}`, { symbol });
    const value = status ?? (reason === 'LULD_PAUSE' ? 'paused' : 'halted');
    if (value !== 'halted' && value !== 'paused') throw invalid(`a halt's status is halted or paused, got ${String(value)}`, { symbol });
    this.catchUp();
    this.publishAll([this.recordStatus(symbol, value, reason)]);
  }

  /**
   * Trading resumes. The reopening print is the given price; a modelled symbol's path moves to it
   * (its current mark when none is given), a scripted one keeps the mark the scenario set.
   */
  reopen(symbol: string, reopeningPrice?: Decimal): void {
    this.requireStatusSymbol(symbol);
    this.catchUp();
    const current = this.statuses.get(symbol);
    if (!current || current.status === 'open') throw invalid(`${symbol} is not halted`, { symbol });
    const instrument = this.instruments.get(symbol);
    if (reopeningPrice !== undefined) {
      if (!instrument) throw invalid('a market-wide reopening has no reopening price', { symbol });
      this.requirePrice(instrument, reopeningPrice, 'reopening price');
    }
    const entry = this.modelled.get(symbol);
    if (entry && reopeningPrice !== undefined) entry.path.applyShock(reopeningPrice.toNumber() / entry.path.price - 1);
    const print = reopeningPrice ?? (entry ? this.markPrice(entry) : undefined);
    const messages: MarketDataMessage[] = [this.recordStatus(symbol, 'open', 'REOPENED', print)];
    if (entry && this.isOpen(entry.instrument)) messages.push(...this.refresh([entry], this.eventFactors()));
    this.publishAll(messages);
  }

  setImpliedVolatility(underlying: string, value: Decimal): void {
    if (typeof underlying !== 'string' || underlying.trim() === '') throw invalid('an implied volatility needs its underlying');
    if (!(value instanceof Decimal) || !value.isFinite() || value.lte(0)) throw invalid(`implied volatility of ${underlying} must be positive, got ${String(value)}`, { underlying });
    this.publishAll([this.recordImpliedVolatility(underlying, value)]);
  }

  setPriorClose(symbol: string, price: Decimal, tradingDay: string): void {
    const instrument = this.instrument(symbol);
    this.requirePrice(instrument, price, 'prior close');
    const day = /^\d{4}-\d{2}-\d{2}$/.test(tradingDay) ? new Date(`${tradingDay}T00:00:00.000Z`) : null;
    if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== tradingDay) throw invalid(`trading day must be a date (yyyy-MM-dd), got ${JSON.stringify(tradingDay)}`, { symbol });
    const message: Message<'prior_close'> = { type: 'prior_close', symbol, price, tradingDay, at: this.now() };
    this.priorCloses.set(symbol, message);
    this.publishAll([message]);
  }

  // ---- one step ----

  private step(stepMs: number): void {
    const nowMs = this.clock.now().getTime();
    this.catchUp();
    const moving: ModelledSymbol[] = [];
    for (const entry of this.modelled.values()) {
      if (!this.isOpen(entry.instrument)) continue;
      entry.path.step(stepMs);
      moving.push(entry);
    }
    const { paused, reopened } = this.applyEvents(nowMs);
    const statusesBefore: MarketDataMessage[] = [];
    const statusesAfter: MarketDataMessage[] = [];
    for (const symbol of paused) statusesAfter.push(this.recordStatus(symbol, 'paused', 'VENUE_HALT'));
    for (const entry of reopened) {
      const status = this.statuses.get(entry.instrument.symbol);
      // Only the pause the event began is the event's to end.
      if (status?.status !== 'paused' || status.reason !== 'VENUE_HALT') continue;
      statusesBefore.push(this.recordStatus(entry.instrument.symbol, 'open', 'REOPENED', this.markPrice(entry)));
      if (this.isOpen(entry.instrument) && !moving.includes(entry)) moving.push(entry);
    }
    // The low is published before the pause it brings, the reopening print before the book after it.
    const market = this.refresh(moving, this.eventFactors());
    const heartbeat: MarketDataMessage = { type: 'heartbeat', at: this.now() };
    this.publishAll([...statusesBefore, ...market, ...statusesAfter, ...this.pendingImpliedVolatility.splice(0), heartbeat]);
  }

  private applyEvents(nowMs: number): { paused: string[]; reopened: ModelledSymbol[] } {
    const paused: string[] = [];
    const reopened: ModelledSymbol[] = [];
    for (const running of [...this.running.values()]) {
      const elapsed = nowMs - running.startMs;
      if (elapsed < 0) continue;
      const effect = eventEffect(running.event, elapsed);
      const duration = eventDurationMs(running.event);
      const finished = duration !== null && elapsed >= duration;
      if (finished) this.running.delete(running.id);
      if (running.event.kind === 'implied_volatility_surge') {
        const value = new Decimal(effect.impliedVolatility ?? running.event.to).toDecimalPlaces(4, Decimal.ROUND_HALF_UP);
        const last = this.impliedVolatilities.get(running.event.underlying);
        if (!last || !last.value.eq(value)) this.pendingImpliedVolatility.push(this.recordImpliedVolatility(running.event.underlying, value));
        continue;
      }
      const symbol = eventSymbol(running.event);
      const entry = this.modelled.get(symbol);
      // A symbol the scenario took over (scripted marks) is out of the model's hands.
      if (!entry) {
        this.running.delete(running.id);
        continue;
      }
      if (effect.regime !== null) entry.path.setRegime(effect.regime);
      if (effect.priceFactor !== running.priceFactor) {
        entry.path.applyShock(effect.priceFactor / running.priceFactor - 1);
        running.priceFactor = effect.priceFactor;
      }
      if (effect.paused && !running.paused) paused.push(symbol);
      if (!effect.paused && running.paused) reopened.push(entry);
      running.paused = effect.paused;
    }
    return { paused, reopened };
  }

  /** The depth and spread factors the running events set now (in a step, read once applyEvents has ended the finished ones). */
  private eventFactors(): Map<string, BookFactors> {
    const nowMs = this.clock.now().getTime();
    const factors = new Map<string, BookFactors>();
    for (const running of this.running.values()) {
      if (running.event.kind === 'implied_volatility_surge' || nowMs < running.startMs) continue;
      const effect = eventEffect(running.event, nowMs - running.startMs);
      const symbol = eventSymbol(running.event);
      const f = factors.get(symbol) ?? { liquidity: 1, spread: 1 };
      f.liquidity *= effect.liquidityFactor;
      f.spread *= effect.spreadFactor;
      factors.set(symbol, f);
    }
    return factors;
  }

  private nextMilestone(nowMs: number): number {
    let next = this.luld.nextDueMs(nowMs);
    for (const running of this.running.values()) {
      for (const offset of eventMilestonesMs(running.event)) {
        const at = running.startMs + offset;
        if (at > nowMs && at < next) next = at;
      }
    }
    return next;
  }

  /** New marks and books of modelled symbols into the broker first; returns the messages that tell of them. */
  private refresh(entries: readonly ModelledSymbol[], factors: ReadonlyMap<string, BookFactors>): MarketDataMessage[] {
    const messages: MarketDataMessage[] = [];
    for (const entry of entries) {
      const { symbol } = entry.instrument;
      const mark = this.markPrice(entry);
      this.broker.setMark(symbol, mark);
      messages.push(this.recordMark(entry.instrument, mark));
      // An index is marked, never traded: it has no book.
      if (entry.instrument.kind === 'index') continue;
      const f = factors.get(symbol) ?? { liquidity: 1, spread: 1 };
      const book = buildOrderBook({
        mid: new Decimal(entry.path.price),
        tickSize: entry.instrument.tickSize,
        lotSize: entry.instrument.lotSize,
        baseSpreadBps: entry.baseSpreadBps,
        depthPerLevel: entry.depthPerLevel,
        levels: entry.levels,
        regime: entry.path.regime,
        liquidityFactor: f.liquidity,
        spreadFactor: f.spread,
        levelQuantityFactors: this.depthJitter > 0 ? { bids: this.noise(entry.levels), asks: this.noise(entry.levels) } : undefined,
      });
      this.broker.setBook(symbol, 'bids', copyLevels(book.bids));
      this.broker.setBook(symbol, 'asks', copyLevels(book.asks));
      const delta = this.replaceBook(symbol, book.bids, book.asks);
      if (delta) messages.push(delta);
    }
    return messages;
  }

  private noise(levels: number): number[] {
    return Array.from({ length: levels }, () => 1 + this.depthJitter * (2 * this.draw() - 1));
  }

  // ---- state kept as published ----

  /** The book becomes the given one; the delta that says so, or null when nothing changed. */
  private replaceBook(symbol: string, bids: readonly PriceLevel[], asks: readonly PriceLevel[]): Message<'book_delta'> | null {
    const book = this.books.get(symbol) ?? { seq: 0, bids: [], asks: [] };
    const sortedBids = copyLevels(bids).sort((a, b) => b.price.cmp(a.price));
    const sortedAsks = copyLevels(asks).sort((a, b) => a.price.cmp(b.price));
    const changes = [...sideChanges('bid', book.bids, sortedBids), ...sideChanges('ask', book.asks, sortedAsks)];
    this.books.set(symbol, book);
    if (changes.length === 0) return null;
    book.seq += 1;
    book.bids = sortedBids;
    book.asks = sortedAsks;
    return { type: 'book_delta', symbol, seq: book.seq, changes, at: this.now() };
  }

  private recordMark(instrument: Instrument, price: Decimal): Message<'mark'> {
    const message: Message<'mark'> = { type: 'mark', symbol: instrument.symbol, price, at: this.now() };
    this.marks.set(instrument.symbol, message);
    // LULD watches the prices published while the symbol trades.
    if (this.isOpen(instrument)) this.luld.observe(instrument, price, this.clock.now().getTime());
    return message;
  }

  /** A status of the venue's own LULD rules (byLuld) or anyone else's, which ends whatever LULD held for the symbol. */
  private recordStatus(symbol: string, status: TradingStatusValue, reason: HaltReason | 'REOPENED', reopeningPrice?: Decimal, byLuld = false): Message<'trading_status'> {
    const message: Message<'trading_status'> = { type: 'trading_status', symbol, status, reason, ...(reopeningPrice !== undefined ? { reopeningPrice } : {}), at: this.now() };
    this.statuses.set(symbol, message);
    if (!byLuld) this.luld.interrupted(symbol);
    return message;
  }

  /** The LULD pauses and reopenings due by now go out before what a call publishes (in a step, before the paths move). */
  private catchUp(): void {
    this.publishAll(this.luld.due(this.clock.now().getTime(), this.marks).map(c => this.recordStatus(c.symbol, c.status, c.reason, c.reopeningPrice, true)));
  }

  private recordImpliedVolatility(underlying: string, value: Decimal): Message<'implied_volatility'> {
    const message: Message<'implied_volatility'> = { type: 'implied_volatility', underlying, value, at: this.now() };
    this.impliedVolatilities.set(underlying, message);
    return message;
  }

  private publishAll(messages: readonly MarketDataMessage[]): void {
    for (const message of messages) {
      this.published += 1;
      if (message.type === 'book_delta') this.deltas += 1;
      for (const listener of [...this.listeners]) listener(message);
    }
  }

  // ---- checks ----

  private isOpen(instrument: Instrument): boolean {
    if ((this.statuses.get(instrument.symbol)?.status ?? 'open') !== 'open') return false;
    return instrument.calendar !== 'us-equity' || (this.statuses.get(MARKET_WIDE)?.status ?? 'open') === 'open';
  }

  /** The path's price on the tick grid, never under one tick. */
  private markPrice(entry: ModelledSymbol): Decimal {
    const tick = entry.instrument.tickSize;
    const price = new Decimal(entry.path.price).toNearest(tick, Decimal.ROUND_HALF_UP);
    return price.lt(tick) ? tick : price;
  }

  private defaultDepth(instrument: Instrument): Decimal {
    const depth = instrument.dailyVolume ? instrument.dailyVolume.times(DEPTH_SHARE_OF_DAILY_VOLUME) : SCRIPTED_BOOK_DEPTH;
    const onGrid = depth.toNearest(instrument.lotSize, Decimal.ROUND_DOWN);
    return onGrid.lt(instrument.lotSize) ? instrument.lotSize : onGrid;
  }

  private instrument(symbol: string): Instrument {
    const instrument = this.instruments.get(symbol);
    if (!instrument) throw new TradingError('UnknownInstrument', `market simulator: unknown instrument ${symbol}`, { symbol });
    return instrument;
  }

  private requireModelled(symbol: string): ModelledSymbol {
    this.instrument(symbol);
    const entry = this.modelled.get(symbol);
    if (!entry) throw invalid(`${symbol} is not modelled: model it before scheduling an event or a shock on it`, { symbol });
    return entry;
  }

  private requireStatusSymbol(symbol: string): void {
    if (symbol !== MARKET_WIDE) this.instrument(symbol);
  }

  private requirePrice(instrument: Instrument, price: Decimal, field: string): void {
    if (!(price instanceof Decimal) || !price.isFinite() || price.lte(0)) throw invalid(`${instrument.symbol} ${field} must be a positive price, got ${String(price)}`, { symbol: instrument.symbol });
    if (!isMultipleOf(price, instrument.tickSize)) throw invalid(`${instrument.symbol} ${field} ${price} is not a multiple of the tick ${instrument.tickSize}`, { symbol: instrument.symbol });
  }

  private requireLevels(instrument: Instrument, levels: readonly PriceLevel[], side: string): PriceLevel[] {
    const seen = new Set<string>();
    for (const level of levels) {
      this.requirePrice(instrument, level.price, `${side} price`);
      const q = level.quantity;
      if (!(q instanceof Decimal) || !q.isFinite() || q.lte(0) || !isMultipleOf(q, instrument.lotSize)) {
        throw invalid(`${instrument.symbol} ${side} quantity ${String(q)} must be a positive multiple of the lot ${instrument.lotSize}`, { symbol: instrument.symbol });
      }
      if (seen.has(level.price.toString())) throw invalid(`${instrument.symbol} ${side} has ${level.price} twice`, { symbol: instrument.symbol });
      seen.add(level.price.toString());
    }
    return copyLevels(levels);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
