import { Decimal, ZERO, Clock, TradingError } from '../shared';
import { Telemetry } from '../telemetry';
import { Order, remainingQuantity } from '../model';
import { DecisionMarketSummary, DecisionRow, FailedCheckRow, StateProjection, TradingState, stricterTradingState } from '../state';
import type { MarketView } from '../market';
import { CandidateOrder, PreTradeCheck, PRE_TRADE_CHECKS, RiskContext, runPreTradeChecks } from './pre-trade-checks';
import { ExposureInputs, WorkingExposure, positionRanges, worstGrossExposure, worstNetExposure } from './exposure';
import { SizingResult, sizePosition } from './position-sizer';
import { RejectionCode } from './rejection-codes';
import { effectiveLimits, marketSummary } from './market-checks';

/** What a working order reserves: its remaining quantity; while a replace is pending, the larger of old and new. */
/** What a working order reserves: its remaining quantity, or a pending replace's if larger. */
export function reservation(order: Order): WorkingExposure {
  const remaining = remainingQuantity(order);
  const pending = order.pendingReplace ? Decimal.max(ZERO, order.pendingReplace.quantity.minus(order.filledQuantity)) : ZERO;
  return { symbol: order.symbol, side: order.side, quantity: Decimal.max(ZERO, remaining, pending) };
}

interface DecisionFigures {
  readonly settingsVersion: number;
  readonly rows: readonly DecisionRow[];
  readonly failed: readonly FailedCheckRow[];
  /** The market the decision saw (absent without market data). */
  readonly market?: DecisionMarketSummary;
}

export interface ApprovedDecision extends DecisionFigures {
  readonly outcome: 'approved';
  readonly reasonCode: 'APPROVED';
}

export interface RejectedDecision extends DecisionFigures {
  readonly outcome: 'rejected';
  /** The first failed check's code. */
  readonly reasonCode: RejectionCode;
}

export type RiskDecision = ApprovedDecision | RejectedDecision;

/** A trading state stricter than the setting, in force for a reason outside the settings (reconciliation's queue). */
export interface TradingStateCap {
  readonly state: TradingState;
  readonly reason: string;
}

export interface LiveRiskManagerPorts {
  readonly state: StateProjection;
  /** A stricter trading state in force now, and why (none when not given). */
  readonly tradingStateCap?: () => TradingStateCap | null;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
  /** The checks every order passes, in order (all of PRE_TRADE_CHECKS). */
  readonly checks?: readonly PreTradeCheck[];
  /** The market of a symbol as the market state sees it; absent, or null for a symbol: no market rules apply. */
  readonly market?: (symbol: string) => MarketView | null;
}

/**
 * Pre-trade risk: every order and every modification is checked against the limits in force and
 * against the exposure already reserved by working orders. The check reads one synchronous
 * snapshot, and the caller reserves (submits) in the same step, so concurrent orders cannot
 * both slip under a limit.
 */
export class LiveRiskManager {
  private readonly state: StateProjection;
  private readonly telemetry: Telemetry;
  private readonly clock: Clock;
  private readonly checks: readonly PreTradeCheck[];
  private readonly market: (symbol: string) => MarketView | null;
  private readonly tradingStateCap: () => TradingStateCap | null;

  constructor(ports: LiveRiskManagerPorts) {
    this.state = ports.state;
    this.telemetry = ports.telemetry;
    this.clock = ports.clock;
    this.checks = ports.checks ?? PRE_TRADE_CHECKS;
    this.market = ports.market ?? (() => null);
    this.tradingStateCap = ports.tradingStateCap ?? (() => null);
  }

  evaluate(order: CandidateOrder, options: { replacing?: string } = {}): RiskDecision {
    const started = this.telemetry.startTimer();
    const context = this.context(order, options.replacing);
    const rows = runPreTradeChecks(context, this.checks);
    const market = context.market ? { market: marketSummary(order, context.market) } : {};
    const failed = rows.filter((r): r is FailedCheckRow => !r.passed);
    this.telemetry.recordSince('risk', started);
    this.telemetry.increment(failed.length === 0 ? 'risk.approved' : 'risk.rejected');
    for (const r of failed) this.telemetry.increment(`risk.rejected.${r.code}`);
    const settingsVersion = this.state.settings.version;
    const first = failed[0];
    if (first === undefined) return { outcome: 'approved', settingsVersion, rows, failed, reasonCode: 'APPROVED', ...market };
    return { outcome: 'rejected', settingsVersion, rows, failed, reasonCode: first.code, ...market };
  }

  /**
   * Size an order from a risk budget: equity x risk share / stop distance at the mark, rounded down to
   * the lot and capped by what the position limit leaves for the symbol after positions and working orders.
   */
  sizeOrder(symbol: string, side: 'buy' | 'sell', riskShare: Decimal, stopPrice: Decimal): SizingResult {
    const instrument = this.state.instruments.get(symbol);
    const mark = this.state.marks.get(symbol);
    if (!mark) throw new TradingError('InvalidInput', `no mark price for ${symbol} to size an order at`, { symbol });
    const equity = this.state.account().equity;
    const limits = this.state.settings.limits;
    const byShare = equity.times(limits.maxPositionShare);
    const cap = limits.maxPositionNotional.get(symbol);
    const positionLimit = cap ? Decimal.min(cap, byShare) : byShare;
    const inputs = this.exposureInputs();
    const range = positionRanges(inputs).get(symbol) ?? { long: ZERO, short: ZERO };
    const alreadyUsed = (side === 'buy' ? Decimal.max(ZERO, range.long) : Decimal.max(ZERO, range.short.neg())).times(mark);
    return sizePosition({ equity, riskShare, entryPrice: mark, stopPrice, instrument, maxPositionNotional: Decimal.max(ZERO, positionLimit.minus(alreadyUsed)) });
  }

  /** Gross and net exposure and leverage if every working order filled, at today's marks. */
  projectedExposure(): { gross: Decimal; net: Decimal; leverage: Decimal | null } {
    const inputs = this.exposureInputs();
    const gross = worstGrossExposure(inputs);
    const equity = this.state.account().equity;
    return { gross, net: worstNetExposure(inputs), leverage: equity.gt(0) ? gross.div(equity) : null };
  }

  /** The exposure the system carries now: positions plus the remaining quantity of every working order. */
  workingExposure(excluding?: string): WorkingExposure[] {
    return this.state
      .workingOrders()
      .filter(o => o.clientOrderId !== excluding)
      .map(reservation);
  }

  private exposureInputs(excluding?: string): ExposureInputs {
    return {
      positions: new Map([...this.state.positions.values()].map(p => [p.symbol, p.netQuantity] as const)),
      working: this.workingExposure(excluding),
      marks: this.state.marks,
    };
  }

  private context(order: CandidateOrder, replacing?: string): RiskContext {
    const account = this.state.account();
    const markTime = this.state.markTimes.get(order.symbol);
    const replaced = replacing !== undefined ? this.state.orders.get(replacing) : undefined;
    const market = this.market(order.symbol);
    // The regime tightens the limits the checks read, so each row shows the limit it held the order to.
    const regime = effectiveLimits(this.state.settings.limits, market);
    const cap = this.tradingStateCap();
    const capped = cap ? stricterTradingState(regime.limits.tradingState, cap.state) : regime.limits.tradingState;
    const limits = capped === regime.limits.tradingState ? regime.limits : { ...regime.limits, tradingState: capped };
    const tightening = regime.tightening;
    return {
      tradingStateCap: cap && capped !== this.state.settings.limits.tradingState ? cap.reason : null,
      markAgeMs: markTime !== undefined ? Math.max(0, this.clock.now().getTime() - new Date(markTime).getTime()) : null,
      ...(replaced ? { replacing: reservation(replaced) } : {}),
      order,
      instrument: this.state.instruments.find(order.symbol),
      limits,
      exposure: this.exposureInputs(replacing),
      equity: account.equity,
      startOfDayEquity: this.state.startOfDayEquity,
      currency: this.state.currency,
      market,
      now: this.clock.now(),
      tightening,
    };
  }
}
