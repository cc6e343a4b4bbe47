import { Decimal } from '../shared/decimal';
import { Telemetry } from '../telemetry/telemetry';
import { remainingQuantity } from '../model/order';
import { DecisionRow } from '../state/events';
import { StateProjection } from '../state/projection';
import { CandidateOrder, PreTradeCheck, PRE_TRADE_CHECKS, RiskContext, runPreTradeChecks } from './pre-trade-checks';
import { ExposureInputs, WorkingExposure, grossExposure, netExposure, signedNotionals, worstCaseQuantities } from './exposure';

export interface RiskDecision {
  readonly outcome: 'approved' | 'rejected';
  readonly settingsVersion: number;
  readonly rows: readonly DecisionRow[];
  readonly failed: readonly DecisionRow[];
  /** The first failed check's code, or APPROVED. */
  readonly reasonCode: string;
}

/**
 * Pre-trade risk: every order and every modification is checked against the limits in force and
 * against the exposure already reserved by working orders. The check reads one synchronous
 * snapshot, and the caller reserves (submits) in the same step, so concurrent orders cannot
 * both slip under a limit.
 */
export class LiveRiskManager {
  constructor(
    private readonly state: StateProjection,
    private readonly telemetry: Telemetry,
    private readonly checks: readonly PreTradeCheck[] = PRE_TRADE_CHECKS,
  ) {}

  evaluate(order: CandidateOrder, options: { replacing?: string } = {}): RiskDecision {
    const started = this.telemetry.startTimer();
    const rows = runPreTradeChecks(this.context(order, options.replacing), this.checks);
    const failed = rows.filter(r => !r.passed);
    this.telemetry.recordSince('risk', started);
    this.telemetry.increment(failed.length === 0 ? 'risk.approved' : 'risk.rejected');
    for (const r of failed) this.telemetry.increment(`risk.rejected.${r.code}`);
    return {
      outcome: failed.length === 0 ? 'approved' : 'rejected',
      settingsVersion: this.state.settings.version,
      rows,
      failed,
      reasonCode: failed[0]?.code ?? 'APPROVED',
    };
  }

  /** Gross and net exposure and leverage if every working order filled, at today's marks. */
  projectedExposure(): { gross: Decimal; net: Decimal; leverage: Decimal | null } {
    const notionals = signedNotionals(worstCaseQuantities(this.exposureInputs()), this.state.marks);
    const gross = grossExposure(notionals);
    const equity = this.state.account().equity;
    return { gross, net: netExposure(notionals), leverage: equity.gt(0) ? gross.div(equity) : null };
  }

  /** The exposure the system carries now: positions plus the remaining quantity of every working order. */
  workingExposure(excluding?: string): WorkingExposure[] {
    return this.state
      .workingOrders()
      .filter(o => o.clientOrderId !== excluding)
      .map(o => ({
        symbol: o.symbol,
        side: o.side,
        // While a replace is pending, either the old or the new quantity may end up working: reserve the larger.
        quantity: o.pendingReplace ? Decimal.max(remainingQuantity(o), o.pendingReplace.quantity.minus(o.filledQuantity)) : remainingQuantity(o),
      }));
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
    return {
      order,
      instrument: this.state.instruments.find(order.symbol),
      limits: this.state.settings.limits,
      exposure: this.exposureInputs(replacing),
      equity: account.equity,
      startOfDayEquity: this.state.startOfDayEquity,
      currency: this.state.currency,
    };
  }
}
