import { Decimal, ZERO, sum } from '../shared';

/** One mark price observation; a series of them is oldest first. */
export interface PricePoint {
  readonly atMs: number;
  readonly price: Decimal;
}

export const MINUTES_PER_YEAR = 365 * 24 * 60;

/** The last price of each minute that saw one, oldest first: the one-minute closes. */
export function minuteCloses(points: readonly PricePoint[]): PricePoint[] {
  const byMinute = new Map<number, PricePoint>();
  for (const p of points) byMinute.set(Math.floor(p.atMs / 60_000), p);
  return [...byMinute.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
}

/** Log returns between consecutive prices. */
export function logReturns(prices: readonly Decimal[]): Decimal[] {
  const returns: Decimal[] = [];
  for (let i = 1; i < prices.length; i += 1) returns.push(prices[i].div(prices[i - 1]).ln());
  return returns;
}

/**
 * Realized volatility, annualised: the sample standard deviation of the last `window` returns times
 * the square root of the periods in a year. Null with fewer than `minReturns` returns.
 */
export function realizedVolatility(returns: readonly Decimal[], window: number, minReturns: number, periodsPerYear = MINUTES_PER_YEAR): Decimal | null {
  if (!Number.isInteger(window) || window < 2) throw new RangeError(`volatility window must be a whole number of at least 2 returns, got ${window}`);
  if (!Number.isInteger(minReturns) || minReturns < 2 || minReturns > window) throw new RangeError(`minimum returns must be between 2 and the window, got ${minReturns}`);
  const used = returns.slice(-window);
  if (used.length < minReturns) return null;
  const mean = sum(used).div(used.length);
  const variance = sum(used.map(r => r.minus(mean).pow(2))).div(used.length - 1);
  return variance.sqrt().times(new Decimal(periodsPerYear).sqrt());
}

/**
 * The largest move from any price in the last `windowMs` to the latest, as a share of that earlier
 * price. Below the latest, the move (latest - p) / p is largest at the lowest p; above it,
 * (p - latest) / p is largest at the highest p: so one pass of comparisons finds the two candidates
 * and two divisions decide, where dividing by every point of the window would cost a division a
 * point on every evaluation (a feed of ten marks a second keeps thousands in the window).
 */
export function largestMove(points: readonly PricePoint[], windowMs: number): Decimal {
  if (points.length < 2) return ZERO;
  const latest = points[points.length - 1];
  let lowest: Decimal | null = null;
  let highest: Decimal | null = null;
  // Oldest first: from the latest back to the window's edge, and no further.
  for (let i = points.length - 2; i >= 0; i -= 1) {
    const p = points[i];
    // Strictly within the window: a price exactly T seconds old is no longer part of an N%-in-T-seconds move.
    if (p.atMs <= latest.atMs - windowMs) break;
    if (lowest === null || p.price.lt(lowest)) lowest = p.price;
    if (highest === null || p.price.gt(highest)) highest = p.price;
  }
  if (lowest === null || highest === null) return ZERO;
  const up = latest.price.gt(lowest) ? latest.price.minus(lowest).div(lowest) : ZERO;
  const down = highest.gt(latest.price) ? highest.minus(latest.price).div(highest) : ZERO;
  return Decimal.max(up, down);
}
