import { Decimal, ZERO } from '../shared';
import { signedQuantity } from './order';
import { Fill } from './fill';

export interface Position {
  readonly symbol: string;
  /** Signed: positive long, negative short. */
  readonly netQuantity: Decimal;
  readonly averageEntryPrice: Decimal;
  /** Realized P&L after fees. */
  readonly realizedPnl: Decimal;
  readonly fees: Decimal;
}

export function flatPosition(symbol: string): Position {
  return { symbol, netQuantity: ZERO, averageEntryPrice: ZERO, realizedPnl: ZERO, fees: ZERO };
}

/**
 * Apply one fill to a position (contract multiplier 1):
 * adding moves the average entry; reducing realizes (exit - entry) x qty, signed by side;
 * a flip through zero opens the remainder at the fill price. The fee is always subtracted.
 */
export function applyFill(position: Position, fill: Pick<Fill, 'side' | 'quantity' | 'price' | 'fee'>): Position {
  const delta = signedQuantity(fill.side, fill.quantity);
  const current = position.netQuantity;
  let realized = position.realizedPnl.minus(fill.fee);
  let average = position.averageEntryPrice;
  const next = current.plus(delta);

  const adding = current.isZero() || current.isNegative() === delta.isNegative();
  if (adding) {
    average = current.abs().times(average).plus(fill.quantity.times(fill.price)).div(current.abs().plus(fill.quantity));
  } else {
    const closed = Decimal.min(current.abs(), fill.quantity);
    const direction = current.isPositive() ? 1 : -1;
    realized = realized.plus(fill.price.minus(average).times(closed).times(direction));
    if (next.isZero()) average = ZERO;
    else if (next.isNegative() !== current.isNegative()) average = fill.price;
  }
  return {
    symbol: position.symbol,
    netQuantity: next,
    averageEntryPrice: average,
    realizedPnl: realized,
    fees: position.fees.plus(fill.fee),
  };
}

export function unrealizedPnl(position: Position, mark: Decimal): Decimal {
  if (position.netQuantity.isZero()) return ZERO;
  return mark.minus(position.averageEntryPrice).times(position.netQuantity);
}

export function positionNotional(position: Position, mark: Decimal): Decimal {
  return position.netQuantity.abs().times(mark);
}
