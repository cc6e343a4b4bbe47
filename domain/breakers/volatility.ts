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

const minuteOf = (p: PricePoint) => Math.floor(p.atMs / 60_000);

/** Where a point stamped atMs goes among points oldest first: after every point stamped no later. */
function insertionIndex(points: readonly PricePoint[], atMs: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (points[mid].atMs <= atMs) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * One symbol's recent prices, oldest first, with their one-minute closes and the log returns
 * between them kept as the prices come. A feed of ten marks a second keeps thousands of prices in a
 * volatility window: the closes and returns are moved by the newest price alone (the last close
 * replaced or one appended, one logarithm), and worked out again from the prices only when a price
 * arrives stamped before the newest one kept. What they hold always equals minuteCloses(points())
 * and logReturns of those closes' prices.
 */
export class PriceHistory {
  private readonly kept: PricePoint[] = [];
  private closeList: PricePoint[] = [];
  private returnList: Decimal[] = [];

  /** Add a price, then drop those stamped more than keepMs before the newest. */
  add(point: PricePoint, keepMs: number): void {
    const points = this.kept;
    const newest = points.length === 0 || points[points.length - 1].atMs <= point.atMs;
    if (newest) points.push(point);
    else points.splice(insertionIndex(points, point.atMs), 0, point);
    const keepFrom = points[points.length - 1].atMs - keepMs;
    let stale = 0;
    while (stale < points.length && points[stale].atMs < keepFrom) stale += 1;
    if (stale > 0) points.splice(0, stale);
    if (newest) this.followNewest(point);
    else this.rebuild();
  }

  /** The prices kept, oldest first. */
  points(): readonly PricePoint[] {
    return this.kept;
  }

  /** The last price of each minute among the prices kept, oldest first. */
  closes(): readonly PricePoint[] {
    return this.closeList;
  }

  /** The log returns between consecutive closes, oldest first. */
  returns(): readonly Decimal[] {
    return this.returnList;
  }

  private followNewest(point: PricePoint): void {
    const closes = this.closeList;
    const last = closes[closes.length - 1];
    if (last !== undefined && minuteOf(last) === minuteOf(point)) {
      closes[closes.length - 1] = point;
      if (closes.length > 1) this.returnList[this.returnList.length - 1] = point.price.div(closes[closes.length - 2].price).ln();
    } else {
      closes.push(point);
      if (closes.length > 1) this.returnList.push(point.price.div(closes[closes.length - 2].price).ln());
    }
    // Closes of minutes no longer among the prices go, and with each the return that starts from it.
    const oldestMinute = minuteOf(this.kept[0]);
    let stale = 0;
    while (stale < closes.length && minuteOf(closes[stale]) < oldestMinute) stale += 1;
    if (stale > 0) {
      closes.splice(0, stale);
      this.returnList.splice(0, Math.min(stale, this.returnList.length));
    }
  }

  private rebuild(): void {
    this.closeList = minuteCloses(this.kept);
    this.returnList = logReturns(this.closeList.map(p => p.price));
  }
}
