/**
 * Waits for conditions over state that changes by events: each wait is checked again whenever its
 * owner says something changed (no polling), and fails after a timeout saying what it waited for.
 */
export class ConditionWaiters {
  private readonly checks = new Set<() => void>();

  until(holds: () => boolean, timeoutMs: number, failure: () => Error): Promise<void> {
    if (holds()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(failure());
      }, timeoutMs);
      const check = () => {
        if (!holds()) return;
        clearTimeout(timer);
        this.checks.delete(check);
        resolve();
      };
      this.checks.add(check);
    });
  }

  /** Something the waits read has changed: check each of them again. */
  changed(): void {
    for (const check of [...this.checks]) check();
  }
}
