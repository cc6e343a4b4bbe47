/** Shared kernel: decimal money, typed errors, the clock port, seeded randomness, figures for people. */
export * from './decimal';
export * from './errors';
export * from './clock';
export * from './timers';
export * from './random';
export * from './format';
