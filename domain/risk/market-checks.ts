import { DateTime } from 'luxon';
import { Decimal, ZERO, formatAmount, formatPair, formatShare } from '../shared';
import type { RiskLimits, DecisionRow, DecisionMarketSummary } from '../state';
import { ExpectedSlippage, MarketView, VolatilityRegime, calendarFor, expectedSlippage, inClosePreparation } from '../market';
import type { RejectionCode } from './rejection-codes';
import type { CandidateOrder, PreTradeCheck, RiskContext } from './pre-trade-checks';
import { isRiskReducing } from './exposure';

/** The market-condition checks (plan 4.4): sessions, halts, the reopening print, the close, LULD bands, liquidity and the volatility regime. */

type Figures = { observed: Decimal; limit: Decimal };

function row(check: string, passed: boolean, code: RejectionCode, observed: string, limit: string, figures?: Figures, note?: string): DecisionRow {
  const shown = {
    observed,
    limit,
    ...(figures ? { observedValue: figures.observed.toString(), limitValue: figures.limit.toString() } : {}),
    ...(note ? { note } : {}),
  };
  return passed ? { check, passed: true, code: 'PASSED', ...shown } : { check, passed: false, code, ...shown };
}

function pass(check: string, observed: string, limit: string, figures?: Figures, note?: string): DecisionRow {
  return { check, passed: true, code: 'PASSED', observed, limit, ...(figures ? { observedValue: figures.observed.toString(), limitValue: figures.limit.toString() } : {}), ...(note ? { note } : {}) };
}

function market(context: RiskContext): MarketView | null {
  return context.market ?? null;
}

function reduces(context: RiskContext): boolean {
  const position = context.exposure.positions.get(context.order.symbol) ?? ZERO;
  return isRiskReducing(position, context.exposure.working, { symbol: context.order.symbol, side: context.order.side, quantity: context.order.quantity });
}

/** An instant as the venue's people read it ("2026-01-20 04:00:00 EST"). */
function venueTime(instant: Date, context: RiskContext): string {
  const zone = context.instrument ? calendarFor(context.instrument.calendar).zone : 'UTC';
  return DateTime.fromJSDate(instant, { zone }).setLocale('en-US').toFormat('yyyy-MM-dd HH:mm:ss ZZZZ');
}

const volatility = (value: Decimal | null) => (value === null ? 'n/a' : formatShare(value, 1));

// ---- sessions and halts ----

export const marketSession: PreTradeCheck = context => {
  const view = market(context);
  if (!view) return null;
  const { session } = view;
  const check = 'market session';
  const limit = 'regular session; outside it limit orders marked for extended hours';
  switch (session.session) {
    case 'continuous':
      return pass(check, 'continuous (24/7)', 'an open session');
    case 'regular':
      return pass(check, `regular (${session.localTime})`, limit);
    case 'pre-market':
    case 'after-hours': {
      const observed = `${session.session} (${session.localTime}): ${context.order.type} order${context.order.extendedHours ? ', extended hours' : ''}`;
      if (context.order.type !== 'limit') return row(check, false, 'ORDER_TYPE_NOT_ALLOWED_IN_SESSION', observed, limit);
      return row(check, context.order.extendedHours === true, 'EXTENDED_HOURS_NOT_REQUESTED', observed, limit);
    }
    case 'closed': {
      const why = session.holiday ? `holiday: ${session.holiday}` : (session.closedReason ?? 'closed');
      const next = session.nextChange ? `the next session starts ${venueTime(session.nextChange, context)}` : undefined;
      return row(check, false, 'MARKET_CLOSED', `closed (${why}) at ${session.localTime}`, next ? `an open session: ${next}` : 'an open session', undefined, next);
    }
  }
};

function haltCode(view: MarketView): RejectionCode {
  const reason = view.status.reason;
  if (reason === 'LULD_PAUSE') return 'LULD_PAUSED';
  if (reason === 'MARKET_WIDE_LEVEL_1' || reason === 'MARKET_WIDE_LEVEL_2' || reason === 'MARKET_WIDE_LEVEL_3') return 'MARKET_WIDE_HALT';
  return 'SYMBOL_HALTED';
}

export const tradingHalt: PreTradeCheck = context => {
  const view = market(context);
  if (!view) return null;
  const { status } = view;
  if (status.status === 'open') return pass('trading halt', 'open', 'trading open');
  const since = status.since ? ` since ${status.since}` : '';
  return row('trading halt', false, haltCode(view), `${status.status}: ${status.reason ?? 'no reason given'}${since}`, 'trading open');
};

export const reopeningPrint: PreTradeCheck = context => {
  const view = market(context);
  if (!view) return null;
  const limit = 'market orders only after the reopening print';
  if (!view.status.awaitingReopeningPrint) return pass('reopening print', 'printed', limit);
  const ok = context.order.type === 'limit';
  return row('reopening print', ok, 'MARKET_ORDER_BEFORE_REOPENING_PRINT', `awaiting the reopening print: ${context.order.type} order`, limit);
};

/** Inside the window before the regular close no order may add exposure in an instrument that closes. */
export const closePreparation: PreTradeCheck = context => {
  const view = market(context);
  if (!view || view.session.session !== 'regular' || !view.session.regularClose) return null;
  const minutes = context.limits.closePreparationMinutes;
  const now = context.now;
  const inside = now ? inClosePreparation(view.session, now, minutes) : view.closePreparation;
  const limitText = `no new risk in the last ${formatAmount(minutes, 0)} min (close ${venueTime(view.session.regularClose, context)})`;
  const toClose = now ? new Decimal(view.session.regularClose.getTime() - now.getTime()).div(60_000) : null;
  const observed = toClose !== null ? `${formatAmount(toClose, 2)} min to the close` : inside ? 'inside the close preparation window' : 'before the close preparation window';
  const figures = toClose !== null ? { observed: toClose, limit: minutes } : undefined;
  if (!inside) return pass('close preparation', observed, limitText, figures);
  const ok = reduces(context);
  return row('close preparation', ok, 'CLOSE_PREPARATION_NO_NEW_RISK', observed, limitText, figures, ok ? 'reduces the position: allowed before the close' : 'adds exposure before the close');
};

export const priceBand: PreTradeCheck = context => {
  const view = market(context);
  const { order } = context;
  if (!view?.bands || order.type !== 'limit' || !order.limitPrice) return null;
  const { lower, upper, percent, doubled } = view.bands;
  const price = order.limitPrice;
  const inside = price.gte(lower) && price.lte(upper);
  const nearest = price.gt(upper) ? upper : price.lt(lower) ? lower : order.side === 'buy' ? upper : lower;
  const band = `${formatAmount(lower)} - ${formatAmount(upper)} (${formatShare(percent, 1)}${doubled ? ', doubled' : ''} around ${formatAmount(view.bands.referencePrice)})`;
  return row('price band', inside, 'PRICE_OUTSIDE_LULD_BAND', formatAmount(price), band, { observed: price, limit: nearest });
};

// ---- liquidity ----

/** A market order takes liquidity; a limit order does when it crosses the best opposite price. */
export function takesLiquidity(order: CandidateOrder, view: MarketView): boolean {
  if (order.type === 'market' || !order.limitPrice) return true;
  const book = view.book;
  if (!book) return false;
  const opposite = order.side === 'buy' ? book.asks[0] : book.bids[0];
  if (!opposite) return false;
  return order.side === 'buy' ? order.limitPrice.gte(opposite.price) : order.limitPrice.lte(opposite.price);
}

/** What taking the order's quantity from the book the view holds costs. */
export function slippageOf(order: CandidateOrder, view: MarketView, limits: RiskLimits, dailyVolume: Decimal | null): ExpectedSlippage | null {
  if (!view.book) return null;
  return expectedSlippage({
    side: order.side,
    quantity: order.quantity,
    bids: view.book.bids,
    asks: view.book.asks,
    coefficient: limits.impactCoefficient,
    dailyVolatility: view.dailyVolatility,
    dailyVolume,
  });
}

type Liquidity = { kind: 'none' } | { kind: 'no book' } | { kind: 'passive' } | { kind: 'exit' } | { kind: 'taking'; slippage: ExpectedSlippage };

const liquidityMemo = new WeakMap<RiskContext, Liquidity>();

function liquidity(context: RiskContext): Liquidity {
  const cached = liquidityMemo.get(context);
  if (cached) return cached;
  const view = market(context);
  let result: Liquidity;
  if (!view) result = { kind: 'none' };
  else if (!view.book) result = { kind: 'no book' };
  else if (!takesLiquidity(context.order, view)) result = { kind: 'passive' };
  // Getting out of risk outranks the price it gets: a reduce-only order is judged by the trading state and the reduce-only check, not the book.
  else if (context.order.reduceOnly && reduces(context)) result = { kind: 'exit' };
  else {
    const slippage = slippageOf(context.order, view, context.limits, context.instrument?.dailyVolume ?? null);
    result = slippage ? { kind: 'taking', slippage } : { kind: 'no book' };
  }
  liquidityMemo.set(context, result);
  return result;
}

const PASSIVE = 'rests in the book: takes no liquidity';
const NO_BOOK = 'no book data yet: not judged';

const EXIT = 'reduce-only: an exit is not refused for the book (a breaker sizes its liquidation slices to the best level itself)';

/** The rows every liquidity check gives when it has nothing to judge. */
function notTaking(check: string, found: Liquidity, limit: string): DecisionRow | null {
  if (found.kind === 'none') return null;
  if (found.kind === 'exit') return pass(check, 'reduce-only', limit, undefined, EXIT);
  if (found.kind === 'no book') return pass(check, 'no book', limit, undefined, NO_BOOK);
  return pass(check, 'takes no liquidity', limit, undefined, PASSIVE);
}

export const spread: PreTradeCheck = context => {
  const found = liquidity(context);
  const max = context.limits.maxSpreadBps;
  const limitText = `${formatAmount(max, 2)} bps`;
  if (found.kind !== 'taking') return notTaking('spread', found, limitText);
  const { spreadBps } = found.slippage;
  if (spreadBps === null) return row('spread', false, 'NO_LIQUIDITY', `a side of the book is empty`, limitText);
  const [shown, shownMax] = formatPair(spreadBps, max, (v, d) => `${formatAmount(v, d)} bps`);
  return row('spread', spreadBps.lte(max), 'SPREAD_TOO_WIDE', shown, shownMax, { observed: spreadBps, limit: max });
};

export const bookDepthShare: PreTradeCheck = context => {
  const found = liquidity(context);
  const max = context.limits.maxDepthShare;
  const limitText = `${formatShare(max)} of the visible depth`;
  if (found.kind !== 'taking') return notTaking('book depth share', found, limitText);
  const { visibleDepth } = found.slippage;
  const side = context.order.side === 'buy' ? 'asks' : 'bids';
  if (visibleDepth.lte(0)) return row('book depth share', false, 'NO_LIQUIDITY', `no ${side} in the book`, limitText);
  const share = context.order.quantity.div(visibleDepth);
  const [shown, shownMax] = formatPair(share, max, formatShare);
  return row('book depth share', share.lte(max), 'DEPTH_INSUFFICIENT', `${shown} of ${visibleDepth} on the ${side}`, `${shownMax} of the visible depth`, { observed: share, limit: max });
};

export const slippageGuard: PreTradeCheck = context => {
  const found = liquidity(context);
  const max = context.limits.slippageGuardBps;
  const limitText = `${formatAmount(max, 2)} bps`;
  if (found.kind !== 'taking') return notTaking('expected slippage', found, limitText);
  const { spreadBps, impactBps, expectedBps } = found.slippage;
  if (spreadBps === null) return row('expected slippage', false, 'NO_LIQUIDITY', 'a side of the book is empty', limitText);
  if (expectedBps === null) return pass('expected slippage', 'not estimated', limitText, undefined, 'no volatility or daily volume to estimate the impact from');
  const note = `half spread ${formatAmount(spreadBps.div(2), 2)} bps + impact ${formatAmount(impactBps ?? ZERO, 2)} bps`;
  const [shown, shownMax] = formatPair(expectedBps, max, (v, d) => `${formatAmount(v, d)} bps`);
  return row('expected slippage', expectedBps.lte(max), 'SLIPPAGE_EXCEEDS_GUARD', shown, shownMax, { observed: expectedBps, limit: max }, note);
};

// ---- the volatility regime ----

/** How the regime tightened the limits the exposure checks use. */
export interface LimitTightening {
  readonly regime: Exclude<VolatilityRegime, 'calm'>;
  readonly factor: Decimal;
  readonly driver: 'realized' | 'implied' | null;
  readonly volatility: Decimal | null;
}

/** The limits in force for an order: in an elevated or stress regime the max leverage and max order notional are multiplied by the regime's factor. */
export function effectiveLimits(limits: RiskLimits, view: MarketView | null): { limits: RiskLimits; tightening: LimitTightening | null } {
  if (!view || view.regime === 'calm') return { limits, tightening: null };
  const factor = view.regime === 'stress' ? limits.regimeStressLimitFactor : limits.regimeElevatedLimitFactor;
  const volatility = view.regimeDriver === 'implied' ? view.impliedVolatility : view.regimeDriver === 'realized' ? view.realizedVolatility : null;
  return {
    limits: { ...limits, maxLeverage: limits.maxLeverage.times(factor), maxOrderNotional: limits.maxOrderNotional.times(factor) },
    tightening: { regime: view.regime, factor, driver: view.regimeDriver, volatility },
  };
}

/** The note the tightened rows carry: "tightened x0.5 for the stress regime (implied 62 %)". */
export function tighteningNote(tightening: LimitTightening): string {
  const by = tightening.driver && tightening.volatility ? ` (${tightening.driver} ${formatAmount(tightening.volatility.times(100), 0)} %)` : '';
  return `tightened x${tightening.factor.toString()} for the ${tightening.regime} regime${by}`;
}

export const volatilityRegime: PreTradeCheck = context => {
  const view = market(context);
  if (!view) return null;
  const { limits } = context;
  const factor = view.regime === 'stress' ? limits.regimeStressLimitFactor : view.regime === 'elevated' ? limits.regimeElevatedLimitFactor : new Decimal(1);
  const limitText = `elevated from ${formatShare(limits.regimeElevatedVolatility, 0)}, stress from ${formatShare(limits.regimeStressVolatility, 0)}`;
  const observed = `${view.regime} (realized ${volatility(view.realizedVolatility)}, implied ${volatility(view.impliedVolatility)})`;
  const driving = view.regimeDriver === 'implied' ? view.impliedVolatility : view.regimeDriver === 'realized' ? view.realizedVolatility : null;
  const highest = driving ?? (view.realizedVolatility && view.impliedVolatility ? Decimal.max(view.realizedVolatility, view.impliedVolatility) : (view.realizedVolatility ?? view.impliedVolatility));
  const threshold = view.regime === 'calm' ? limits.regimeElevatedVolatility : view.regime === 'elevated' ? limits.regimeElevatedVolatility : limits.regimeStressVolatility;
  const note = factor.eq(1) ? 'limits as set (x1)' : `max leverage and max order notional x${factor.toString()}`;
  return pass('volatility regime', observed, limitText, highest ? { observed: highest, limit: threshold } : undefined, note);
};

/** The market checks in the order they run, after the trading state and reduce-only checks. */
export const MARKET_CHECKS: readonly PreTradeCheck[] = [marketSession, tradingHalt, reopeningPrint, closePreparation, priceBand, spread, bookDepthShare, slippageGuard, volatilityRegime];

/** The market beside a decision: session, status, regime, the spread and the depth on the side the order takes from, the volatilities. */
export function marketSummary(order: CandidateOrder, view: MarketView): DecisionMarketSummary {
  const book = view.book;
  const bid = book?.bids[0]?.price;
  const ask = book?.asks[0]?.price;
  const mid = bid && ask ? bid.plus(ask).div(2) : null;
  const spreadBps = bid && ask && mid && mid.gt(0) ? ask.minus(bid).div(mid).times(10_000) : null;
  const levels = book ? (order.side === 'buy' ? book.asks : book.bids) : null;
  const depth = levels ? levels.reduce((total, level) => total.plus(level.quantity), ZERO) : null;
  const bands = view.bands;
  return {
    session: view.session.session,
    localTime: view.session.localTime,
    status: view.status.status,
    haltReason: view.status.reason,
    regime: view.regime,
    regimeDriver: view.regimeDriver,
    bestBid: bid?.toString() ?? null,
    bestAsk: ask?.toString() ?? null,
    priceBand: bands ? `${formatAmount(bands.lower)} - ${formatAmount(bands.upper)} (${formatShare(bands.percent, 1)}${bands.doubled ? ', doubled' : ''} around ${formatAmount(bands.referencePrice)})` : null,
    spreadBps: spreadBps?.toString() ?? null,
    depth: depth?.toString() ?? null,
    impliedVolatility: view.impliedVolatility?.toString() ?? null,
    realizedVolatility: view.realizedVolatility?.toString() ?? null,
  };
}
