import { DomainEvent, StoredEvent } from './events';
import { SqliteEventStore } from './event-store';
import { StateProjection } from './projection';

/**
 * The one write path: check the event against the projection, append it to the log, then apply
 * it. An event the projection would refuse is never appended; an appended event is always applied.
 */
export class TradingLedger {
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  /** Events of a batch not yet committed: listeners hear of them only once they are on disk. */
  private pending: StoredEvent[] | null = null;

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
    if (this.pending) this.pending.push(stored);
    else this.notify(stored);
    return stored;
  }

  /**
   * Record many events with one sync to disk (a page of the broker's fill history): each is checked
   * and applied as it is recorded; listeners hear of them after the commit. fn must not await.
   */
  batch<T>(fn: () => T): T {
    if (this.pending) return fn();
    this.pending = [];
    try {
      return this.store.batch(fn);
    } finally {
      const committed = this.store.isClosed ? [] : this.pending;
      this.pending = null;
      for (const event of committed) this.notify(event);
    }
  }

  private notify(stored: StoredEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch {
        // A listener's failure is its own: the event is stored and applied either way.
      }
    }
  }

  /** Called after each event is stored and applied, so a listener sees the state that includes it (after a batch: once it is committed, with the state after the whole batch). */
  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
