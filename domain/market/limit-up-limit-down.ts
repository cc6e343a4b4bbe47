import type { Decimal } from '../shared';
import type { PriceBandView } from './market-view';
import type { VenueCalendar } from './venue-calendar';

/** How long a price may sit at a band before the limit state becomes a trading pause, and how long the pause lasts. */
export const LIMIT_STATE_MS = 15_000;
export const LULD_PAUSE_MS = 5 * 60_000;
/** The reference price is the mean price over this window. */
export const LULD_REFERENCE_WINDOW_MS = 5 * 60_000;

export interface PriceSample {
  readonly price: Decimal;
  readonly atMs: number;
}

/** The arithmetic mean of the prices in the 5 minutes up to `atMs`; null with none. */
export function luldReferencePrice(samples: readonly PriceSample[], atMs: number): Decimal | null {
  void samples;
  void atMs;
  throw new Error('luldReferencePrice: to be implemented');
}

/**
 * The bands around a reference price for a tier at an instant: above $3, 5 % (tier 1) or 10 % (tier 2);
 * $0.75 to $3, 20 %; under $0.75, the lesser of $0.15 or 75 %. Doubled 09:30-09:45 ET for all and
 * 15:35-16:00 ET for tier 1 and for tier 2 at $3 or below.
 */
export function luldBands(referencePrice: Decimal, tier: 1 | 2, at: Date, calendar: VenueCalendar): PriceBandView {
  void referencePrice;
  void tier;
  void at;
  void calendar;
  throw new Error('luldBands: to be implemented');
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
 */
export class LimitUpLimitDown {
  constructor(
    readonly tier: 1 | 2,
    private readonly calendar: VenueCalendar,
  ) {}

  /** A traded or marked price at an instant; returns the state after it. */
  observe(price: Decimal, atMs: number): LimitStateReading {
    void price;
    void atMs;
    void this.calendar;
    throw new Error('LimitUpLimitDown.observe: to be implemented');
  }

  /** The state at an instant with no new price (a limit state can time out into a pause). */
  at(atMs: number): LimitStateReading {
    void atMs;
    throw new Error('LimitUpLimitDown.at: to be implemented');
  }

  /** The pause ended with a reopening print: the reference window starts again from it. */
  reopen(price: Decimal, atMs: number): void {
    void price;
    void atMs;
    throw new Error('LimitUpLimitDown.reopen: to be implemented');
  }
}
