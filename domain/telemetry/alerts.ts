/** An alert for a person on call: which breaker, how bad, what was seen against which limit, and when. */
export interface Alert {
  readonly breaker: string;
  readonly level: 'warning' | 'critical';
  /** As a person reads them: "5,250.00 USD", "14.20 %". */
  readonly observed: string;
  readonly limit: string;
  /** Business time (the system's clock), ISO 8601. */
  readonly at: string;
  readonly message: string;
}

// Every alert is in the event log and reaches every listener; memory keeps only the latest of a long-running process.
export const MAX_KEPT_ALERTS = 1_000;

/** The latest alerts raised, in order, and whoever listens for them (a pager, a chat channel, the report). */
export class AlertLog {
  private readonly raised: Alert[] = [];
  private readonly listeners = new Set<(alert: Alert) => void>();
  private raisedCount = 0;

  /** Alerts raised since start, the ones no longer kept included. */
  get count(): number {
    return this.raisedCount;
  }

  raise(alert: Alert): void {
    this.raised.push(alert);
    this.raisedCount += 1;
    if (this.raised.length > MAX_KEPT_ALERTS) this.raised.splice(0, this.raised.length - MAX_KEPT_ALERTS);
    for (const listener of this.listeners) {
      try {
        listener(alert);
      } catch {
        // A failing pager must not stop the alert from being recorded or the next listener from hearing it.
      }
    }
  }

  all(): readonly Alert[] {
    return [...this.raised];
  }

  subscribe(listener: (alert: Alert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
