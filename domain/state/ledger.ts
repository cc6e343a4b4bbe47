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
 * Every event is recorded in a transaction: its own, a batch's, or the one the commands of one turn
 * of the event loop share (stage).
 */
export class TradingLedger {
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private readonly beforeCommitHooks = new Set<(events: readonly StoredEvent[]) => void>();
  /** Events of the open transaction not yet committed: listeners hear of them only once they are on disk. */
  private pending: StoredEvent[] | null = null;
  /** Who waits for the open transaction's commit (durable()). */
  private waiters: CommitWaiter[] = [];
  /** Inside a batch's or a stage's fn, or a hook before the commit: what is recorded joins the open transaction. */
  private depth = 0;
  /** The commit at the end of this turn of the event loop is due. */
  private commitScheduled = false;

  constructor(
    readonly store: SqliteEventStore,
    readonly state: StateProjection,
  ) {}

  /**
   * Record one event: inside a batch or a stage, in its transaction; else in a transaction of its
   * own (with whatever was staged before it), on disk when this returns.
   */
  record(event: DomainEvent): StoredEvent {
    const pending = this.pending;
    if (this.depth === 0 || !pending) return this.batch(() => this.record(event));
    const commit = this.state.prepare(event);
    const stored = this.store.append(event);
    commit(stored.at);
    this.state.lastSeq = stored.seq;
    pending.push(stored);
    return stored;
  }

  /**
   * Record many events with one sync to disk (a page of the broker's fill history), on disk when
   * this returns: each is checked and applied as it is recorded; the hooks before the commit record
   * what follows from them in the same transaction; listeners hear of them after the commit. Events
   * staged earlier in this turn commit with them. fn must not await.
   */
  batch<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    if (!this.pending) this.begin();
    let result: T;
    try {
      result = this.inside(fn);
    } catch (error) {
      this.commit(error);
      throw error;
    }
    this.commit();
    return result;
  }

  /**
   * Record what fn records in the transaction the commands of this turn of the event loop share:
   * it commits once the turn's callbacks have run, one sync to disk for all of them. Nothing is
   * durable when this returns: a caller awaits durable() before it sends anything to a broker and
   * before it answers its own caller. fn must not await.
   */
  stage<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    if (!this.pending) this.begin();
    if (!this.commitScheduled) {
      this.commitScheduled = true;
      setImmediate(() => this.commitStaged());
    }
    return this.inside(fn);
  }

  /**
   * Resolves once every event recorded so far is on disk (at once when none waits for a commit);
   * rejects when their commit failed. Whatever sends an intent to a broker awaits this first.
   */
  durable(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Commit what is staged now (the log is about to close): what was recorded is not left behind. */
  flush(): void {
    if (this.pending && this.depth === 0) this.commit();
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

  private begin(): void {
    this.store.begin();
    this.pending = [];
  }

  private inside<T>(fn: () => T): T {
    this.depth += 1;
    try {
      return fn();
    } finally {
      this.depth -= 1;
    }
  }

  private commitStaged(): void {
    this.commitScheduled = false;
    if (!this.pending || this.depth > 0) return;
    try {
      this.commit();
    } catch {
      // The store closed on the failed commit; those waiting for it heard why.
    }
  }

  /**
   * Commit the open transaction: the hooks first, then one sync; then its listeners hear of its
   * events and its waiters go on. A commit that fails closes the store: nobody hears of the events
   * (they are not on disk), the waiters are refused, and the error is thrown.
   */
  private commit(failure?: unknown): void {
    this.inside(() => this.beforeCommit());
    const events = this.pending ?? [];
    const waiters = this.waiters;
    let refused: unknown = null;
    try {
      this.store.commit(failure);
    } catch (error) {
      refused = error;
    }
    this.pending = null;
    this.waiters = [];
    if (refused) {
      for (const waiter of waiters) waiter.reject(refused);
      throw refused;
    }
    for (const event of events) this.notify(event);
    for (const waiter of waiters) waiter.resolve();
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

