import { performance } from 'node:perf_hooks';

/** Token bucket refilled continuously in real time (rate limits are about wall-clock load, not scenario time). */
export class TokenBucket {
  private tokens: number;
  private refilledAt = performance.now();

  constructor(readonly capacity: number, private readonly refillPerSecond: number) {
    this.tokens = capacity;
  }

  take(): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number } {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.refillPerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.refillPerSecond)) };
  }
}
