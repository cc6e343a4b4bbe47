/**
 * The market data simulator: seeded price paths (GARCH, regimes, jumps), a book model on the tick
 * grid, scripted events (flash crash, liquidity drain, spread widening, regime change, IV surge),
 * and the venue feed that publishes marks, numbered book deltas and statuses and keeps the broker's book.
 */
export * from './price-path';
export type { VenueMarketFeed } from './venue-feed';
export * from './order-book-model';
export * from './market-events';
