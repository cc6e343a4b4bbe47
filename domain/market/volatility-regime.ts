import type { Decimal } from '../shared';
import type { VolatilityRegime } from './market-view';

export interface RegimeThresholds {
  /** Annualised volatility (a share: 0.3 = 30 %) at or above which the regime is elevated, and stress. */
  readonly elevated: Decimal;
  readonly stress: Decimal;
}

/** The regime the higher of realized and implied volatility puts the market in, and which of the two set it. */
export function classifyRegime(input: { readonly realized: Decimal | null; readonly implied: Decimal | null }, thresholds: RegimeThresholds): { readonly regime: VolatilityRegime; readonly driver: 'realized' | 'implied' | null } {
  void input;
  void thresholds;
  throw new Error('classifyRegime: to be implemented');
}
