import { Decimal, ZERO, sum } from '../shared/decimal';
import { correlatedExposure } from '../risk/exposure';

export { correlatedExposure };

/** The mean of the correlations of every pair of symbols; null with fewer than two symbols. */
export function averagePairwiseCorrelation(symbols: readonly string[], correlation: (a: string, b: string) => Decimal): Decimal | null {
  const distinct = [...new Set(symbols)].sort();
  const pairs: Decimal[] = [];
  for (let i = 0; i < distinct.length; i += 1) for (let j = i + 1; j < distinct.length; j += 1) pairs.push(correlation(distinct[i], distinct[j]));
  return pairs.length === 0 ? null : sum(pairs).div(pairs.length);
}

/** How far the average correlation rose above the lowest it was in the lookback: a jump, never negative. */
export function correlationJump(current: Decimal, lookback: readonly Decimal[]): Decimal {
  if (lookback.length === 0) return ZERO;
  return Decimal.max(ZERO, current.minus(Decimal.min(...lookback)));
}
