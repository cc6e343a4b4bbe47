import { Decimal, TradingError, ZERO } from '../shared';
import type { VenueCalendar } from './venue-calendar';

export type MarketWideLevel = 1 | 2 | 3;

/** What a fall of the index from its prior close means now. */
export interface MarketWideDecision {
  /** The highest level the fall reaches that has not triggered yet today; null when none. */
  readonly level: MarketWideLevel | null;
  /** The fall from the prior close, as a share (0.07 = 7 %); 0 when the index is up. */
  readonly decline: Decimal;
  /** Whether trading halts: levels 1 and 2 only before 15:25 ET, level 3 at any time. */
  readonly halts: boolean;
  /** When the halt may end: 15 minutes on for levels 1 and 2, the end of the trading day for level 3; null without a halt. */
  readonly haltEnds: Date | 'end of day' | null;
}

/** The declines from the prior close (inclusive) at which each level is reached. */
export const MARKET_WIDE_THRESHOLDS: Readonly<Record<MarketWideLevel, Decimal>> = {
  1: new Decimal('0.07'),
  2: new Decimal('0.13'),
  3: new Decimal('0.20'),
};

/** How long a level 1 or level 2 halt lasts. */
export const MARKET_WIDE_HALT_MS = 15 * 60_000;

/** Levels 1 and 2 halt only before 15:25 ET: 35 minutes before the regular close (12:25 on an early-close day, as NYSE Rule 7.12 says). */
export const MARKET_WIDE_NO_HALT_BEFORE_CLOSE_MS = 35 * 60_000;

const LEVELS_HIGHEST_FIRST: readonly MarketWideLevel[] = [3, 2, 1];

function checkPrice(field: string, value: Decimal, allowZero: boolean): void {
  if (!(value instanceof Decimal) || !value.isFinite() || value.isNegative() || (!allowZero && value.isZero())) {
    throw new TradingError('InvalidInput', `market-wide breaker: ${field} must be a finite ${allowZero ? 'non-negative' : 'positive'} number (got ${String(value)})`, { field, value: String(value) });
  }
}

/**
 * The market-wide circuit breakers (S&P 500 against the prior close): 7 % level 1, 13 % level 2
 * (a 15-minute halt before 15:25 ET, none at or after), 20 % level 3 (closed for the day). Each level
 * triggers once a day: `triggeredToday` are the levels already reached on this trading day.
 * The breakers watch the regular session only: outside it (pre-market, after-hours, closed) no level
 * is reached, whatever the decline. A level reached at or after 15:25 is still returned, with
 * halts false, so the caller records it and it does not trigger again.
 */
export function evaluateMarketWideBreaker(input: {
  readonly priorClose: Decimal;
  readonly indexLevel: Decimal;
  readonly at: Date;
  readonly triggeredToday: ReadonlySet<MarketWideLevel>;
  readonly calendar: VenueCalendar;
}): MarketWideDecision {
  checkPrice('priorClose', input.priorClose, false);
  checkPrice('indexLevel', input.indexLevel, true);
  const session = input.calendar.sessionAt(input.at);
  if (session.session === 'continuous') {
    throw new TradingError('InvalidInput', `market-wide breaker: the ${input.calendar.name} calendar has no regular session to halt`, { calendar: input.calendar.name });
  }

  const fall = input.priorClose.minus(input.indexLevel).div(input.priorClose);
  const decline = fall.isNegative() ? ZERO : fall;
  const none: MarketWideDecision = { level: null, decline, halts: false, haltEnds: null };
  if (session.session !== 'regular' || session.regularClose === null) return none;

  const reached = LEVELS_HIGHEST_FIRST.find(level => decline.greaterThanOrEqualTo(MARKET_WIDE_THRESHOLDS[level]));
  if (reached === undefined) return none;
  // A level at or below one already triggered today does not trigger again.
  const highestTriggered = Math.max(0, ...input.triggeredToday);
  if (reached <= highestTriggered) return none;

  if (reached === 3) return { level: 3, decline, halts: true, haltEnds: 'end of day' };
  const cutOff = session.regularClose.getTime() - MARKET_WIDE_NO_HALT_BEFORE_CLOSE_MS;
  if (input.at.getTime() >= cutOff) return { level: reached, decline, halts: false, haltEnds: null };
  return { level: reached, decline, halts: true, haltEnds: new Date(input.at.getTime() + MARKET_WIDE_HALT_MS) };
}
