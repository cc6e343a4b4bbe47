import { Decimal, ZERO, formatAmount, formatLeverage, formatMoney, formatPair, formatShare } from '../shared';
import { Instrument, OrderType, Side, TimeInForce } from '../model';
import { DecisionRow, RiskLimits, correlationBetween } from '../state';
import type { MarketView } from '../market';
import { RejectionCode } from './rejection-codes';
import { LimitTightening, MARKET_CHECKS, tighteningNote } from './market-checks';
import {
  ExposureInputs,
  WorkingExposure,
  isRiskReducing,
  signedNotionals,
  withOrder,
  worstCaseQuantities,
  worstCorrelatedExposure,
  worstGrossExposure,
  worstNetExposure,
} from './exposure';

export interface CandidateOrder {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: Decimal;
  readonly limitPrice?: Decimal;
  readonly reduceOnly: boolean;
  /** Absent: good till cancelled. */
  readonly timeInForce?: TimeInForce;
  /** May trade outside the regular session (limit orders only). */
  readonly extendedHours?: boolean;
}

/** Everything a pre-trade check may read: a consistent snapshot taken in one synchronous step. */
export interface RiskContext {
  readonly order: CandidateOrder;
  readonly instrument: Instrument | undefined;
  readonly limits: RiskLimits;
  readonly exposure: ExposureInputs;
  readonly equity: Decimal;
  readonly startOfDayEquity: Decimal | null;
  readonly currency: string;
  /** How old the order's mark price is, in milliseconds. */
  readonly markAgeMs: number | null;
  /** For a modification: the exposure the order reserves now, which the new terms replace. */
  readonly replacing?: WorkingExposure;
  /** The market of the order's symbol; null or absent: no market rules apply and the market checks give no rows. */
  readonly market?: MarketView | null;
  /** When the decision is taken (the close preparation window is measured from it). */
  readonly now?: Date;
  /** Set when the volatility regime tightened `limits` (max leverage, max order notional). */
  readonly tightening?: LimitTightening | null;
  /** Why the trading state in `limits` is stricter than the setting (reconciliation's queue, a start-up not yet reconciled). */
  readonly tradingStateCap?: string | null;
}

export type PreTradeCheck = (context: RiskContext) => DecisionRow | null;

type Figures = { observed: Decimal; limit: Decimal };

function shown(observed: string, limit: string, figures?: Figures, note?: string) {
  return {
    observed,
    limit,
    ...(figures ? { observedValue: figures.observed.toString(), limitValue: figures.limit.toString() } : {}),
    ...(note ? { note } : {}),
  };
}

/** A row that passes, or fails with the code given. */
function row(check: string, passed: boolean, code: RejectionCode, observed: string, limit: string, figures?: Figures, note?: string): DecisionRow {
  return passed ? { check, passed: true, code: 'PASSED', ...shown(observed, limit, figures, note) } : { check, passed: false, code, ...shown(observed, limit, figures, note) };
}

/** A row of a check that passes on this path whatever it sees. */
function pass(check: string, observed: string, limit: string, figures?: Figures): DecisionRow {
  return { check, passed: true, code: 'PASSED', ...shown(observed, limit, figures) };
}

function asWorking(order: CandidateOrder): WorkingExposure {
  return { symbol: order.symbol, side: order.side, quantity: order.quantity };
}

function reduces(context: RiskContext): boolean {
  const position = context.exposure.positions.get(context.order.symbol) ?? ZERO;
  return isRiskReducing(position, context.exposure.working, asWorking(context.order));
}

function referencePrice(context: RiskContext): Decimal | undefined {
  return context.order.limitPrice ?? context.exposure.marks.get(context.order.symbol);
}

/** An exposure figure before and after the order; an order that does not raise it passes even above the limit. */
function exposureRow(
  context: RiskContext,
  check: string,
  code: RejectionCode,
  measure: (inputs: ExposureInputs) => Decimal,
  limit: Decimal,
  display: (value: Decimal, decimals: number) => string,
): DecisionRow {
  const before = measure(context.replacing ? withOrder(context.exposure, context.replacing) : context.exposure);
  const after = measure(withOrder(context.exposure, asWorking(context.order)));
  const withinLimit = after.lte(limit);
  // With no equity left every share is infinite: only an order that reduces a position may pass.
  const notIncreasing = context.equity.gt(0) ? after.lte(before) : reduces(context);
  const note = !withinLimit && notIncreasing ? 'above the limit, but the order does not increase it' : undefined;
  const [shownAfter, shownLimit] = formatPair(after, limit, display);
  return row(check, withinLimit || notIncreasing, code, shownAfter, shownLimit, { observed: after, limit }, note);
}

/** A row of a limit the volatility regime tightened says so. */
function tightened(context: RiskContext, decision: DecisionRow): DecisionRow {
  if (!context.tightening) return decision;
  const note = tighteningNote(context.tightening);
  return { ...decision, note: decision.note ? `${decision.note}; ${note}` : note };
}

function symbolNotional(inputs: ExposureInputs, symbol: string): Decimal {
  return (signedNotionals(worstCaseQuantities(inputs), inputs.marks).get(symbol) ?? ZERO).abs();
}

function share(value: Decimal, equity: Decimal): Decimal {
  return equity.gt(0) ? value.div(equity) : new Decimal(Infinity);
}

export const tradableInstrument: PreTradeCheck = ({ order, instrument, limits }) => {
  if (!instrument) return row('tradable instrument', false, 'INSTRUMENT_NOT_FOUND', `${order.symbol} is not listed`, 'listed instrument');
  const tradable = instrument.tradable && !limits.disabledSymbols.has(instrument.symbol);
  return row('tradable instrument', tradable, 'INSTRUMENT_NOT_TRADABLE', tradable ? 'tradable' : 'trading disabled', 'tradable');
};

export const markPriceAvailable: PreTradeCheck = ({ order, exposure }) => {
  const mark = exposure.marks.get(order.symbol);
  return row('mark price', mark !== undefined, 'MARK_PRICE_UNAVAILABLE', mark ? formatAmount(mark) : 'no mark price', 'a mark price to value the order');
};

/** A stale mark blocks orders that add risk; twice as stale blocks every new order (REFERENCE.md). */
export const markPriceAge: PreTradeCheck = context => {
  if (context.markAgeMs === null) return null;
  const limitSeconds = context.limits.markStalenessSeconds;
  const age = new Decimal(context.markAgeMs).div(1000);
  const limitText = `${limitSeconds} s (${limitSeconds.times(2)} s for reducing orders)`;
  if (age.gt(limitSeconds.times(2))) return row('mark price age', false, 'MARK_PRICE_STALE', `${age} s`, limitText, { observed: age, limit: limitSeconds });
  if (age.gt(limitSeconds) && !reduces(context)) return row('mark price age', false, 'MARK_PRICE_STALE', `${age} s`, limitText, { observed: age, limit: limitSeconds });
  return pass('mark price age', `${age} s`, limitText, { observed: age, limit: limitSeconds });
};

export const tradingState: PreTradeCheck = context => {
  const state = context.limits.tradingState;
  const note = context.tradingStateCap ?? undefined;
  if (state === 'HALTED') return row('trading state', false, 'TRADING_HALTED', state, 'ACTIVE, or REDUCE_ONLY for reducing orders', undefined, note);
  if (state === 'REDUCE_ONLY' && !reduces(context)) {
    return row('trading state', false, 'TRADING_STATE_REDUCING', `${state}, order increases exposure`, 'reducing orders only', undefined, note);
  }
  return row('trading state', true, 'TRADING_HALTED', state, 'ACTIVE, or REDUCE_ONLY for reducing orders', undefined, note);
};

export const reduceOnlyFlag: PreTradeCheck = context => {
  if (!context.order.reduceOnly) return null;
  const ok = reduces(context);
  return row('reduce-only order', ok, 'REDUCE_ONLY_WOULD_INCREASE_POSITION', ok ? 'reduces the position' : 'would increase the position', 'reduces the position');
};

export const dailyLossLimit: PreTradeCheck = context => {
  const base = context.startOfDayEquity ?? context.equity;
  const byShare = base.times(context.limits.dailyLossLimitShare);
  const limit = context.limits.dailyLossLimitAmount ? Decimal.min(byShare, context.limits.dailyLossLimitAmount) : byShare;
  const loss = Decimal.max(ZERO, base.minus(context.equity));
  const breached = loss.gte(limit);
  const passed = !breached || reduces(context);
  const note = breached && passed ? 'limit reached; reducing orders still pass' : undefined;
  const [shownLoss, shownLimit] = formatPair(loss, limit, (v, d) => formatMoney(v, context.currency, d));
  return row('daily loss limit', passed, 'DAILY_LOSS_LIMIT_REACHED', shownLoss, shownLimit, { observed: loss, limit }, note);
};

export const orderQuantity: PreTradeCheck = ({ order, limits }) => {
  const max = limits.maxOrderQuantity.get(order.symbol);
  if (!max) return null;
  return row('order quantity', order.quantity.lte(max), 'QUANTITY_EXCEEDS_MAXIMUM', order.quantity.toString(), max.toString(), { observed: order.quantity, limit: max });
};

export const orderNotional: PreTradeCheck = context => {
  const price = referencePrice(context);
  if (!price) return null;
  const notional = context.order.quantity.times(price);
  const max = context.limits.maxOrderNotional;
  const [shownNotional, shownMax] = formatPair(notional, max, (v, d) => formatMoney(v, context.currency, d));
  return tightened(context, row('order notional', notional.lte(max), 'NOTIONAL_EXCEEDS_MAX_PER_ORDER', shownNotional, shownMax, { observed: notional, limit: max }));
};

export const priceCollar: PreTradeCheck = ({ order, exposure, limits }) => {
  const mark = exposure.marks.get(order.symbol);
  if (order.type === 'market' || !order.limitPrice || !mark) return null;
  const deviation = order.limitPrice.minus(mark).abs().div(mark);
  const [shownDeviation, shownCollar] = formatPair(deviation, limits.priceCollarShare, formatShare);
  return row('price collar', deviation.lte(limits.priceCollarShare), 'PRICE_OUTSIDE_COLLAR', `${shownDeviation} from mark`, shownCollar, {
    observed: deviation,
    limit: limits.priceCollarShare,
  });
};

export const positionLimit: PreTradeCheck = context => {
  const { order, limits, equity } = context;
  const byShare = equity.times(limits.maxPositionShare);
  const cap = limits.maxPositionNotional.get(order.symbol);
  const limit = cap ? Decimal.min(byShare, cap) : byShare;
  const measure = (inputs: ExposureInputs) => symbolNotional(inputs, order.symbol);
  return exposureRow(context, 'position limit', 'POSITION_LIMIT_EXCEEDED', measure, limit, (v, d) => formatMoney(v, context.currency, d));
};

export const maxLeverage: PreTradeCheck = context =>
  tightened(context, exposureRow(context, 'max leverage', 'LEVERAGE_EXCEEDS_MAXIMUM', inputs => share(worstGrossExposure(inputs), context.equity), context.limits.maxLeverage, formatLeverage));

export const grossExposureCap: PreTradeCheck = context =>
  exposureRow(context, 'gross exposure', 'GROSS_EXPOSURE_EXCEEDS_CAP', inputs => share(worstGrossExposure(inputs), context.equity), context.limits.maxGrossExposureShare, formatShare);

export const netExposureCap: PreTradeCheck = context =>
  exposureRow(context, 'net exposure', 'NET_EXPOSURE_EXCEEDS_CAP', inputs => share(worstNetExposure(inputs), context.equity), context.limits.maxNetExposureShare, formatShare);

export const correlatedExposureCap: PreTradeCheck = context =>
  exposureRow(
    context,
    'correlated exposure',
    'CORRELATED_EXPOSURE_EXCEEDS_CAP',
    inputs => share(worstCorrelatedExposure(inputs, (a, b) => correlationBetween(context.limits, a, b)), context.equity),
    context.limits.maxCorrelatedExposureShare,
    formatShare,
  );

/** The checks in the order the original system ran them (REFERENCE.md), with the market's after the trading state, every one reported. */
export const PRE_TRADE_CHECKS: readonly PreTradeCheck[] = [
  tradableInstrument,
  markPriceAvailable,
  markPriceAge,
  tradingState,
  reduceOnlyFlag,
  ...MARKET_CHECKS,
  dailyLossLimit,
  orderQuantity,
  orderNotional,
  priceCollar,
  positionLimit,
  maxLeverage,
  grossExposureCap,
  netExposureCap,
  correlatedExposureCap,
];

/** Runs every check; when the instrument or mark is missing, the figures cannot be computed and only those rows are given. */
export function runPreTradeChecks(context: RiskContext, checks: readonly PreTradeCheck[] = PRE_TRADE_CHECKS): DecisionRow[] {
  const gate = [tradableInstrument(context), markPriceAvailable(context)].filter((r): r is DecisionRow => r !== null);
  if (gate.some(r => !r.passed)) return gate;
  return checks.map(check => check(context)).filter((r): r is DecisionRow => r !== null);
}

