/** The suite's DSL: the scenario's context and memory, and an actor per channel the Gherkin speaks of. */
export * from './scenario-context';
export * from './scenario-memory';
export * from './raised-errors';
export * from './system-session';
export * from './event-log';
export * from './trader';
export * from './risk-officer';
export * from './operator';
export * from './market';
export * from './venue';
export * from './network';
export * from './broker-events';
export * from './user-channel';
export * from './broker-errors';
export * from './credentials';
export * from './routes';
export * from './broker-reconciliation';
