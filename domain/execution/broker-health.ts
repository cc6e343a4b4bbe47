import { Clock, ErrorKind, TradingError } from '../shared';

/** REFERENCE.md: over 20 % errors (of the last 20 calls) or 3 failures in a row mark a broker unhealthy for 120 s. */
export interface BrokerHealthPolicy {
  readonly window: number;
  readonly minSamples: number;
  readonly maxErrorRate: number;
  readonly maxConsecutiveFailures: number;
  readonly coolDownMs: number;
}

export const DEFAULT_HEALTH_POLICY: BrokerHealthPolicy = { window: 20, minSamples: 5, maxErrorRate: 0.2, maxConsecutiveFailures: 3, coolDownMs: 120_000 };

/** Failures that say the broker cannot be used; a refused order (BrokerRejected) says the broker works. */
const HEALTH_FAILURES: ReadonlySet<ErrorKind> = new Set(['BrokerUnavailable', 'Timeout', 'ProtocolError', 'Unauthorized']);

export function countsAgainstHealth(error: unknown): boolean {
  return error instanceof TradingError && HEALTH_FAILURES.has(rootKind(error));
}

function rootKind(error: TradingError): ErrorKind {
  let current: TradingError = error;
  while (current.cause instanceof TradingError) current = current.cause;
  return current.kind;
}

interface BrokerRecord {
  outcomes: boolean[];
  consecutiveFailures: number;
  healthy: boolean;
  unhealthySince: number | null;
}

export interface HealthChange {
  readonly broker: string;
  readonly healthy: boolean;
  readonly reason: string;
  readonly consecutiveFailures: number;
  readonly errorRate: number;
}

export interface BrokerHealthTrackerPorts {
  readonly clock: Clock;
  readonly policy?: BrokerHealthPolicy;
}

/**
 * Tracks each broker's recent calls and says when one turns unhealthy or may be tried again. The
 * recent outcomes of a healthy broker are not kept across a restart: the new process judges it on
 * its own calls, which delays marking it unhealthy by at most the few calls the thresholds need.
 */
export class BrokerHealthTracker {
  private readonly records = new Map<string, BrokerRecord>();

  private readonly clock: Clock;
  private readonly policy: BrokerHealthPolicy;

  constructor(ports: BrokerHealthTrackerPorts) {
    this.clock = ports.clock;
    this.policy = ports.policy ?? DEFAULT_HEALTH_POLICY;
  }

  /** Record one call; returns the change of health it caused, if any. */
  record(broker: string, succeeded: boolean): HealthChange | null {
    const record = this.get(broker);
    record.outcomes.push(succeeded);
    if (record.outcomes.length > this.policy.window) record.outcomes.shift();
    record.consecutiveFailures = succeeded ? 0 : record.consecutiveFailures + 1;
    const errorRate = this.errorRate(record);
    if (record.healthy && !succeeded) {
      const tooMany = record.consecutiveFailures >= this.policy.maxConsecutiveFailures;
      const tooOften = record.outcomes.length >= this.policy.minSamples && errorRate > this.policy.maxErrorRate;
      if (tooMany || tooOften) {
        record.healthy = false;
        record.unhealthySince = this.clock.now().getTime();
        const reason = tooMany ? `${record.consecutiveFailures} failures in a row` : `error rate ${(errorRate * 100).toFixed(0)} % over the last ${record.outcomes.length} calls`;
        return { broker, healthy: false, reason, consecutiveFailures: record.consecutiveFailures, errorRate };
      }
    }
    // Back only after the cool-down: a success in between is luck, not health (no flapping).
    if (!record.healthy && succeeded && this.mayProbe(broker)) {
      record.healthy = true;
      record.unhealthySince = null;
      record.outcomes = [true];
      return { broker, healthy: true, reason: 'a call succeeded after the cool-down', consecutiveFailures: 0, errorRate: 0 };
    }
    return null;
  }

  /** A broker the log says was marked unhealthy at this time: its cool-down runs on from then after a restart. */
  restoreUnhealthy(broker: string, sinceMs: number): void {
    const record = this.get(broker);
    record.healthy = false;
    record.unhealthySince = sinceMs;
  }

  isHealthy(broker: string): boolean {
    return this.get(broker).healthy;
  }

  /** An unhealthy broker may be tried again (half-open) once its cool-down has passed. */
  mayProbe(broker: string): boolean {
    const record = this.get(broker);
    return record.healthy || (record.unhealthySince !== null && this.clock.now().getTime() - record.unhealthySince >= this.policy.coolDownMs);
  }

  snapshot(broker: string): { healthy: boolean; consecutiveFailures: number; errorRate: number } {
    const record = this.get(broker);
    return { healthy: record.healthy, consecutiveFailures: record.consecutiveFailures, errorRate: this.errorRate(record) };
  }

  private errorRate(record: BrokerRecord): number {
    if (record.outcomes.length === 0) return 0;
    return record.outcomes.filter(ok => !ok).length / record.outcomes.length;
  }

  private get(broker: string): BrokerRecord {
    let record = this.records.get(broker);
    if (!record) {
      record = { outcomes: [], consecutiveFailures: 0, healthy: true, unhealthySince: null };
      this.records.set(broker, record);
    }
    return record;
  }
}
