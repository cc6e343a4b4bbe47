import { Decimal, TradingError, ZERO } from '../shared';
import type { PriceBandView } from './market-view';
import type { VenueCalendar } from './venue-calendar';

/** How long a price may sit at a band before the limit state becomes a trading pause, and how long the pause lasts. */
export const LIMIT_STATE_MS = 15_000;
export const LULD_PAUSE_MS = 5 * 60_000;
/** The reference price is the mean price over this window. */
export const LULD_REFERENCE_WINDOW_MS = 5 * 60_000;
/** The bands move only when the 5-minute mean has moved this share from the reference in force (the LULD Plan's 1 % rule). */
export const LULD_REFERENCE_MOVE = new Decimal('0.01');
/** Bands double for the first 15 minutes of the regular session and the last 25 (09:30-09:45 and 15:35-16:00 ET on a full day). */
export const LULD_OPEN_DOUBLING_MS = 15 * 60_000;
export const LULD_CLOSE_DOUBLING_MS = 25 * 60_000;

const THREE_DOLLARS = new Decimal(3);
const SEVENTY_FIVE_CENTS = new Decimal('0.75');
const FIFTEEN_CENTS = new Decimal('0.15');
const TIER_PERCENT_ABOVE_3: Readonly<Record<1 | 2, Decimal>> = { 1: new Decimal('0.05'), 2: new Decimal('0.10') };
const PERCENT_075_TO_3 = new Decimal('0.20');
const PERCENT_UNDER_075 = new Decimal('0.75');

export interface PriceSample {
  readonly price: Decimal;
  readonly atMs: number;
}

function checkTime(field: string, atMs: number): void {
  if (!Number.isFinite(atMs)) throw new TradingError('InvalidInput', `LULD: ${field} must be a finite time in milliseconds (got ${String(atMs)})`, { field, atMs });
}

function checkPositivePrice(field: string, price: Decimal): void {
  if (!(price instanceof Decimal) || !price.isFinite() || !price.isPositive() || price.isZero()) {
    throw new TradingError('InvalidInput', `LULD: ${field} must be a finite positive price (got ${String(price)})`, { field, price: String(price) });
  }
}

/**
 * The arithmetic mean of the prices in the 5 minutes up to `atMs`; null with none.
 * The window is (atMs - 5 min, atMs]: a sample exactly 5 minutes old has left it, one at `atMs` counts, later ones do not.
 */
export function luldReferencePrice(samples: readonly PriceSample[], atMs: number): Decimal | null {
  checkTime('atMs', atMs);
  const from = atMs - LULD_REFERENCE_WINDOW_MS;
  const inWindow = samples.filter(sample => sample.atMs > from && sample.atMs <= atMs);
  if (inWindow.length === 0) return null;
  return Decimal.sum(...inWindow.map(sample => sample.price)).div(inWindow.length);
}

/** Whether the bands are doubled at an instant: the first 15 minutes of the regular session for all, the last 25 for tier 1 and for tier 2 at $3 or below. */
function isDoubled(referencePrice: Decimal, tier: 1 | 2, at: Date, calendar: VenueCalendar): boolean {
  const session = calendar.sessionAt(at);
  if (session.session !== 'regular' || session.regularOpen === null || session.regularClose === null) return false;
  const t = at.getTime();
  if (t < session.regularOpen.getTime() + LULD_OPEN_DOUBLING_MS) return true;
  const closing = t >= session.regularClose.getTime() - LULD_CLOSE_DOUBLING_MS;
  return closing && (tier === 1 || referencePrice.lessThanOrEqualTo(THREE_DOLLARS));
}

/**
 * The bands around a reference price for a tier at an instant: above $3, 5 % (tier 1) or 10 % (tier 2);
 * $0.75 to $3, 20 %; under $0.75, the lesser of $0.15 or 75 %. Doubled 09:30-09:45 ET for all and
 * 15:35-16:00 ET for tier 1 and for tier 2 at $3 or below (windows closed at the start, open at the
 * end; on an early-close day the last 25 minutes before 13:00). Bands are on the cent and never wider
 * than the rule: the lower rounded up, the upper rounded down, the lower never below zero. `percent`
 * is the band's share of the reference before rounding (under $0.75 the effective share, 0.30 for $0.15 on $0.50).
 */
export function luldBands(referencePrice: Decimal, tier: 1 | 2, at: Date, calendar: VenueCalendar): PriceBandView {
  checkPositivePrice('referencePrice', referencePrice);
  if (tier !== 1 && tier !== 2) throw new TradingError('InvalidInput', `LULD: tier must be 1 or 2 (got ${String(tier)})`, { tier });
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TradingError('InvalidInput', 'LULD: the instant is not a valid date', { at: String(at) });

  const base =
    referencePrice.greaterThan(THREE_DOLLARS) ? referencePrice.times(TIER_PERCENT_ABOVE_3[tier])
    : referencePrice.greaterThanOrEqualTo(SEVENTY_FIVE_CENTS) ? referencePrice.times(PERCENT_075_TO_3)
    : Decimal.min(FIFTEEN_CENTS, referencePrice.times(PERCENT_UNDER_075));
  const doubled = isDoubled(referencePrice, tier, at, calendar);
  const band = doubled ? base.times(2) : base;
  return {
    referencePrice,
    lower: Decimal.max(ZERO, referencePrice.minus(band).toDecimalPlaces(2, Decimal.ROUND_CEIL)),
    upper: referencePrice.plus(band).toDecimalPlaces(2, Decimal.ROUND_FLOOR),
    percent: band.div(referencePrice),
    doubled,
  };
}

export type LimitStateStatus = 'normal' | 'limit up' | 'limit down' | 'paused';

/** Where one symbol stands under LULD after a price. */
export interface LimitStateReading {
  readonly status: LimitStateStatus;
  /** When the current limit state or pause began. */
  readonly sinceMs: number | null;
  /** A pause: when it may reopen (by auction). */
  readonly pauseEndsMs: number | null;
  readonly bands: PriceBandView | null;
}

/**
 * The venue's LULD state machine for one symbol: a price at or beyond a band starts a limit state;
 * one not cleared within 15 s becomes a 5-minute pause; back inside the bands clears it.
 * A price is checked against the bands in force before it, then joins the reference window. The bands
 * apply in the regular session only (always on a 24/7 calendar): outside it prices still feed the
 * reference but start no limit state, and bands are null. A pause lasts until reopen(), and
 * pauseEndsMs is the earliest it may. Times must not go backwards.
 */
export class LimitUpLimitDown {
  /** Prices of the last five minutes, oldest first from `head`; their sum kept as they come and go, so a price costs the same however many the window holds. */
  private samples: PriceSample[] = [];
  private head = 0;
  private windowSum = new Decimal(0);
  private reference: Decimal | null = null;
  private status: LimitStateStatus = 'normal';
  private sinceMs: number | null = null;
  private pauseEndsMs: number | null = null;
  private lastMs: number | null = null;

  constructor(
    readonly tier: 1 | 2,
    private readonly calendar: VenueCalendar,
  ) {
    if (tier !== 1 && tier !== 2) throw new TradingError('InvalidInput', `LULD: tier must be 1 or 2 (got ${String(tier)})`, { tier });
  }

  /** The reference price the bands are drawn around now; null before the first price. */
  get referencePrice(): Decimal | null {
    return this.reference;
  }

  /** A traded or marked price at an instant; returns the state after it. */
  observe(price: Decimal, atMs: number): LimitStateReading {
    checkPositivePrice('price', price);
    this.checkNotEarlier(atMs);
    this.advance(atMs);
    if (this.status === 'paused') return this.reading(atMs);

    this.refreshReference(atMs, price);
    const next = this.bandsApply(atMs) ? this.statusAgainst(price, atMs) : 'normal';
    if (next !== this.status) {
      this.status = next;
      this.sinceMs = next === 'normal' ? null : atMs;
    }
    this.samples.push({ price, atMs });
    this.windowSum = this.windowSum.plus(price);
    return this.reading(atMs);
  }

  /** The state at an instant with no new price (a limit state can time out into a pause). */
  at(atMs: number): LimitStateReading {
    this.checkNotEarlier(atMs);
    this.advance(atMs);
    if (this.status !== 'paused') this.refreshReference(atMs, null);
    return this.reading(atMs);
  }

  /** The pause ended with a reopening print: the reference window starts again from it. */
  reopen(price: Decimal, atMs: number): void {
    checkPositivePrice('reopening price', price);
    this.checkNotEarlier(atMs);
    const state = this.stateAt(atMs);
    if (state.status !== 'paused' || state.pauseEndsMs === null) {
      throw new TradingError('IllegalTransition', `LULD: reopen needs a trading pause, and the symbol is ${state.status}`, { status: state.status });
    }
    if (atMs < state.pauseEndsMs) {
      throw new TradingError('InvalidInput', `LULD: the pause may reopen from ${new Date(state.pauseEndsMs).toISOString()}, not at ${new Date(atMs).toISOString()}`, { atMs, pauseEndsMs: state.pauseEndsMs });
    }
    this.samples = [{ price, atMs }];
    this.head = 0;
    this.windowSum = price;
    this.reference = price;
    this.status = 'normal';
    this.sinceMs = null;
    this.pauseEndsMs = null;
    this.lastMs = atMs;
  }

  private checkNotEarlier(atMs: number): void {
    checkTime('atMs', atMs);
    if (this.lastMs !== null && atMs < this.lastMs) {
      throw new TradingError('InvalidInput', `LULD: time went backwards (${new Date(atMs).toISOString()} after ${new Date(this.lastMs).toISOString()})`, { atMs, lastMs: this.lastMs });
    }
  }

  /** Time passes: a limit state held for 15 s becomes a pause from that moment (or ends, if the bands stopped applying by then). */
  private stateAt(atMs: number): { readonly status: LimitStateStatus; readonly sinceMs: number | null; readonly pauseEndsMs: number | null } {
    const now = { status: this.status, sinceMs: this.sinceMs, pauseEndsMs: this.pauseEndsMs };
    if ((this.status !== 'limit up' && this.status !== 'limit down') || this.sinceMs === null) return now;
    const deadline = this.sinceMs + LIMIT_STATE_MS;
    if (atMs >= deadline && this.bandsApply(deadline)) return { status: 'paused', sinceMs: deadline, pauseEndsMs: deadline + LULD_PAUSE_MS };
    if (!this.bandsApply(atMs)) return { status: 'normal', sinceMs: null, pauseEndsMs: null };
    return now;
  }

  private advance(atMs: number): void {
    const state = this.stateAt(atMs);
    this.status = state.status;
    this.sinceMs = state.sinceMs;
    this.pauseEndsMs = state.pauseEndsMs;
    this.lastMs = atMs;
  }

  /** The first price sets the reference; after that it follows the 5-minute mean once that has moved 1 % from it. */
  private refreshReference(atMs: number, firstPrice: Decimal | null): void {
    const mean = this.windowMean(atMs);
    if (this.reference === null) {
      this.reference = mean ?? firstPrice;
      return;
    }
    if (mean !== null && mean.minus(this.reference).abs().div(this.reference).greaterThanOrEqualTo(LULD_REFERENCE_MOVE)) {
      this.reference = mean;
    }
  }

  /** The mean of the prices in the five minutes up to atMs (luldReferencePrice over the window), or null with none. */
  private windowMean(atMs: number): Decimal | null {
    const from = atMs - LULD_REFERENCE_WINDOW_MS;
    while (this.head < this.samples.length && this.samples[this.head].atMs <= from) {
      this.windowSum = this.windowSum.minus(this.samples[this.head].price);
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.samples.length) {
      this.samples = this.samples.slice(this.head);
      this.head = 0;
    }
    const count = this.samples.length - this.head;
    return count === 0 ? null : this.windowSum.div(count);
  }

  private statusAgainst(price: Decimal, atMs: number): LimitStateStatus {
    if (this.reference === null) return 'normal';
    const bands = luldBands(this.reference, this.tier, new Date(atMs), this.calendar);
    if (price.greaterThanOrEqualTo(bands.upper)) return 'limit up';
    if (price.lessThanOrEqualTo(bands.lower)) return 'limit down';
    return 'normal';
  }

  private bandsApply(atMs: number): boolean {
    const session = this.calendar.sessionAt(new Date(atMs)).session;
    return session === 'regular' || session === 'continuous';
  }

  private reading(atMs: number): LimitStateReading {
    const inForce = this.status !== 'paused' && this.reference !== null && this.bandsApply(atMs);
    return {
      status: this.status,
      sinceMs: this.sinceMs,
      pauseEndsMs: this.pauseEndsMs,
      bands: inForce && this.reference !== null ? luldBands(this.reference, this.tier, new Date(atMs), this.calendar) : null,
    };
  }
}
