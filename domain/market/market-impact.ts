import type { Decimal } from '../shared';
import type { Side } from '../model';
import type { PriceLevel } from './market-data';

/** Square-root impact: dP/P = Y x sigma x sqrt(Q / V), as a share of the price. */
export function squareRootImpact(input: { readonly coefficient: Decimal; readonly dailyVolatility: Decimal; readonly quantity: Decimal; readonly dailyVolume: Decimal }): Decimal {
  void input;
  throw new Error('squareRootImpact: to be implemented');
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
  /** Half the spread (the cost of crossing from the mid) plus the square-root impact, in bps; null without both sides or without volatility and volume. */
  readonly impactBps: Decimal | null;
  readonly expectedBps: Decimal | null;
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
  void input;
  throw new Error('expectedSlippage: to be implemented');
}
