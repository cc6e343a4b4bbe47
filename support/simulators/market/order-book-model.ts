import { Decimal, TradingError } from '../../../domain/shared';
import type { PriceLevel } from '../../../domain/market';
import type { MarketRegime } from './price-path';

/** What stress does to a book: market makers quote wider and show less (spread x5-20, depth x0.1-0.3). */
export interface StressBookFactors {
  readonly spreadMultiplier: number;
  readonly depthMultiplier: number;
}

export const DEFAULT_STRESS_BOOK: StressBookFactors = { spreadMultiplier: 10, depthMultiplier: 0.2 };
export const DEFAULT_BOOK_LEVELS = 5;

export interface BookModelInput {
  readonly mid: Decimal;
  readonly tickSize: Decimal;
  readonly lotSize: Decimal;
  /** The calm spread in basis points of the mid (liquid names 1-3, small caps 100-200); never under one tick. */
  readonly baseSpreadBps: number;
  /** The calm quantity at each level. */
  readonly depthPerLevel: Decimal;
  readonly levels?: number;
  readonly regime?: MarketRegime;
  readonly stress?: StressBookFactors;
  /** What scripted events set: the spread multiplied, the depth multiplied. */
  readonly spreadFactor?: number;
  readonly liquidityFactor?: number;
  /** Per-level multipliers of the quantity (the simulator's noise), best first; 1 where missing. */
  readonly levelQuantityFactors?: { readonly bids: readonly number[]; readonly asks: readonly number[] };
}

export interface ModelledBook {
  /** Best first: bids from the highest price down, asks from the lowest up. */
  readonly bids: PriceLevel[];
  readonly asks: PriceLevel[];
}

function invalid(message: string, details: Record<string, unknown>): TradingError {
  return new TradingError('InvalidInput', `book model: ${message}`, details);
}

function requirePositiveDecimal(field: string, value: Decimal): void {
  if (!(value instanceof Decimal) || !value.isFinite() || value.lte(0)) throw invalid(`${field} must be a positive decimal, got ${String(value)}`, { field });
}

function requireFactor(field: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw invalid(`${field} must be a finite number of at least ${min}, got ${String(value)}`, { field, value });
}

/** The spread in whole ticks: base bps of the mid, times stress and event factors, at least one tick. */
export function modelledSpreadTicks(input: BookModelInput): number {
  const stress = input.regime === 'stress' ? (input.stress ?? DEFAULT_STRESS_BOOK).spreadMultiplier : 1;
  const factor = stress * (input.spreadFactor ?? 1);
  const ticks = input.mid.times(input.baseSpreadBps).times(factor).div(10_000).div(input.tickSize).toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return Math.max(1, ticks.toNumber());
}

/** The quantity at every level before the per-level noise: base depth times stress and event factors. */
export function modelledDepthPerLevel(input: BookModelInput): Decimal {
  const stress = input.regime === 'stress' ? (input.stress ?? DEFAULT_STRESS_BOOK).depthMultiplier : 1;
  return input.depthPerLevel.times(stress).times(input.liquidityFactor ?? 1);
}

/**
 * The visible book a market maker population shows around a mid: best bid and ask a spread apart
 * on the tick grid, further levels a spread apart each, each level's quantity on the lot grid and
 * at least one lot. Stress and scripted events widen the spread and thin the depth.
 */
export function buildOrderBook(input: BookModelInput): ModelledBook {
  requirePositiveDecimal('mid', input.mid);
  requirePositiveDecimal('tickSize', input.tickSize);
  requirePositiveDecimal('lotSize', input.lotSize);
  requirePositiveDecimal('depthPerLevel', input.depthPerLevel);
  requireFactor('baseSpreadBps', input.baseSpreadBps, 0);
  const levels = input.levels ?? DEFAULT_BOOK_LEVELS;
  if (!Number.isInteger(levels) || levels < 1 || levels > 100) throw invalid(`levels must be a whole number from 1 to 100, got ${String(levels)}`, { levels });
  if (input.regime !== undefined && input.regime !== 'calm' && input.regime !== 'stress') throw invalid(`unknown regime ${String(input.regime)}`, { regime: input.regime });
  const stress = input.stress ?? DEFAULT_STRESS_BOOK;
  requireFactor('stress.spreadMultiplier', stress.spreadMultiplier, 1);
  requireFactor('stress.depthMultiplier', stress.depthMultiplier, Number.MIN_VALUE);
  requireFactor('spreadFactor', input.spreadFactor ?? 1, Number.MIN_VALUE);
  requireFactor('liquidityFactor', input.liquidityFactor ?? 1, Number.MIN_VALUE);
  const noise = input.levelQuantityFactors;
  for (const factor of [...(noise?.bids ?? []), ...(noise?.asks ?? [])]) requireFactor('levelQuantityFactors', factor, 0);

  const tick = input.tickSize;
  const spread = tick.times(modelledSpreadTicks(input));
  // Rounded to the nearest tick, the bid sits at most half a tick off mid - spread/2, so mid stays inside the spread.
  const bestBid = input.mid.minus(spread.div(2)).toNearest(tick, Decimal.ROUND_HALF_UP);
  const bestAsk = bestBid.plus(spread);
  const depth = modelledDepthPerLevel(input);
  const quantity = (factor: number | undefined): Decimal => {
    const q = depth.times(factor ?? 1).toNearest(input.lotSize, Decimal.ROUND_DOWN);
    return q.lt(input.lotSize) ? input.lotSize : q;
  };
  const bids: PriceLevel[] = [];
  const asks: PriceLevel[] = [];
  for (let i = 0; i < levels; i += 1) {
    const bidPrice = bestBid.minus(spread.times(i));
    // A wide spread on a cheap name runs out of prices above zero: the book is shallower there.
    if (bidPrice.gt(0)) bids.push({ price: bidPrice, quantity: quantity(noise?.bids[i]) });
    asks.push({ price: bestAsk.plus(spread.times(i)), quantity: quantity(noise?.asks[i]) });
  }
  return { bids, asks };
}
