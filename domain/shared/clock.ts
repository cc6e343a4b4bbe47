/** Time as the system sees it. Production reads the wall clock; scenarios move a virtual one. */
export interface Clock {
  now(): Date;
}

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that only moves when told to: hours can pass in a scenario without waiting. */
export class VirtualClock implements Clock {
  private epochMs: number;

  constructor(start: Date | string = '2026-01-05T14:30:00.000Z') {
    this.epochMs = new Date(start).getTime();
    if (Number.isNaN(this.epochMs)) throw new Error(`VirtualClock: invalid start ${String(start)}`);
  }

  now(): Date {
    return new Date(this.epochMs);
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`VirtualClock: cannot advance by ${ms} ms`);
    this.epochMs += ms;
    return this.now();
  }

  set(to: Date | string): Date {
    const target = new Date(to).getTime();
    if (Number.isNaN(target) || target < this.epochMs) throw new Error(`VirtualClock: cannot move back to ${String(to)}`);
    this.epochMs = target;
    return this.now();
  }
}
