import type { Alert, BreakerLevel, Decimal, EventOf, OrderStatus, StoredEvent, SystemState } from '../sut';
import type { EventLog } from './event-log';
import type { ScenarioContext } from './scenario-context';
import { WAIT_MS } from './system-session';

/** A breaker as the system's state tells it: its level, whether it has tripped, what it last saw. */
export type BreakerStatus = NonNullable<ReturnType<SystemState['breakers']['status']>>;

/** One order of a basket against the breakers' first trip, as its events tell it. */
export interface OrderAtTheTrip {
  readonly clientOrderId: string;
  /** Submitted to the broker before the trip was recorded. */
  readonly submittedBeforeTrip: boolean;
  /** The broker's acknowledgement of it recorded after the trip: it was on its way when the breaker tripped. */
  readonly acknowledgedAfterTrip: boolean;
  /** Its events ("seq type") beside the trip's, for a failure to show. */
  readonly history: string;
}

/** How an order a breaker cancelled went: the broker's acknowledgement, the cancel, here and at the broker. */
export interface BreakerCancel {
  readonly clientOrderId: string;
  /** The broker acknowledged it before any cancel of it was asked for, and it was cancelled after that. */
  readonly cancelledAfterAcknowledgement: boolean;
  /** Why the first cancel of it was asked for (the breaker names itself), if one was asked for here. */
  readonly cancelReason: string | undefined;
  readonly here: OrderStatus;
  readonly atBroker: string | undefined;
  /** Its events ("seq type") and where it stands, for a failure to show. */
  readonly history: string;
}

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
   * Until a named order is cancelled here and the breakers' response has finished: for an order a
   * breaker cancels once the broker acknowledges it, which may come after a restart. How it went.
   */
  async cancelOf(name: string): Promise<BreakerCancel> {
    const id = this.context.memory.recall('order', name);
    // A breaker cancels the order once the broker acknowledges it, which may come only after a restart and a recovery.
    await this.eventLog.waitForType('OrderCancelled', 0, e => e.payload.clientOrderId === id, WAIT_MS.broker);
    await this.context.system.breakers.idle();
    return this.cancelOfOrder(id);
  }

  /** How the breakers' cancel of each order of a remembered basket went ("sent before the trip"). */
  cancelsOf(basket: string): readonly BreakerCancel[] {
    return this.basketIds(basket).map(id => this.cancelOfOrder(id));
  }

  /** Each order of a remembered basket against the first trip: submitted before it, acknowledged after it. */
  ordersAtTheTrip(basket: string): readonly OrderAtTheTrip[] {
    const trip = this.eventLog.breakerEvents('BreakerTripped')[0];
    if (!trip) throw new Error('no breaker has tripped');
    return this.basketIds(basket).map(id => {
      const events = this.eventLog.forOrder(id);
      const submitted = events.find(e => e.type === 'OrderSubmitted');
      const acknowledged = events.find(e => e.type === 'OrderAcknowledged');
      return {
        clientOrderId: id,
        submittedBeforeTrip: submitted !== undefined && submitted.seq < trip.seq,
        acknowledgedAfterTrip: acknowledged !== undefined && acknowledged.seq > trip.seq,
        history: `${id} around the trip at ${trip.seq}: ${historyOf(events)}`,
      };
    });
  }

  /** Until a breaker's action of a kind is on record as failed: how it failed. */
  async failedAction(action: string): Promise<EventOf<'BreakerActionTaken'>['payload']> {
    const failed = await this.eventLog.waitForType('BreakerActionTaken', 0, e => e.payload.action === action && e.payload.outcome === 'failed');
    return failed.payload;
  }

  private cancelOfOrder(id: string): BreakerCancel {
    const events = this.eventLog.forOrder(id);
    const acknowledged = events.find(e => e.type === 'OrderAcknowledged');
    const cancelled = events.find(e => e.type === 'OrderCancelled');
    const requests = events.filter((e): e is StoredEvent & EventOf<'OrderCancelRequested'> => e.type === 'OrderCancelRequested');
    const here = this.context.system.state.order(id).status;
    const atBroker = this.context.broker.allOrders().find(o => o.clientOrderId === id)?.status;
    return {
      clientOrderId: id,
      cancelledAfterAcknowledgement: acknowledged !== undefined && cancelled !== undefined && cancelled.seq > acknowledged.seq && requests.every(r => r.seq > acknowledged.seq),
      cancelReason: requests[0]?.payload.reason,
      here,
      atBroker,
      history: `${id} (${here} here, ${atBroker ?? 'unknown'} at the broker): ${historyOf(events)}`,
    };
  }

  /** The client order ids of a remembered basket; an order refused as input has none, and no place in a basket a breaker met. */
  private basketIds(name: string): string[] {
    return this.context.memory.recall('basket', name).map(r => {
      if (r.outcome === 'rejected' && r.stage === 'input') throw new Error(`an order of the basket "${name}" was refused as input: ${r.error.message}`);
      return r.order.clientOrderId;
    });
  }
}

function historyOf(events: readonly StoredEvent[]): string {
  return events.map(e => `${e.seq} ${e.type}`).join(', ');
}
