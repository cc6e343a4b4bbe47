import { Decimal, ZERO, sum } from '../shared/decimal';
import { Side, signedQuantity } from '../model/order';

export interface WorkingExposure {
  readonly symbol: string;
  readonly side: Side;
  /** Quantity still able to fill. */
  readonly quantity: Decimal;
}

export interface ExposureInputs {
  /** Net quantity per symbol (signed). */
  readonly positions: ReadonlyMap<string, Decimal>;
  /** Working orders: their remaining quantity is reserved exposure. */
  readonly working: readonly WorkingExposure[];
  readonly marks: ReadonlyMap<string, Decimal>;
}

/**
 * Worst-case signed quantity per symbol if every working order fills: the larger of
 * position + all working buys and position - all working sells.
 */
export function worstCaseQuantities(inputs: ExposureInputs): Map<string, Decimal> {
  const symbols = new Set<string>([...inputs.positions.keys(), ...inputs.working.map(w => w.symbol)]);
  const result = new Map<string, Decimal>();
  for (const symbol of symbols) {
    const position = inputs.positions.get(symbol) ?? ZERO;
    const buys = sum(inputs.working.filter(w => w.symbol === symbol && w.side === 'buy').map(w => w.quantity));
    const sells = sum(inputs.working.filter(w => w.symbol === symbol && w.side === 'sell').map(w => w.quantity));
    const longWorst = position.plus(buys);
    const shortWorst = position.minus(sells);
    result.set(symbol, longWorst.abs().gte(shortWorst.abs()) ? longWorst : shortWorst);
  }
  return result;
}

export function withOrder(inputs: ExposureInputs, order: WorkingExposure): ExposureInputs {
  return { ...inputs, working: [...inputs.working, order] };
}

/** Signed notional per symbol at mark; a symbol without a mark cannot be valued and is left out by callers that check marks first. */
export function signedNotionals(quantities: ReadonlyMap<string, Decimal>, marks: ReadonlyMap<string, Decimal>): Map<string, Decimal> {
  const result = new Map<string, Decimal>();
  for (const [symbol, quantity] of quantities) result.set(symbol, quantity.times(marks.get(symbol) ?? ZERO));
  return result;
}

export function grossExposure(notionals: ReadonlyMap<string, Decimal>): Decimal {
  return sum([...notionals.values()].map(n => n.abs()));
}

export function netExposure(notionals: ReadonlyMap<string, Decimal>): Decimal {
  return sum([...notionals.values()]).abs();
}

/** sqrt(w' C w): exposure after netting correlated positions against each other. */
export function correlatedExposure(notionals: ReadonlyMap<string, Decimal>, correlation: (a: string, b: string) => Decimal): Decimal {
  const entries = [...notionals.entries()];
  let variance = ZERO;
  for (const [a, wa] of entries) {
    for (const [b, wb] of entries) variance = variance.plus(wa.times(wb).times(correlation(a, b)));
  }
  return variance.lte(0) ? ZERO : variance.sqrt();
}

/** True when the order can only bring the position closer to flat, counting working orders on the same side. */
export function isRiskReducing(position: Decimal, working: readonly WorkingExposure[], order: WorkingExposure): boolean {
  if (position.isZero()) return false;
  const closingSide: Side = position.isPositive() ? 'sell' : 'buy';
  if (order.side !== closingSide) return false;
  const alreadyClosing = sum(working.filter(w => w.symbol === order.symbol && w.side === closingSide).map(w => w.quantity));
  return alreadyClosing.plus(order.quantity).lte(position.abs());
}

export function projectedPosition(position: Decimal, order: WorkingExposure): Decimal {
  return position.plus(signedQuantity(order.side, order.quantity));
}
