import { Decimal, ZERO, sum } from '../shared';
import { Side } from '../model';

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

/** The two extremes a symbol's position can reach: every working buy fills, or every working sell does. */
export interface PositionRange {
  readonly long: Decimal;
  readonly short: Decimal;
}

export function positionRanges(inputs: ExposureInputs): Map<string, PositionRange> {
  const symbols = new Set<string>([...inputs.positions.keys(), ...inputs.working.map(w => w.symbol)]);
  const result = new Map<string, PositionRange>();
  for (const symbol of symbols) {
    const position = inputs.positions.get(symbol) ?? ZERO;
    const buys = sum(inputs.working.filter(w => w.symbol === symbol && w.side === 'buy').map(w => w.quantity));
    const sells = sum(inputs.working.filter(w => w.symbol === symbol && w.side === 'sell').map(w => w.quantity));
    result.set(symbol, { long: position.plus(buys), short: position.minus(sells) });
  }
  return result;
}

/** Worst-case signed quantity per symbol: whichever extreme is further from flat. */
export function worstCaseQuantities(inputs: ExposureInputs): Map<string, Decimal> {
  const result = new Map<string, Decimal>();
  for (const [symbol, range] of positionRanges(inputs)) result.set(symbol, range.long.abs().gte(range.short.abs()) ? range.long : range.short);
  return result;
}

export function withOrder(inputs: ExposureInputs, order: WorkingExposure): ExposureInputs {
  return { ...inputs, working: [...inputs.working, order] };
}

function markOf(marks: ReadonlyMap<string, Decimal>, symbol: string): Decimal {
  return marks.get(symbol) ?? ZERO;
}

/** Signed notional per symbol at mark; callers check that every symbol has a mark first. */
export function signedNotionals(quantities: ReadonlyMap<string, Decimal>, marks: ReadonlyMap<string, Decimal>): Map<string, Decimal> {
  const result = new Map<string, Decimal>();
  for (const [symbol, quantity] of quantities) result.set(symbol, quantity.times(markOf(marks, symbol)));
  return result;
}

/** Gross exposure in the worst case: each symbol at its extreme furthest from flat (they are independent). */
export function worstGrossExposure(inputs: ExposureInputs): Decimal {
  return grossExposure(signedNotionals(worstCaseQuantities(inputs), inputs.marks));
}

export function grossExposure(notionals: ReadonlyMap<string, Decimal>): Decimal {
  return sum([...notionals.values()].map(n => n.abs()));
}

export function netExposure(notionals: ReadonlyMap<string, Decimal>): Decimal {
  return sum([...notionals.values()]).abs();
}

/** Net exposure is linear in the positions, so its worst case is every symbol long, or every symbol short. */
export function worstNetExposure(inputs: ExposureInputs): Decimal {
  const ranges = [...positionRanges(inputs).entries()];
  const allLong = sum(ranges.map(([symbol, r]) => r.long.times(markOf(inputs.marks, symbol))));
  const allShort = sum(ranges.map(([symbol, r]) => r.short.times(markOf(inputs.marks, symbol))));
  return Decimal.max(allLong.abs(), allShort.abs());
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

/** Symbols with working orders on both sides beyond which corners are not enumerated (2^12 evaluations). */
export const MAX_ENUMERATED_SYMBOLS = 12;

/**
 * Correlated exposure is convex in the positions, so its worst case is at a corner: each symbol at one
 * of its two extremes. Corners are enumerated for the symbols whose extremes differ; past
 * MAX_ENUMERATED_SYMBOLS each symbol takes its extreme furthest from flat instead.
 */
export function worstCorrelatedExposure(inputs: ExposureInputs, correlation: (a: string, b: string) => Decimal): Decimal {
  const ranges = [...positionRanges(inputs).entries()];
  const open = ranges.filter(([, r]) => !r.long.eq(r.short));
  if (open.length > MAX_ENUMERATED_SYMBOLS) return correlatedExposure(signedNotionals(worstCaseQuantities(inputs), inputs.marks), correlation);
  let worst = ZERO;
  for (let corner = 0; corner < 2 ** open.length; corner += 1) {
    const quantities = new Map(ranges.map(([symbol, r]) => [symbol, r.long] as const));
    open.forEach(([symbol, r], i) => quantities.set(symbol, (corner >> i) & 1 ? r.short : r.long));
    worst = Decimal.max(worst, correlatedExposure(signedNotionals(quantities, inputs.marks), correlation));
  }
  return worst;
}

/** True when the order can only bring the position closer to flat, counting working orders on the same side. */
export function isRiskReducing(position: Decimal, working: readonly WorkingExposure[], order: WorkingExposure): boolean {
  if (position.isZero()) return false;
  const closingSide: Side = position.isPositive() ? 'sell' : 'buy';
  if (order.side !== closingSide) return false;
  const alreadyClosing = sum(working.filter(w => w.symbol === order.symbol && w.side === closingSide).map(w => w.quantity));
  return alreadyClosing.plus(order.quantity).lte(position.abs());
}

