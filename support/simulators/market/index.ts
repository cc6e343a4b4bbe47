/**
 * The market data simulator: seeded price paths (GARCH, calm/stress regimes, jumps), a book model
 * on the tick grid, scripted events on the virtual clock (flash crash, liquidity drain, spread
 * widening, regime change, implied-volatility surge), and MarketSimulator, the venue feed that
 * keeps the broker's book and publishes marks, numbered book deltas, statuses and heartbeats.
 */
export * from './price-path';
export * from './order-book-model';
export * from './market-events';
export * from './market-simulator';
export * from './market-data-faults';
export * from './market-data-fanout';
export * from './market-data-channel-server';
export * from './in-process-market-data';
export type { VenueMarketFeed } from './venue-feed';
