import type { Alert, BreakerLevel, Decimal, StoredEvent, SystemState } from '../sut';
import type { EventLog } from './event-log';
import type { ScenarioContext } from './scenario-context';

/** A breaker as the system's state tells it: its level, whether it has tripped, what it last saw. */
export type BreakerStatus = NonNullable<ReturnType<SystemState['breakers']['status']>>;

/** How long an order a breaker cancels once the broker acknowledges it may take: a restart and a recovery come first. */
const CANCEL_AFTER_RESTART_MS = 4000;

/**
 * What the circuit breakers read and did, as a risk officer's panel shows it: each breaker's reading
 * and level, the trading state they set, the alerts they raised, the positions they liquidated and
 * the orders they cancelled. Reads only; the risk officer arms, sets, resets and registers.
 */
export class CircuitBreakers {
  constructor(
    private readonly context: ScenarioContext,
    private readonly eventLog: EventLog,
  ) {}

  /** A breaker's latest reading; fails when it reads nothing. */
  reading(breaker: string): { readonly observed: Decimal; readonly subject?: string; readonly level: BreakerLevel } {
    const reading = this.context.system.breakers.readings().find(r => r.name === breaker);
    if (!reading?.reading) throw new Error(`breaker ${breaker} reads nothing`);
    return { observed: reading.reading.observed, subject: reading.reading.subject, level: reading.level };
  }

  /** A breaker as the system's state holds it (rebuilt from the log after a restart). */
  status(breaker: string): BreakerStatus | undefined {
    return this.context.system.state.breakers.status(breaker);
  }

  /** The breakers of the trip episode under way (none once the breakers are reset). */
  trippedInThisEpisode(): readonly string[] {
    return this.context.system.state.breakers.episode?.breakers ?? [];
  }

  /** The trading state in force, and who made the latest change to it (undefined while it was never changed). */
  tradingState(): { readonly state: string; readonly setBy: string | undefined } {
    const change = this.eventLog
      .ofType('SettingsChanged')
      .filter(e => 'trading_state' in e.payload.changes)
      .pop();
    return { state: this.context.system.state.settings.limits.tradingState, setBy: change?.payload.actor };
  }

  alerts(): readonly Alert[] {
    return this.context.system.alerts();
  }

  /** How many alerts of each level the system's telemetry counted. */
  alertsCounted(): { readonly warning: number; readonly critical: number } {
    return { warning: this.context.system.counter('alerts.warning'), critical: this.context.system.counter('alerts.critical') };
  }

  /** The orders the breakers liquidated with, once their fills are reconciled. */
  async liquidations(): Promise<{ readonly clientOrderId: string; readonly side: string; readonly reduceOnly: boolean; readonly filled: Decimal; readonly averagePrice: Decimal }[]> {
    await this.eventLog.reconciliationsSettled();
    return this.eventLog
      .breakerEvents('BreakerActionTaken')
      .filter(e => e.payload.action === 'liquidate' && e.payload.outcome === 'done')
      .map(e => {
        const id = e.payload.clientOrderId;
        if (!id) throw new Error(`the liquidation at seq ${e.seq} names no order`);
        const order = this.context.system.state.order(id);
        return { clientOrderId: id, side: order.side, reduceOnly: order.reduceOnly, filled: order.filledQuantity, averagePrice: order.averageFillPrice };
      });
  }

  /**
   * Until an order is cancelled here and the breakers' response has finished: for an order a breaker
   * cancels once the broker acknowledges it, which may come after a restart. The order's events.
   */
  async cancelled(clientOrderId: string): Promise<StoredEvent[]> {
    await this.eventLog.waitForType('OrderCancelled', 0, e => e.payload.clientOrderId === clientOrderId, CANCEL_AFTER_RESTART_MS);
    await this.context.system.breakers.idle();
    return this.eventLog.forOrder(clientOrderId);
  }
}
