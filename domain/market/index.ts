/** Market: the venue's public data (the port and its wire form), calendars and sessions, halts, liquidity and impact, the volatility regime, and the market state the risk checks read. */
export * from './market-data';
export * from './market-view';
export * from './venue-calendar';
export * from './market-wide-breaker';
export * from './limit-up-limit-down';
export * from './market-impact';
export * from './volatility-regime';
export * from './local-order-book';
export * from './market-data-protocol';
export * from './market-data-listeners';
export * from './market-data-channel';
export * from './session-watch';
export * from './market-state';
