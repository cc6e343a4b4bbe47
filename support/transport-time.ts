import { performance } from 'node:perf_hooks';
import type { Timers } from './sut';

interface Deadline {
  readonly dueAt: number;
  readonly expire: () => void;
  wallTimer: NodeJS.Timeout | null;
}

/**
 * The time one route's transport runs on in a scenario: the wall clock, plus the spans the venue
 * let pass at once. A fault that withholds an answer (a request swallowed, an answer lost or held
 * on the network) knows the system is only waiting for its timeout, so it lets that time pass
 * instead of the scenario waiting it out; a healthy request still has the whole timeout of wall
 * time. A wait the system chooses (a backoff, a Retry-After) passes at once: the broker's request
 * quota refills on this time too, so a retry that came back too soon is still refused.
 */
export class TransportTime implements Timers {
  private skippedMs = 0;
  private readonly deadlines = new Set<Deadline>();
  /** While set, this much passes again each time a deadline is set (see lapse). */
  private lapseMs: number | null = null;

  /** Milliseconds on this time (a monotonic origin, like performance.now()). */
  now(): number {
    return performance.now() + this.skippedMs;
  }

  deadline(ms: number, expire: () => void): () => void {
    const entry: Deadline = { dueAt: this.now() + ms, expire, wallTimer: null };
    entry.wallTimer = setTimeout(() => this.fire(entry), ms);
    this.deadlines.add(entry);
    if (this.lapseMs !== null) this.pass(this.lapseMs);
    return () => this.cancel(entry);
  }

  delay(ms: number, resume: () => void): () => void {
    this.pass(ms);
    // Never at once: the caller has not yet taken the function that cancels it.
    const turn = setImmediate(resume);
    return () => clearImmediate(turn);
  }

  /** ms pass at once: every deadline due by then expires, the earliest first, each on a turn of its own. */
  pass(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`transport time cannot pass ${ms} ms`);
    this.skippedMs += ms;
    const now = this.now();
    const due = [...this.deadlines].filter(entry => entry.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt);
    for (const entry of due) {
      if (entry.wallTimer) clearTimeout(entry.wallTimer);
      entry.wallTimer = null;
      setImmediate(() => this.fire(entry));
    }
  }

  /**
   * ms pass now, and again each time a deadline is set, until the returned function is called: a
   * silence the system must notice is not cut short by a message that was already on its way.
   */
  lapse(ms: number): () => void {
    this.lapseMs = ms;
    this.pass(ms);
    return () => {
      this.lapseMs = null;
    };
  }

  private fire(entry: Deadline): void {
    if (!this.deadlines.delete(entry)) return;
    if (entry.wallTimer) clearTimeout(entry.wallTimer);
    entry.expire();
  }

  private cancel(entry: Deadline): void {
    if (entry.wallTimer) clearTimeout(entry.wallTimer);
    entry.wallTimer = null;
    this.deadlines.delete(entry);
  }
}
