/** Reconciliation: the system's books against the broker's, the discrepancy classes and their policies, the manual queue. */
export * from './discrepancy';
export * from './compare-books';
export * from './position-reconciler';
export * from './balance-reconciler';
export * from './reconciliation-service';
export * from './consistency-checks';
export * from './log-rebuild';
