/**
 * A benchmark figure as reports/bench.json keeps it and the front page reads it: a latency
 * distribution in microseconds (p50, p99, p99.9), or a single value (a rate, a duration measured
 * once) with the percentiles null. Every text line the bench prints is made from one of these.
 */
import type { RecordableHistogram } from 'node:perf_hooks';

export interface BenchFigure {
  readonly name: string;
  /** "us" for latencies and durations; "records/s", "updates/s" for rates (higher is better). */
  readonly unit: string;
  /** Samples behind the figure (for a single value: what it counted, e.g. records compared). */
  readonly n: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max?: number;
  /** A figure measured once (a rate, one recovery): its value, in `unit`. */
  readonly value?: number;
  /** The floor the figure stands on (the bare WebSocket echo's p99 for the wire figures), and p99 / floor. */
  readonly floor?: number;
  readonly ratio?: number;
  /** The plan's target: an upper bound for a latency, a lower bound for a rate. */
  readonly target?: number;
}

/** What a benchmark measured: its figures, and the lines printed from them. */
export interface BenchSection {
  readonly figures: BenchFigure[];
  readonly lines: string[];
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** A latency figure from a histogram of nanoseconds. */
export function latencyFigure(name: string, h: RecordableHistogram, extra: { target?: number } = {}): BenchFigure {
  return {
    name,
    unit: 'us',
    n: h.count,
    p50: round1(h.percentile(50) / 1000),
    p99: round1(h.percentile(99) / 1000),
    p999: round1(h.percentile(99.9) / 1000),
    max: round1(h.max / 1000),
    ...extra,
  };
}

/** A figure measured once. */
export function valueFigure(name: string, unit: string, n: number, value: number, extra: { target?: number } = {}): BenchFigure {
  return { name, unit, n, p50: null, p99: null, p999: null, value: round1(value), ...extra };
}

/** The wire figures against their floor: the floor's p99, and each figure's p99 as a multiple of it. */
export function onFloor(figure: BenchFigure, floor: BenchFigure): BenchFigure {
  if (figure.p99 === null || floor.p99 === null || floor.p99 <= 0) return figure;
  return { ...figure, floor: floor.p99, ratio: Math.round((figure.p99 / floor.p99) * 100) / 100 };
}

/** Whether a rate (unit "…/s"): a higher figure is the better one. */
export function isRate(figure: Pick<BenchFigure, 'unit'>): boolean {
  return figure.unit.endsWith('/s');
}

/** The line the bench prints for a latency figure, in the column layout it has always had. */
export function latencyLine(figure: BenchFigure, width = 34): string {
  const us = (value: number | null | undefined) => (value ?? NaN).toFixed(1).padStart(9);
  const floor = figure.ratio !== undefined ? `  (${figure.ratio.toFixed(2)}x the floor)` : '';
  return `${figure.name.padEnd(width)} n=${String(figure.n).padStart(6)}  p50 ${us(figure.p50)} us  p99 ${us(figure.p99)} us  p99.9 ${us(figure.p999)} us  max ${us(figure.max)} us${floor}`;
}
