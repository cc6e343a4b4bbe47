import { performance } from 'node:perf_hooks';

/** Milliseconds from a monotonic origin: the time a rate limit refills by. */
export type RefillTime = () => number;

/**
 * Token bucket refilled continuously on the transport's time (rate limits are about load, not
 * scenario time): the wall clock, or a client's transport time that a wait it chose let pass.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly time: RefillTime = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.refilledAt = time();
  }

  take(): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number } {
    const now = this.time();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.refillPerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.refillPerSecond)) };
  }
}
