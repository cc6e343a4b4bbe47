import type { EventType, PlaceResult } from '../sut';
import type { ScenarioContext } from './scenario-context';
import type { EventLog } from './event-log';
import { LAST_FAULT, type EventOfType, logMark } from './broker-events';
import { WAIT_MS } from './system-session';

type BrokerErrorEvent = EventOfType<'BrokerErrorRecorded'>;

/** Events that say something went wrong between the system and the broker. */
const TROUBLE: readonly EventType[] = ['BrokerErrorRecorded', 'BrokerMessageRejected', 'BrokerSequenceAnomaly', 'BrokerRequestRetried', 'FillRejected'];

/** A placement that did not go through, with the error it carries and the order it was about. */
export type PlacementWithError = Extract<PlaceResult, { error: unknown; order: unknown }>;

/**
 * The errors the trading system met at the broker, as it recorded them: one event each (with the
 * path the error took through the layers and its cause chain), a telemetry counter each, and the
 * retries the gateway made.
 */
export class BrokerErrors {
  constructor(
    private readonly context: ScenarioContext,
    private readonly eventLog: EventLog,
  ) {}

  /** Every broker error on record, oldest first. */
  all(): BrokerErrorEvent[] {
    return this.eventLog.ofType('BrokerErrorRecorded');
  }

  /** The latest broker error on record; fails when there is none. */
  latest(): BrokerErrorEvent {
    const latest = this.eventLog.latest('BrokerErrorRecorded');
    if (!latest) throw new Error('no broker error is on record');
    return latest;
  }

  /** The first broker error of a kind on record, as it is recorded if it is not there yet. */
  recorded(kind: string): Promise<BrokerErrorEvent> {
    return this.eventLog.waitForType('BrokerErrorRecorded', 0, e => e.payload.errorKind === kind, WAIT_MS.broker);
  }

  ofKind(kind: string, reasonCode?: string): BrokerErrorEvent[] {
    return this.all().filter(e => e.payload.errorKind === kind && (reasonCode === undefined || e.payload.reasonCode === reasonCode));
  }

  /** The retries the gateway made of an operation, after an error of a kind if one is named. */
  retries(operation: string, kind?: string): EventOfType<'BrokerRequestRetried'>[] {
    return this.eventLog.ofType('BrokerRequestRetried').filter(e => e.payload.operation === operation && (kind === undefined || e.payload.errorKind === kind));
  }

  /** The types of the trouble events recorded since the last fault. */
  troubleSinceLastFault(): string[] {
    return this.eventLog.since(logMark(this.context, LAST_FAULT)).filter(e => TROUBLE.includes(e.type)).map(e => e.type);
  }

  /**
   * Once every fill's reconciliation is on record, the broker errors by kind as the event log has
   * them and as telemetry counted them, and the sum of every broker error counter.
   */
  async counted(): Promise<{ events: Record<string, number>; counters: Record<string, number>; recorded: number; countedInAll: number }> {
    await this.eventLog.reconciliationsSettled();
    const events: Record<string, number> = {};
    for (const e of this.all()) events[e.payload.errorKind] = (events[e.payload.errorKind] ?? 0) + 1;
    const counters: Record<string, number> = {};
    let countedInAll = 0;
    for (const [name, count] of Object.entries(this.context.system.counters())) {
      if (!name.startsWith('broker.errors.')) continue;
      counters[name.slice('broker.errors.'.length)] = count;
      countedInAll += count;
    }
    return { events, counters, recorded: this.all().length, countedInAll };
  }

  /** The last placement, which must have failed with an error (not been accepted, nor refused as input), and its order's status now. */
  lastFailedPlacement(): { placement: PlacementWithError; statusNow: string } {
    const placement = this.context.memory.recall('placement');
    if (placement.outcome === 'accepted' || !('order' in placement)) throw new Error(`the last order was ${placement.outcome}${'error' in placement ? `: ${placement.error.message}` : ''}, with no broker error`);
    return { placement, statusNow: this.context.system.state.order(placement.order.clientOrderId).status };
  }

  /**
   * The broker error recorded for the last order and the error the trader was given for it: the
   * recorded path from the broker gateway out, and the cause chains of both.
   */
  forLastOrder(): { placement: PlacementWithError; recorded: BrokerErrorEvent } {
    const { placement } = this.lastFailedPlacement();
    const id = placement.order.clientOrderId;
    const recorded = this.all().filter(e => e.payload.clientOrderId === id).pop();
    if (!recorded) throw new Error(`no broker error is on record for the last order ${id}`);
    return { placement, recorded };
  }

  /** The time the scenario's clock says now, as events record it. */
  now(): string {
    return this.context.clock.now().toISOString();
  }
}
