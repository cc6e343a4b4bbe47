/** Recovery: bringing the log in line with a broker after a restart, a reconnect or a gap. */
export * from './fill-inference';
