/** Telemetry: counters, per-stage latency histograms and structured logs. */
export * from './telemetry';
export * from './logger';
export * from './event-log-levels';
export * from './alerts';
