/** Market: the venue's public data (the port and its wire form), calendars and sessions, halts, liquidity and impact, the volatility regime, and the market state the risk checks read. */
export * from './market-data';
export * from './market-view';
