import { Decimal, ZERO } from '../shared';
import { Instrument } from '../model';

export interface SizingRequest {
  readonly equity: Decimal;
  /** Fraction of equity to lose if the stop is hit (0.01 = 1 %). */
  readonly riskShare: Decimal;
  readonly entryPrice: Decimal;
  readonly stopPrice: Decimal;
  readonly instrument: Instrument;
  /** The most notional the position limit allows for this symbol now. */
  readonly maxPositionNotional: Decimal;
}

export interface SizingResult {
  readonly quantity: Decimal;
  readonly riskAmount: Decimal;
  readonly limitedBy: 'risk budget' | 'position limit' | 'minimum notional';
}

/**
 * Fixed-fractional sizing: quantity = equity x risk share / stop distance, rounded down to the lot
 * size, then capped so the position limit holds. Below the venue's minimum notional the size is zero.
 */
export function sizePosition(request: SizingRequest): SizingResult {
  const distance = request.entryPrice.minus(request.stopPrice).abs();
  if (distance.isZero()) throw new Error('position sizing needs a stop away from the entry price');
  const riskAmount = request.equity.times(request.riskShare);
  const lot = request.instrument.lotSize;
  const floorToLot = (q: Decimal) => q.div(lot).floor().times(lot);
  const byRisk = floorToLot(riskAmount.div(distance));
  const byLimit = floorToLot(request.maxPositionNotional.div(request.entryPrice));
  const limitedBy = byLimit.lt(byRisk) ? 'position limit' : 'risk budget';
  const quantity = Decimal.min(byRisk, byLimit);
  if (quantity.times(request.entryPrice).lt(request.instrument.minNotional)) return { quantity: ZERO, riskAmount, limitedBy: 'minimum notional' };
  return { quantity, riskAmount, limitedBy };
}
