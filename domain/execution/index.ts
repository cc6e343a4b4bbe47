/** Execution: the coordinator (the one entry point), the engine, the broker gateway port, order input, post-fill position reconciliation, the balance check, and the broker router with its health and its record. */
export * from './broker-gateway';
export * from './execution-coordinator';
export * from './live-execution-engine';
export * from './order-input';
export * from './broker-error-log';
export * from './broker-health';
export * from './broker-router';
export * from './broker-routing-recorder';
export * from './network-broker-gateway';
export * from './user-channel';
export * from './channel-reconnect';
export * from './wire-protocol';
