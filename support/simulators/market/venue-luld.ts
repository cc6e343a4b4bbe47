import type { Decimal } from '../../../domain/shared';
import type { Instrument } from '../../../domain/model';
import { LIMIT_STATE_MS, LULD_REFERENCE_WINDOW_MS, LimitUpLimitDown, MARKET_WIDE, calendarFor, luldBands } from '../../../domain/market';
import type { LimitStateReading, PriceBandView } from '../../../domain/market';

/** Where a symbol stands under LULD at the venue, as of the venue's last call. */
export interface LuldState {
  readonly tier: 1 | 2;
  /** The reference in force; null before a price, once the last price is 5 minutes old (the next starts afresh), outside regular hours and in a pause. */
  readonly referencePrice: Decimal | null;
  readonly bands: PriceBandView | null;
  readonly limitState: 'limit up' | 'limit down' | null;
  readonly limitStateSince: string | null;
  readonly pausedSince: string | null;
  readonly pausedUntil: string | null;
}

/** A status the LULD rules publish: the pause of a limit state held 15 s, the reopening when its 5 minutes are up. */
export interface LuldStatusChange {
  readonly symbol: string;
  readonly status: 'paused' | 'open';
  readonly reason: 'LULD_PAUSE' | 'REOPENED';
  readonly reopeningPrice?: Decimal;
  /** When the rules say it happened (the venue may only see it on a later call). */
  readonly atMs: number;
}

interface TrackedSymbol {
  readonly machine: LimitUpLimitDown;
  reading: LimitStateReading;
  /** When the last price joined the reference window; the reopening print counts. */
  lastPriceMs: number;
  /** Whether the pause in the reading has been published. */
  pauseAnnounced: boolean;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const NORMAL: LimitStateReading = { status: 'normal', sinceMs: null, pauseEndsMs: null, bands: null };

/** The tier LULD watches an instrument under; null for what it does not cover (indices, 24/7 instruments, equities without a tier). */
export function luldTierOf(instrument: Instrument): 1 | 2 | null {
  return instrument.calendar === 'us-equity' && instrument.kind !== 'index' ? instrument.luldTier : null;
}

/**
 * The venue's limit up-limit down for US equities: the domain's state machine per symbol, fed with
 * the prices the venue publishes while the symbol trades in the regular session. Only the venue's
 * calls move it, so a limit state that times out or a pause that ends between two calls is settled
 * on the next one at the instant the rules give.
 *
 * The domain keeps a reference whose window has emptied; the venue does not: a price with none in
 * the 5 minutes before it (a long jump of the clock, the first of the day) starts a fresh reference.
 */
export class VenueLuld {
  // The shared calendar remembers the open session it computed last, so asking it per price is cheap.
  private readonly calendar = calendarFor('us-equity');
  private readonly tracked = new Map<string, TrackedSymbol>();

  /** A price the venue published while the symbol trades (the caller checks that it does). */
  observe(instrument: Instrument, price: Decimal, atMs: number): void {
    const tier = luldTierOf(instrument);
    if (tier === null) return;
    const { symbol } = instrument;
    let entry = this.tracked.get(symbol);
    if (entry) this.settle(entry, atMs);
    // A price in a pause changes nothing: the last one is the reopening print.
    if (entry?.reading.status === 'paused') return;
    if (!this.regular(atMs)) {
      this.tracked.delete(symbol);
      return;
    }
    if (!entry || entry.lastPriceMs <= atMs - LULD_REFERENCE_WINDOW_MS) {
      entry = { machine: new LimitUpLimitDown(tier, this.calendar), reading: NORMAL, lastPriceMs: atMs, pauseAnnounced: false };
      this.tracked.set(symbol, entry);
    }
    entry.reading = entry.machine.observe(price, atMs);
    entry.lastPriceMs = atMs;
  }

  /**
   * What the rules publish by now, in the order it happened: pauses of limit states held 15 s, and
   * the reopenings of pauses 5 minutes old with the symbol's last mark as the reopening print.
   */
  due(nowMs: number, marks: ReadonlyMap<string, { readonly price: Decimal }>): LuldStatusChange[] {
    const changes: LuldStatusChange[] = [];
    for (const [symbol, entry] of this.tracked) {
      this.settle(entry, nowMs);
      const { status, sinceMs, pauseEndsMs } = entry.reading;
      if (status !== 'paused' || sinceMs === null || pauseEndsMs === null) continue;
      if (!entry.pauseAnnounced) changes.push({ symbol, status: 'paused', reason: 'LULD_PAUSE', atMs: sinceMs });
      entry.pauseAnnounced = true;
      if (pauseEndsMs > nowMs) continue;
      const print = marks.get(symbol)?.price;
      // A pause comes from a published price, so a mark is there; without one it still ends, and the next price starts afresh.
      if (print === undefined) {
        this.tracked.delete(symbol);
        changes.push({ symbol, status: 'open', reason: 'REOPENED', atMs: pauseEndsMs });
        continue;
      }
      // Reopened at the end of the pause, not at the call that sees it, so a late call finds the window as it would be.
      entry.machine.reopen(print, pauseEndsMs);
      entry.reading = entry.machine.at(pauseEndsMs);
      entry.lastPriceMs = pauseEndsMs;
      entry.pauseAnnounced = false;
      changes.push({ symbol, status: 'open', reason: 'REOPENED', reopeningPrice: print, atMs: pauseEndsMs });
    }
    return changes.sort((a, b) => a.atMs - b.atMs);
  }

  /** The first instant after `afterMs` at which a limit state times out or a pause ends (so a coarse step lands on it). */
  nextDueMs(afterMs: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const { reading } of this.tracked.values()) {
      const at = reading.status === 'paused' ? reading.pauseEndsMs : reading.status !== 'normal' && reading.sinceMs !== null ? reading.sinceMs + LIMIT_STATE_MS : null;
      if (at !== null && at > afterMs && at < next) next = at;
    }
    return next;
  }

  /**
   * Someone else halted or reopened the symbol (or the whole market): a limit state or a pause of
   * its own ends there and the next price starts afresh. A market-wide halt leaves the pauses LULD
   * began to end on their own time.
   */
  interrupted(symbol: string): void {
    if (symbol !== MARKET_WIDE) {
      this.tracked.delete(symbol);
      return;
    }
    for (const [tracked, entry] of this.tracked) if (entry.reading.status !== 'paused') this.tracked.delete(tracked);
  }

  /** Where a symbol stands now, read without settling anything; null for what LULD does not cover. */
  stateOf(instrument: Instrument, nowMs: number): LuldState | null {
    const tier = luldTierOf(instrument);
    if (tier === null) return null;
    const entry = this.tracked.get(instrument.symbol);
    const reading = entry?.reading ?? NORMAL;
    const paused = reading.status === 'paused';
    const limitState = reading.status === 'limit up' || reading.status === 'limit down' ? reading.status : null;
    const live = entry !== undefined && !paused && entry.lastPriceMs > nowMs - LULD_REFERENCE_WINDOW_MS && this.regular(nowMs);
    const referencePrice = live ? entry.machine.referencePrice : null;
    return {
      tier,
      referencePrice,
      bands: referencePrice ? luldBands(referencePrice, tier, new Date(nowMs), this.calendar) : null,
      limitState,
      limitStateSince: limitState ? iso(reading.sinceMs) : null,
      pausedSince: paused ? iso(reading.sinceMs) : null,
      pausedUntil: paused ? iso(reading.pauseEndsMs) : null,
    };
  }

  /** A limit state whose 15 s are up by `atMs` becomes a pause from the instant they ran out (or ends, if the session closed first). */
  private settle(entry: TrackedSymbol, atMs: number): void {
    const { status, sinceMs } = entry.reading;
    if ((status === 'limit up' || status === 'limit down') && sinceMs !== null && sinceMs + LIMIT_STATE_MS <= atMs) {
      entry.reading = entry.machine.at(sinceMs + LIMIT_STATE_MS);
    }
  }

  private regular(atMs: number): boolean {
    return this.calendar.sessionAt(new Date(atMs)).session === 'regular';
  }
}
