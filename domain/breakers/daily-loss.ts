import { Decimal, ZERO } from '../shared';

/** Realized plus unrealized loss since the start of the day: how far equity fell below start-of-day equity. */
export function dailyLoss(startOfDayEquity: Decimal, equity: Decimal): Decimal {
  return Decimal.max(ZERO, startOfDayEquity.minus(equity));
}

/** The loss limit in money: a share of start-of-day equity, or the money cap if that is lower. */
export function dailyLossLimit(startOfDayEquity: Decimal, share: Decimal, amount: Decimal | null): Decimal {
  if (share.lt(0) || (amount !== null && amount.lt(0))) throw new RangeError('a daily loss limit must not be negative');
  const byShare = startOfDayEquity.times(share);
  return amount !== null ? Decimal.min(byShare, amount) : byShare;
}
