import { Decimal, ZERO } from '../shared';
import { BookLevelView } from '../execution';

/**
 * Liquidation price of an isolated perpetual position, as perpetual futures venues compute it:
 * the price at which the margin put up (1 / leverage of the entry notional) less the loss equals the
 * maintenance margin. Long: entry x (1 - 1/leverage + mmr); short: entry x (1 + 1/leverage - mmr).
 */
export function liquidationPrice(entry: Decimal, leverage: Decimal, maintenanceMarginRate: Decimal, direction: 'long' | 'short'): Decimal {
  if (!entry.isFinite() || entry.lte(0)) throw new RangeError(`entry price must be positive, got ${entry}`);
  if (!leverage.isFinite() || leverage.lte(0)) throw new RangeError(`leverage must be positive, got ${leverage}`);
  if (!maintenanceMarginRate.isFinite() || maintenanceMarginRate.lt(0) || maintenanceMarginRate.gte(1)) {
    throw new RangeError(`maintenance margin rate must lie in [0, 1), got ${maintenanceMarginRate}`);
  }
  const initial = new Decimal(1).div(leverage);
  const factor = direction === 'long' ? new Decimal(1).minus(initial).plus(maintenanceMarginRate) : new Decimal(1).plus(initial).minus(maintenanceMarginRate);
  return Decimal.max(ZERO, entry.times(factor));
}

/** Distance from mark to liquidation as a share of mark; zero or less means the position is at or past liquidation. */
export function liquidationBuffer(mark: Decimal, liquidation: Decimal, direction: 'long' | 'short'): Decimal {
  if (!mark.isFinite() || mark.lte(0)) throw new RangeError(`mark price must be positive, got ${mark}`);
  return (direction === 'long' ? mark.minus(liquidation) : liquidation.minus(mark)).div(mark);
}

/**
 * How to take a quantity out of the book without sweeping it: one slice per price level, best first,
 * each no larger than that level offers, rounded down to the lot. What the book cannot take is left over.
 */
export function liquidationSlices(quantity: Decimal, levels: readonly BookLevelView[], lotSize: Decimal): { slices: Decimal[]; unfilled: Decimal } {
  if (quantity.lt(0)) throw new RangeError(`quantity to liquidate must not be negative, got ${quantity}`);
  const slices: Decimal[] = [];
  let remaining = quantity;
  for (const level of levels) {
    if (remaining.lte(0)) break;
    const slice = Decimal.min(remaining, level.quantity).div(lotSize).floor().times(lotSize);
    if (slice.lte(0)) continue;
    slices.push(slice);
    remaining = remaining.minus(slice);
  }
  return { slices, unfilled: remaining };
}
