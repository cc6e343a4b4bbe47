/** State: the event catalogue, the SQLite event store, the ledger (one write path), the projection and its snapshots, runtime settings, the market board and the desk where outside inputs are recorded. */
export * from './events';
export * from './event-store';
export * from './ledger';
export * from './projection';
export * from './projection-dump';
export * from './snapshot-store';
export * from './runtime-settings';
export * from './breaker-board';
export * from './broker-routing';
export * from './market-board';
export * from './reconciliation-board';
export * from './input-desk';
export * from './state-picture';
