import { DomainEvent, StoredEvent } from './events';
import { SqliteEventStore } from './event-store';
import { StateProjection } from './projection';

/**
 * The one write path: check the event against the projection, append it to the log, then apply
 * it. An event the projection would refuse is never appended; an appended event is always applied.
 */
export class TradingLedger {
  private readonly listeners = new Set<(event: StoredEvent) => void>();

  constructor(
    readonly store: SqliteEventStore,
    readonly state: StateProjection,
  ) {}

  static rebuild(store: SqliteEventStore, state: StateProjection): TradingLedger {
    state.replay(store.read());
    return new TradingLedger(store, state);
  }

  record(event: DomainEvent): StoredEvent {
    const commit = this.state.prepare(event);
    const stored = this.store.append(event);
    commit(stored.at);
    this.state.lastSeq = stored.seq;
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch {
        // A listener's failure is its own: the event is stored and applied either way.
      }
    }
    return stored;
  }

  /** Called after each event is stored and applied, so a listener sees the state that includes it. */
  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
