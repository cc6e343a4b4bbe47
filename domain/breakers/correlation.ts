import { Decimal, ZERO, sum } from '../shared';
import { correlatedExposure } from '../risk';

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

/**
 * The lowest value seen within a sliding time window, holding only the samples that can still be
 * the lowest (a later, lower sample makes every higher one before it irrelevant): bounded by how
 * often the value falls, not by how often it is sampled.
 */
export class SlidingWindowMinimum {
  private samples: { atMs: number; value: Decimal }[] = [];

  push(atMs: number, value: Decimal): void {
    while (this.samples.length > 0 && this.samples[this.samples.length - 1].value.gte(value)) this.samples.pop();
    this.samples.push({ atMs, value });
  }

  /** Forget samples taken before sinceMs. */
  evictBefore(sinceMs: number): void {
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop].atMs < sinceMs) drop += 1;
    if (drop > 0) this.samples = this.samples.slice(drop);
  }

  /** The samples that may still be the minimum, oldest (and lowest) first. */
  candidates(): Decimal[] {
    return this.samples.map(s => s.value);
  }

  get size(): number {
    return this.samples.length;
  }

  clear(): void {
    this.samples = [];
  }
}
