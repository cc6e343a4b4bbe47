import { Decimal, TradingError, ZERO } from '../shared';
import type { Side } from '../model';
import type { PriceLevel } from './market-data';

const BPS = new Decimal(10_000);

function checkDecimal(field: string, value: Decimal, rule: 'non-negative' | 'positive'): void {
  const ok = value instanceof Decimal && value.isFinite() && !value.isNegative() && (rule === 'non-negative' || !value.isZero());
  if (!ok) throw new TradingError('InvalidInput', `market impact: ${field} must be a finite ${rule} number (got ${String(value)})`, { field, value: String(value) });
}

/** Square-root impact: dP/P = Y x sigma x sqrt(Q / V), as a share of the price. */
export function squareRootImpact(input: { readonly coefficient: Decimal; readonly dailyVolatility: Decimal; readonly quantity: Decimal; readonly dailyVolume: Decimal }): Decimal {
  checkDecimal('coefficient', input.coefficient, 'non-negative');
  checkDecimal('dailyVolatility', input.dailyVolatility, 'non-negative');
  checkDecimal('quantity', input.quantity, 'non-negative');
  // A zero daily volume would make any order's impact infinite: it is missing data, not a figure.
  checkDecimal('dailyVolume', input.dailyVolume, 'positive');
  return input.coefficient.times(input.dailyVolatility).times(input.quantity.div(input.dailyVolume).sqrt());
}

/** What taking `quantity` from the visible book is expected to cost, in basis points of the mid. */
export interface ExpectedSlippage {
  readonly bestBid: Decimal | null;
  readonly bestAsk: Decimal | null;
  /** Best ask minus best bid over the mid, in bps; null when a side is empty. */
  readonly spreadBps: Decimal | null;
  /** Quantity resting on the side the order takes from. */
  readonly visibleDepth: Decimal;
  /** The order's quantity over the visible depth (Infinity for an empty side). */
  readonly depthShare: Decimal;
  /** The square-root impact, in bps; null without both volatility and volume. */
  readonly impactBps: Decimal | null;
  /** Half the spread (the cost of crossing from the mid) plus the impact, in bps; null when either is null (a spread alone understates the cost, so it is not offered as the expectation). */
  readonly expectedBps: Decimal | null;
}

/** The levels that hold something; a level of zero is an empty price, not a quote. */
function restingLevels(side: 'bids' | 'asks', levels: readonly PriceLevel[]): readonly PriceLevel[] {
  for (const level of levels) {
    checkDecimal(`${side} price`, level.price, 'positive');
    checkDecimal(`${side} quantity`, level.quantity, 'non-negative');
  }
  return levels.filter(level => !level.quantity.isZero());
}

export function expectedSlippage(input: {
  readonly side: Side;
  readonly quantity: Decimal;
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
  readonly coefficient: Decimal;
  readonly dailyVolatility: Decimal | null;
  readonly dailyVolume: Decimal | null;
}): ExpectedSlippage {
  if (input.side !== 'buy' && input.side !== 'sell') throw new TradingError('InvalidInput', `market impact: side must be buy or sell (got ${String(input.side)})`, { side: input.side });
  checkDecimal('quantity', input.quantity, 'non-negative');
  checkDecimal('coefficient', input.coefficient, 'non-negative');
  const bids = restingLevels('bids', input.bids);
  const asks = restingLevels('asks', input.asks);

  // Books arrive in any order: the best bid is the highest, the best ask the lowest.
  const bestBid = bids.length > 0 ? Decimal.max(...bids.map(level => level.price)) : null;
  const bestAsk = asks.length > 0 ? Decimal.min(...asks.map(level => level.price)) : null;
  const spreadBps = bestBid !== null && bestAsk !== null ? bestAsk.minus(bestBid).div(bestAsk.plus(bestBid).div(2)).times(BPS) : null;

  const taken = input.side === 'buy' ? asks : bids;
  const visibleDepth = taken.reduce((sum, level) => sum.plus(level.quantity), ZERO);
  const depthShare = visibleDepth.isZero() ? new Decimal(Infinity) : input.quantity.div(visibleDepth);

  const impactBps =
    input.dailyVolatility !== null && input.dailyVolume !== null
      ? squareRootImpact({ coefficient: input.coefficient, dailyVolatility: input.dailyVolatility, quantity: input.quantity, dailyVolume: input.dailyVolume }).times(BPS)
      : null;
  const expectedBps = spreadBps !== null && impactBps !== null ? spreadBps.div(2).plus(impactBps) : null;
  return { bestBid, bestAsk, spreadBps, visibleDepth, depthShare, impactBps, expectedBps };
}
