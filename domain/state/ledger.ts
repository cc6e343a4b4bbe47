import { DomainEvent, StoredEvent } from './events';
import { SqliteEventStore } from './event-store';
import { StateProjection } from './projection';

/**
 * The one write path: check the event against the projection, append it to the log, then apply
 * it. An event the projection would refuse is never appended; an appended event is always applied.
 */
export class TradingLedger {
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
    return stored;
  }
}
