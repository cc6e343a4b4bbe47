import { Decimal, ZERO, formatAmount, formatMoney, formatShare } from '../shared';
import { correlationBetween } from '../state';
import { BreakerDefinition, BreakerSnapshot } from './breaker';
import { correlatedExposure, correlationJump } from './correlation';
import { dailyLoss, dailyLossLimit } from './daily-loss';
import { liquidationBuffer, liquidationPrice } from './liquidation';
import { excessQuantity, positionShares, totalPositionShare } from './position-size';
import { largestMove, realizedVolatility } from './volatility';

const pct = (snapshot: BreakerSnapshot, key: string) => new Decimal(snapshot.settings[key]).div(100);
const num = (snapshot: BreakerSnapshot, key: string) => new Decimal(snapshot.settings[key]);

/** Signed notional at mark of every open position. */
export function positionNotionals(snapshot: BreakerSnapshot): Map<string, Decimal> {
  const notionals = new Map<string, Decimal>();
  for (const p of snapshot.state.openPositions()) {
    const mark = snapshot.state.marks.get(p.symbol) ?? p.averageEntryPrice;
    notionals.set(p.symbol, p.netQuantity.times(mark));
  }
  return notionals;
}

export const dailyLossBreaker: BreakerDefinition = {
  name: 'daily loss',
  measure: 'realized and unrealized loss since the start of the trading day (USD)',
  direction: 'above',
  response: 'HALTED',
  liquidation: 'none',
  format: v => formatMoney(v),
  read: s => {
    const start = s.state.startOfDayEquity;
    if (start === null) return null;
    const critical = dailyLossLimit(start, s.limits.dailyLossLimitShare, s.limits.dailyLossLimitAmount);
    return { observed: dailyLoss(start, s.equity), warning: Decimal.min(critical, start.times(pct(s, 'daily_loss_warning_pct'))), critical };
  },
};

export const liquidationBufferBreaker: BreakerDefinition = {
  name: 'liquidation buffer',
  measure: 'distance from mark to liquidation price, smallest of the positions (% of mark)',
  direction: 'below',
  response: 'REDUCE_ONLY',
  liquidation: 'close',
  format: v => formatShare(v),
  read: s => {
    const leverage = num(s, 'position_leverage');
    const critical = pct(s, 'liquidation_buffer_critical_pct');
    let worst: { buffer: Decimal; symbol: string } | null = null;
    const breaching = [];
    for (const p of s.state.openPositions()) {
      const mark = s.state.marks.get(p.symbol);
      if (!mark) continue;
      const direction = p.netQuantity.isPositive() ? 'long' : 'short';
      const liquidation = liquidationPrice(p.averageEntryPrice, leverage, s.state.instruments.get(p.symbol).maintenanceMarginRate, direction);
      const buffer = liquidationBuffer(mark, liquidation, direction);
      if (!worst || buffer.lt(worst.buffer)) worst = { buffer, symbol: p.symbol };
      if (buffer.lte(critical)) breaching.push({ symbol: p.symbol, quantity: p.netQuantity.abs() });
    }
    if (!worst) return null;
    return { observed: worst.buffer, warning: pct(s, 'liquidation_buffer_warning_pct'), critical, subject: worst.symbol, breaching };
  },
};

export const volatilityBreaker: BreakerDefinition = {
  name: 'volatility',
  measure: 'realized volatility of one-minute returns, annualised, highest of the symbols (%)',
  direction: 'above',
  response: 'REDUCE_ONLY',
  liquidation: 'none',
  format: v => formatShare(v),
  read: s => {
    const window = num(s, 'volatility_window_returns').toNumber();
    const minimum = Math.min(window, num(s, 'volatility_min_returns').toNumber());
    let worst: { vol: Decimal; symbol: string } | null = null;
    for (const symbol of s.state.marks.keys()) {
      const vol = realizedVolatility(s.minuteReturns(symbol), window, minimum);
      if (vol && (!worst || vol.gt(worst.vol))) worst = { vol, symbol };
    }
    if (!worst) return null;
    return { observed: worst.vol, warning: pct(s, 'volatility_warning_pct'), critical: pct(s, 'volatility_critical_pct'), halt: pct(s, 'volatility_halt_pct'), subject: worst.symbol };
  },
};

export const priceMoveBreaker: BreakerDefinition = {
  name: 'price move',
  measure: 'largest move of a mark price within the window (%)',
  direction: 'above',
  response: 'REDUCE_ONLY',
  liquidation: 'none',
  format: v => formatShare(v),
  read: s => {
    const windowMs = num(s, 'price_move_window_seconds').times(1000).toNumber();
    let worst: { move: Decimal; symbol: string } | null = null;
    for (const symbol of s.state.marks.keys()) {
      const move = largestMove(s.prices(symbol), windowMs);
      if (!worst || move.gt(worst.move)) worst = { move, symbol };
    }
    if (!worst) return null;
    return { observed: worst.move, warning: pct(s, 'price_move_warning_pct'), critical: pct(s, 'price_move_critical_pct'), subject: worst.symbol };
  },
};

export const correlatedExposureBreaker: BreakerDefinition = {
  name: 'correlated exposure',
  measure: 'correlation-weighted exposure sqrt(w\'Cw) of the open positions (% of equity)',
  direction: 'above',
  response: 'REDUCE_ONLY',
  liquidation: 'none',
  format: v => formatShare(v),
  read: s => {
    const notionals = positionNotionals(s);
    if (notionals.size === 0) return null;
    const exposure = correlatedExposure(notionals, (a, b) => correlationBetween(s.limits, a, b));
    const observed = s.equity.gt(0) ? exposure.div(s.equity) : new Decimal(Infinity);
    return { observed, warning: pct(s, 'correlated_exposure_warning_pct'), critical: pct(s, 'correlated_exposure_critical_pct') };
  },
};

export const correlationJumpBreaker: BreakerDefinition = {
  name: 'correlation jump',
  measure: 'rise of the average pairwise correlation of the symbols held, over the lookback',
  direction: 'above',
  response: 'REDUCE_ONLY',
  liquidation: 'none',
  format: v => formatAmount(v, 2),
  read: s => {
    if (s.averageCorrelation === null) return null;
    return { observed: correlationJump(s.averageCorrelation, s.correlationLookback), warning: num(s, 'correlation_jump_warning'), critical: num(s, 'correlation_jump_critical') };
  },
};

export const positionSizeBreaker: BreakerDefinition = {
  name: 'position size',
  measure: 'largest position notional at mark (% of equity)',
  direction: 'above',
  response: 'REDUCE_ONLY',
  liquidation: 'excess',
  format: v => formatShare(v),
  read: s => {
    const shares = positionShares(positionNotionals(s), s.equity);
    if (shares.size === 0) return null;
    const [symbol, observed] = [...shares.entries()].reduce((a, b) => (b[1].gt(a[1]) ? b : a));
    const warning = pct(s, 'position_size_warning_pct');
    const critical = pct(s, 'position_size_critical_pct');
    const breaching = [...shares.entries()]
      .filter(([, share]) => share.gte(critical))
      .map(([sym]) => {
        const position = s.state.position(sym);
        const mark = s.state.marks.get(sym) ?? position.averageEntryPrice;
        return { symbol: sym, quantity: excessQuantity(position.netQuantity, mark, s.equity, warning, s.state.instruments.get(sym).lotSize) };
      })
      .filter(b => b.quantity.gt(ZERO));
    return { observed, warning, critical, subject: symbol, breaching };
  },
};

export const totalPositionBreaker: BreakerDefinition = {
  name: 'total position size',
  measure: 'all positions together, gross notional at mark (% of equity)',
  direction: 'above',
  response: 'REDUCE_ONLY',
  liquidation: 'none',
  format: v => formatShare(v),
  read: s => {
    const notionals = positionNotionals(s);
    if (notionals.size === 0) return null;
    return { observed: totalPositionShare(notionals, s.equity), warning: pct(s, 'total_position_warning_pct'), critical: pct(s, 'total_position_critical_pct') };
  },
};

/** The breakers every system has, in the order they are evaluated (and their responses applied). */
export const STANDARD_BREAKERS: readonly BreakerDefinition[] = [
  dailyLossBreaker,
  liquidationBufferBreaker,
  volatilityBreaker,
  priceMoveBreaker,
  correlatedExposureBreaker,
  correlationJumpBreaker,
  positionSizeBreaker,
  totalPositionBreaker,
];

/** Which settings hold each standard breaker's levels (daily loss: its critical level is the daily loss limit itself). */
export const BREAKER_LEVEL_SETTINGS: Readonly<Record<string, { warning: string; critical: string }>> = {
  'daily loss': { warning: 'daily_loss_warning_pct', critical: 'daily_loss_limit_pct' },
  'liquidation buffer': { warning: 'liquidation_buffer_warning_pct', critical: 'liquidation_buffer_critical_pct' },
  volatility: { warning: 'volatility_warning_pct', critical: 'volatility_critical_pct' },
  'price move': { warning: 'price_move_warning_pct', critical: 'price_move_critical_pct' },
  'correlated exposure': { warning: 'correlated_exposure_warning_pct', critical: 'correlated_exposure_critical_pct' },
  'correlation jump': { warning: 'correlation_jump_warning', critical: 'correlation_jump_critical' },
  'position size': { warning: 'position_size_warning_pct', critical: 'position_size_critical_pct' },
  'total position size': { warning: 'total_position_warning_pct', critical: 'total_position_critical_pct' },
};

