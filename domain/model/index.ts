/** The trading model: instruments, the order state machine, fills, positions and the account. */
export * from './instrument';
export * from './order';
export * from './fill';
export * from './position';
export * from './account';
