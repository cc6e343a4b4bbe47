import { Decimal, ZERO, sum } from '../shared';

/** Each symbol's position notional at mark as a share of equity; with no equity left, every share is infinite. */
export function positionShares(notionals: ReadonlyMap<string, Decimal>, equity: Decimal): Map<string, Decimal> {
  const shares = new Map<string, Decimal>();
  for (const [symbol, notional] of notionals) shares.set(symbol, equity.gt(0) ? notional.abs().div(equity) : new Decimal(Infinity));
  return shares;
}

/** All positions together (gross notional) as a share of equity. */
export function totalPositionShare(notionals: ReadonlyMap<string, Decimal>, equity: Decimal): Decimal {
  const gross = sum([...notionals.values()].map(n => n.abs()));
  if (gross.isZero()) return ZERO;
  return equity.gt(0) ? gross.div(equity) : new Decimal(Infinity);
}

/** The quantity to sell (or buy back) so the position's notional comes down to a target share of equity, rounded up to the lot. */
export function excessQuantity(quantity: Decimal, mark: Decimal, equity: Decimal, targetShare: Decimal, lotSize: Decimal): Decimal {
  const keep = equity.gt(0) ? equity.times(targetShare).div(mark).div(lotSize).floor().times(lotSize) : ZERO;
  return Decimal.max(ZERO, quantity.abs().minus(keep));
}
