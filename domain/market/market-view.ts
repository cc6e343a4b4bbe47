import type { Decimal } from '../shared';
import type { HaltReason, PriceLevel, TradingStatusValue } from './market-data';

export type SessionName = 'pre-market' | 'regular' | 'after-hours' | 'closed' | 'continuous';
export type ClosedReason = 'night' | 'weekend' | 'holiday';
export type VolatilityRegime = 'calm' | 'elevated' | 'stress';

/** Where a venue's trading day stands at an instant (venue-calendar.ts computes it). */
export interface SessionInfo {
  readonly session: SessionName;
  /** The venue's date (yyyy-MM-dd in its zone) when the instant falls on a trading day, otherwise null. */
  readonly tradingDay: string | null;
  readonly closedReason: ClosedReason | null;
  /** The holiday's name when the venue is closed for one. */
  readonly holiday: string | null;
  /** The regular session of this trading day closes early (13:00 ET). */
  readonly earlyClose: boolean;
  /** The regular session's open and close of this trading day (null on a closed day or for a 24/7 venue). */
  readonly regularOpen: Date | null;
  readonly regularClose: Date | null;
  /** The next instant the session changes; null for a venue that never closes. */
  readonly nextChange: Date | null;
  /** The instant in the venue's zone, as people read it ("2026-03-09 09:30:00 EDT"). */
  readonly localTime: string;
}

/** A symbol's trading status as the venue last published it, and what the system derived from it. */
export interface TradingStatusView {
  readonly status: TradingStatusValue;
  /** Why it stopped; null while open. */
  readonly reason: HaltReason | null;
  readonly since: string | null;
  /** After a halt or a closed period: market orders wait for the reopening print; false until it is seen. */
  readonly awaitingReopeningPrint: boolean;
}

/** The visible book as the system keeps it, best first on each side; null before a snapshot or while a gap is being repaired. */
export interface BookView {
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
  readonly seq: number;
}

/** Limit up-limit down bands in force for a symbol (US equities only). */
export interface PriceBandView {
  readonly referencePrice: Decimal;
  readonly lower: Decimal;
  readonly upper: Decimal;
  /** The band as a share of the reference price (0.05 = 5 %), doubled at the open and the close where the rules say so. */
  readonly percent: Decimal;
  readonly doubled: boolean;
}

/**
 * Everything the market-condition checks read about the order's symbol: one consistent picture
 * taken with the rest of the risk context. Built by the market state (market-state.ts).
 */
export interface MarketView {
  readonly symbol: string;
  readonly session: SessionInfo;
  readonly status: TradingStatusView;
  readonly book: BookView | null;
  /** Inside the close preparation window (close_preparation_minutes before the regular close): no new intraday risk. */
  readonly closePreparation: boolean;
  readonly bands: PriceBandView | null;
  /** Annualised realized volatility from one-minute returns (null with too few), and the implied-volatility index of the underlying. */
  readonly realizedVolatility: Decimal | null;
  readonly impliedVolatility: Decimal | null;
  readonly regime: VolatilityRegime;
  /** What set the regime: the realized or the implied figure (null when calm on both). */
  readonly regimeDriver: 'realized' | 'implied' | null;
  /** Daily volatility used for impact (annualised / sqrt(252) for equities, / sqrt(365) for 24/7). */
  readonly dailyVolatility: Decimal | null;
}
