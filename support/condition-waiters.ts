/**
 * Waits for conditions over state that changes by events: each wait is checked again whenever its
 * owner says something changed (no polling), and fails after a timeout saying what it waited for.
 * A condition that throws fails its own wait with that error; whoever tells of the change never
 * sees it, so one broken condition cannot stop the other waits, or the events, going on.
 */
export class ConditionWaiters {
  private readonly checks = new Set<() => void>();

  until(holds: () => boolean, timeoutMs: number, failure: () => Error): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: { readonly thrown: unknown }) => {
        settled = true;
        clearTimeout(timer);
        this.checks.delete(check);
        if (error) reject(error.thrown);
        else resolve();
      };
      const check = () => {
        try {
          if (holds()) settle();
        } catch (thrown) {
          settle({ thrown });
        }
      };
      const timer = setTimeout(() => settle({ thrown: failure() }), timeoutMs);
      check();
      if (!settled) this.checks.add(check);
    });
  }

  /** Something the waits read has changed: check each of them again. */
  changed(): void {
    for (const check of [...this.checks]) check();
  }
}
