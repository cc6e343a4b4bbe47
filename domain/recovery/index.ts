/** Recovery: synchronising the log with a broker (fill history, inferred fills, orders, positions), orders in flight, the broker connection's events, and degraded mode. */
export * from './fill-inference';
export * from './in-flight-resolver';
export * from './broker-synchroniser';
export * from './gateway-event-recorder';
export * from './degraded-mode-switch';
