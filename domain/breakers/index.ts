/** Circuit breakers: pure measures (liquidation, volatility, correlation, daily loss, position size), the standard breakers, the health check, the failure codes and their meanings, and the monitor that watches, responds and recovers. */
export * from './breaker';
export * from './liquidation';
export * from './volatility';
export * from './correlation';
export * from './daily-loss';
export * from './position-size';
export * from './standard-breakers';
export * from './health-check';
export * from './breaker-failure';
export * from './breaker-action';
export * from './breaker-monitor';
export * from './breaker-monitor-ports';
