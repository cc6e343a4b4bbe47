import { Decimal, TradingError } from '../shared';
import type { VolatilityRegime } from './market-view';

export interface RegimeThresholds {
  /** Annualised volatility (a share: 0.3 = 30 %) at or above which the regime is elevated, and stress. */
  readonly elevated: Decimal;
  readonly stress: Decimal;
}

function checkVolatility(field: string, value: Decimal): void {
  if (!(value instanceof Decimal) || !value.isFinite() || value.isNegative()) {
    throw new TradingError('InvalidInput', `volatility regime: ${field} must be a finite non-negative share (got ${String(value)})`, { field, value: String(value) });
  }
}

/**
 * The regime the higher of realized and implied volatility puts the market in, and which of the two set it.
 * A missing figure is left out; with neither the market reads calm. On a tie the driver is 'realized',
 * what the market has done rather than what options price. The driver is null when calm.
 */
export function classifyRegime(input: { readonly realized: Decimal | null; readonly implied: Decimal | null }, thresholds: RegimeThresholds): { readonly regime: VolatilityRegime; readonly driver: 'realized' | 'implied' | null } {
  checkVolatility('elevated threshold', thresholds.elevated);
  checkVolatility('stress threshold', thresholds.stress);
  if (thresholds.stress.lessThan(thresholds.elevated)) {
    throw new TradingError('InvalidInput', `volatility regime: the stress threshold ${thresholds.stress.toString()} is below the elevated one ${thresholds.elevated.toString()}`, { elevated: thresholds.elevated.toString(), stress: thresholds.stress.toString() });
  }
  if (input.realized !== null) checkVolatility('realized', input.realized);
  if (input.implied !== null) checkVolatility('implied', input.implied);

  const { realized, implied } = input;
  const driver: 'realized' | 'implied' | null =
    realized === null ? (implied === null ? null : 'implied')
    : implied === null || realized.greaterThanOrEqualTo(implied) ? 'realized'
    : 'implied';
  const highest = driver === 'realized' ? realized : driver === 'implied' ? implied : null;
  if (highest === null || highest.lessThan(thresholds.elevated)) return { regime: 'calm', driver: null };
  return { regime: highest.greaterThanOrEqualTo(thresholds.stress) ? 'stress' : 'elevated', driver };
}
