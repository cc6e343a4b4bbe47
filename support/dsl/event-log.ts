import { Decimal, tradeIdsOfTrigger } from '../sut';
import type { EventOf, EventType, StoredEvent, SystemUnderTest } from '../sut';
import type { ScenarioContext } from './scenario-context';

/** The events a circuit breaker records, each naming its breaker. */
type BreakerEventType = 'BreakerLevelChanged' | 'BreakerTripped' | 'BreakerActionTaken' | 'BreakerResetRefused';

/**
 * The event log as a Then reads it: from a mark, by type, by order. Reads go through the system's
 * event feed, which hands out what was appended after a mark without reading the log again.
 */
export class EventLog {
  /** How far `reconciliationsSettled` has counted, and what it counted. */
  private readonly tally = {
    upTo: 0,
    /** Trade ids of live fills no position check has named yet (one check may name several fills of a symbol). */
    unreconciled: new Set<string>(),
    lastHistoryFillSeq: 0,
    syncEndedAfterHistory: true,
  };

  constructor(private readonly context: ScenarioContext) {}

  /** Where the log ends now. */
  mark(): number {
    return this.context.system.events.mark();
  }

  since(mark: number): readonly StoredEvent[] {
    return this.context.system.events.since(mark);
  }

  all(): readonly StoredEvent[] {
    return this.context.system.events.all();
  }

  ofType<T extends EventType>(type: T, afterMark = 0): (StoredEvent & EventOf<T>)[] {
    return this.since(afterMark).filter((e): e is StoredEvent & EventOf<T> => e.type === type);
  }

  latest<T extends EventType>(type: T, afterMark = 0): (StoredEvent & EventOf<T>) | undefined {
    const events = this.since(afterMark);
    for (let i = events.length - 1; i >= 0; i -= 1) if (events[i].type === type) return events[i] as StoredEvent & EventOf<T>;
    return undefined;
  }

  forOrder(clientOrderId: string, afterMark = 0): StoredEvent[] {
    return this.since(afterMark).filter(e => 'clientOrderId' in e.payload && e.payload.clientOrderId === clientOrderId);
  }

  /** The first event after a mark that matches, as it is appended if it is not there yet. */
  waitFor(description: string, match: (event: StoredEvent) => boolean, afterMark = 0, timeoutMs?: number): Promise<StoredEvent> {
    return this.context.session.forEvent(description, match, afterMark, timeoutMs);
  }

  waitForType<T extends EventType>(type: T, afterMark = 0, match: (event: StoredEvent & EventOf<T>) => boolean = () => true, timeoutMs?: number): Promise<StoredEvent & EventOf<T>> {
    return this.waitFor(`a ${type} event`, e => e.type === type && match(e as StoredEvent & EventOf<T>), afterMark, timeoutMs) as Promise<StoredEvent & EventOf<T>>;
  }

  /**
   * Until the reconciliation each fill triggers is on record (for fills read from the broker's
   * history: the end of their synchronisation), so a Then sees its result. Reads each event once.
   */
  reconciliationsSettled(): Promise<void> {
    return this.context.session.until('every fill to be reconciled', () => {
      const t = this.tally;
      for (const e of this.since(t.upTo)) {
        if (e.type === 'OrderFilled') {
          if (e.payload.fromHistory) {
            t.lastHistoryFillSeq = e.seq;
            t.syncEndedAfterHistory = false;
          } else t.unreconciled.add(e.payload.tradeId);
        } else if (e.type === 'PositionReconciled' || e.type === 'ReconciliationSkipped') {
          for (const tradeId of tradeIdsOfTrigger(e.payload.trigger)) t.unreconciled.delete(tradeId);
        } else if (e.type === 'StateSynchronised' || e.type === 'BrokerSyncFailed' || e.type === 'ReconciliationCompleted') {
          if (e.seq > t.lastHistoryFillSeq) t.syncEndedAfterHistory = true;
        }
        t.upTo = e.seq;
      }
      return t.unreconciled.size === 0 && t.syncEndedAfterHistory;
    });
  }

  /** What the circuit breakers recorded of one type, for one breaker or for all, oldest first. */
  breakerEvents<T extends BreakerEventType>(type: T, breaker?: string): (StoredEvent & EventOf<T>)[] {
    const ofBreaker = (e: StoredEvent) => breaker === undefined || ('breaker' in e.payload && e.payload.breaker === breaker);
    return this.ofType(type).filter(e => ofBreaker(e));
  }

  /** A breaker's latest trip; fails saying which levels it reached and which breakers did trip. */
  trip(breaker: string): StoredEvent & EventOf<'BreakerTripped'> {
    const trip = this.breakerEvents('BreakerTripped', breaker).pop();
    if (trip) return trip;
    const levels = this.breakerEvents('BreakerLevelChanged', breaker).map(e => `${e.payload.to} at ${e.payload.observedText}`);
    const tripped = this.breakerEvents('BreakerTripped').map(e => e.payload.breaker);
    throw new Error(`breaker ${breaker} has not tripped (levels seen: ${levels.join(', ') || 'none'}; tripped: ${tripped.join(', ') || 'none'})`);
  }

  /** Events after the log mark a step remembered under a name ("before the reset"). */
  sinceRemembered(name: string): readonly StoredEvent[] {
    return this.since(this.context.memory.recall('logMark', name));
  }

  /** The position reconciliations on record, oldest first: of one symbol, or of every symbol. */
  reconciliations(symbol?: string): (StoredEvent & EventOf<'PositionReconciled'>)[] {
    return this.ofType('PositionReconciled').filter(e => symbol === undefined || e.payload.symbol === symbol);
  }

  /** Every event beside the system's own check of the log's sequence numbers and hash chain. */
  integrity(): { readonly events: readonly StoredEvent[]; readonly verification: ReturnType<SystemUnderTest['verifyLog']> } {
    return { events: this.all(), verification: this.context.system.verifyLog() };
  }

  /** The states an order passed through, as its events in the log tell them ("new", "pending risk", ..., "partially filled"). */
  orderStates(clientOrderId: string): string[] {
    const states: string[] = [];
    let filled = new Decimal(0);
    let quantity = new Decimal(0);
    for (const e of this.forOrder(clientOrderId)) {
      if (e.type === 'OrderRequested') quantity = new Decimal(e.payload.quantity);
      if (e.type === 'OrderFilled') filled = filled.plus(e.payload.quantity);
      const state = e.type === 'OrderFilled' ? (filled.eq(quantity) ? 'filled' : 'partially filled') : STATES_BY_EVENT[e.type];
      if (state) states.push(...state.split(', '));
    }
    return states;
  }
}

/** The state (or states) of an order each event type records; a fill's depends on what is left. */
const STATES_BY_EVENT: Partial<Record<EventType, string>> = {
  OrderRequested: 'new, pending risk',
  OrderSubmitted: 'submitted',
  OrderAcknowledged: 'acknowledged',
  OrderRejected: 'rejected',
  OrderCancelRequested: 'pending cancel',
  OrderCancelled: 'cancelled',
  OrderReplaceRequested: 'pending replace',
  OrderFailed: 'failed',
  OrderExpired: 'expired',
};
