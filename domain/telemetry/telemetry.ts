import { createHistogram, performance, RecordableHistogram } from 'node:perf_hooks';
import { Alert, AlertLog } from './alerts';

/** The stages an order passes through, each with its own latency histogram. */
export type LatencyStage = 'risk' | 'submit' | 'ack' | 'fill';
export const LATENCY_STAGES: readonly LatencyStage[] = ['risk', 'submit', 'ack', 'fill'];

export interface LatencySummary {
  readonly stage: LatencyStage;
  readonly count: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  readonly p999Micros: number;
  readonly maxMicros: number;
}

/**
 * Counters and per-stage latency histograms (HDR histograms from perf_hooks, in nanoseconds).
 * Latency is wall time on purpose: it measures the code, while the virtual clock drives business time.
 */
export class Telemetry {
  private readonly counters = new Map<string, number>();
  private readonly histograms = new Map<LatencyStage, RecordableHistogram>();
  readonly alerts = new AlertLog();

  constructor() {
    for (const stage of LATENCY_STAGES) this.histograms.set(stage, createHistogram());
  }

  increment(counter: string, by = 1): void {
    this.counters.set(counter, (this.counters.get(counter) ?? 0) + by);
  }

  /** Raise an alert and count it: alerts.<level> and alerts.<breaker>.<level>. */
  alert(alert: Alert): void {
    this.alerts.raise(alert);
    this.increment(`alerts.${alert.level}`);
    this.increment(`alerts.${alert.breaker}.${alert.level}`);
  }

  count(counter: string): number {
    return this.counters.get(counter) ?? 0;
  }

  counterSnapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** A start mark for a latency measurement. */
  startTimer(): number {
    return performance.now();
  }

  recordSince(stage: LatencyStage, startedAt: number): void {
    const nanos = Math.max(1, Math.round((performance.now() - startedAt) * 1e6));
    this.histograms.get(stage)?.record(nanos);
  }

  latency(stage: LatencyStage): LatencySummary {
    const h = this.histograms.get(stage);
    if (!h || h.count === 0) return { stage, count: 0, p50Micros: 0, p99Micros: 0, p999Micros: 0, maxMicros: 0 };
    return {
      stage,
      count: h.count,
      p50Micros: h.percentile(50) / 1000,
      p99Micros: h.percentile(99) / 1000,
      p999Micros: h.percentile(99.9) / 1000,
      maxMicros: h.max / 1000,
    };
  }
}
