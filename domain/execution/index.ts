/** Execution: the coordinator (the one entry point), the engine, the broker gateway port, order input and post-fill reconciliation. */
export * from './broker-gateway';
export * from './execution-coordinator';
export * from './live-execution-engine';
export * from './order-input';
export * from './position-reconciler';
