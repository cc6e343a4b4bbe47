/**
 * What the broker's user channel and the venue's market data channel share when their WebSocket
 * drops: one reconnect loop at a time, a doubling wait with seeded jitter between its attempts,
 * and a close that ends the wait at once and keeps the loop from starting again.
 */

/** Waits before a reconnect: the base delay doubled for each attempt, with ±10 % seeded jitter; cancel() ends a wait at once. */
class ReconnectBackoff {
  private timer: NodeJS.Timeout | null = null;
  private endWait: (() => void) | null = null;

  constructor(
    private readonly baseDelayMs: number,
    private readonly random: () => number,
  ) {}

  wait(attempt: number): Promise<void> {
    const delayMs = this.baseDelayMs * 2 ** (attempt - 1) * (0.9 + 0.2 * this.random());
    return new Promise(resolve => {
      this.endWait = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.endWait = null;
        resolve();
      };
      this.timer = setTimeout(this.endWait, delayMs);
    });
  }

  cancel(): void {
    this.endWait?.();
  }
}

export interface ReconnectLoopOptions {
  /** The first backoff; each next attempt waits twice as long. */
  readonly baseDelayMs: number;
  /** The seeded generator the jitter is drawn from, one draw a wait. */
  readonly random: () => number;
  /** The channel is up: connect() has nothing to do. */
  readonly connected: () => boolean;
  /** The channel's attempts in a row, calling wait(attempt) between them and stopping once closing. */
  readonly run: () => Promise<void>;
}

/** One reconnect loop at a time: connect() while a loop runs joins it, and starts none while the channel is connected. */
export class ReconnectLoop {
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly backoff: ReconnectBackoff;

  constructor(private readonly options: ReconnectLoopOptions) {
    this.backoff = new ReconnectBackoff(options.baseDelayMs, options.random);
  }

  /** close() was called and connect() has not been since. */
  get closing(): boolean {
    return this.closed;
  }

  connect(): Promise<void> {
    if (this.options.connected()) return Promise.resolve();
    if (this.running) return this.running;
    this.closed = false;
    this.running = this.options.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The wait before attempt + 1; close() ends it early. */
  wait(attempt: number): Promise<void> {
    return this.backoff.wait(attempt);
  }

  /** The channel went live before the loop returned: a loss from now on starts a fresh loop instead of joining this one. */
  markLive(): void {
    this.running = null;
  }

  /** Stops for good until the next connect(): the wait under way ends and the loop sees closing. */
  close(): void {
    this.closed = true;
    this.backoff.cancel();
  }
}
