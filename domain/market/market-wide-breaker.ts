import type { Decimal } from '../shared';
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

/**
 * The market-wide circuit breakers (S&P 500 against the prior close): 7 % level 1, 13 % level 2
 * (a 15-minute halt before 15:25 ET, none at or after), 20 % level 3 (closed for the day). Each level
 * triggers once a day: `triggeredToday` are the levels already reached on this trading day.
 */
export function evaluateMarketWideBreaker(input: {
  readonly priorClose: Decimal;
  readonly indexLevel: Decimal;
  readonly at: Date;
  readonly triggeredToday: ReadonlySet<MarketWideLevel>;
  readonly calendar: VenueCalendar;
}): MarketWideDecision {
  void input;
  throw new Error('evaluateMarketWideBreaker: to be implemented');
}
