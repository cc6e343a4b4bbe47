import { TradingError } from '../shared';
import { DomainEvent, StoredEvent } from './events';
import { SqliteEventStore } from './event-store';
import { StateProjection } from './projection';

/** Someone waiting for the open transaction to be on disk. */
interface CommitWaiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The one write path: check the event against the projection, append it to the log, then apply
 * it. An event the projection would refuse is never appended; an appended event is always applied.
 * Every event is recorded in a transaction: its own, or the batch's it is recorded in.
 */
export class TradingLedger {
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private readonly beforeCommitHooks = new Set<(events: readonly StoredEvent[]) => void>();
  /** Events of the open transaction not yet committed: listeners hear of them only once they are on disk. */
  private pending: StoredEvent[] | null = null;
  /** Who waits for the open transaction's commit (durable()). */
  private waiters: CommitWaiter[] = [];

  constructor(
    readonly store: SqliteEventStore,
    readonly state: StateProjection,
  ) {}

  static rebuild(store: SqliteEventStore, state: StateProjection): TradingLedger {
    state.replay(store.read());
    return new TradingLedger(store, state);
  }

  /** Record one event: in the open batch when there is one, else in a transaction of its own, on disk when this returns. */
  record(event: DomainEvent): StoredEvent {
    const pending = this.pending;
    if (!pending) return this.batch(() => this.record(event));
    const commit = this.state.prepare(event);
    const stored = this.store.append(event);
    commit(stored.at);
    this.state.lastSeq = stored.seq;
    pending.push(stored);
    return stored;
  }

  /**
   * Record many events with one sync to disk (a page of the broker's fill history): each is checked
   * and applied as it is recorded; the hooks before the commit record what follows from them in the
   * same transaction; listeners hear of them after the commit. fn must not await.
   */
  batch<T>(fn: () => T): T {
    if (this.pending) return fn();
    this.pending = [];
    let failure: unknown = null;
    try {
      return this.store.batch(() => {
        try {
          return fn();
        } finally {
          this.beforeCommit();
        }
      });
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      this.committed(failure);
    }
  }

  /**
   * Resolves once every event recorded so far is on disk (at once when none waits for a commit);
   * rejects when their commit failed. Whatever sends an intent to a broker awaits this first.
   */
  durable(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Hooks hear the events of each transaction before it commits, and what they record goes in the
   * same transaction (and back to them, until they record nothing more): a breaker's level change is
   * on disk with the fill that moved it, in one sync. A hook must not send anything to a broker
   * without awaiting durable() first.
   */
  beforeEachCommit(hook: (events: readonly StoredEvent[]) => void): () => void {
    this.beforeCommitHooks.add(hook);
    return () => this.beforeCommitHooks.delete(hook);
  }

  /** Called after each event is stored and applied, so a listener sees the state that includes it (after a batch: once it is committed, with the state after the whole batch). */
  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private beforeCommit(): void {
    const pending = this.pending ?? [];
    // Bounded: hooks that keep answering each other's events stop after a few rounds; what they recorded is committed.
    for (let heard = 0, round = 0; heard < pending.length && round < 5; round += 1) {
      const fresh = pending.slice(heard);
      heard = pending.length;
      for (const hook of this.beforeCommitHooks) {
        try {
          hook(fresh);
        } catch {
          // A hook's failure is its own: the events are recorded and applied either way.
        }
      }
    }
  }

  /** The open transaction ended: committed (its listeners hear of it, its waiters go on), or its commit failed and the store closed. */
  private committed(failure: unknown): void {
    const events = this.store.isClosed ? [] : (this.pending ?? []);
    const waiters = this.waiters;
    this.pending = null;
    this.waiters = [];
    for (const event of events) this.notify(event);
    const refused = this.store.isClosed ? (failure ?? this.closedError()) : null;
    for (const waiter of waiters) {
      if (refused) waiter.reject(refused);
      else waiter.resolve();
    }
  }

  private closedError(): TradingError {
    return new TradingError('EventStoreClosed', `event store ${this.store.path} closed before its open transaction committed`);
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
}
