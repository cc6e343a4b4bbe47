/** Recovery: bringing the log in line with a broker after a restart, a reconnect or a gap; the broker connection's events; degraded mode. */
export * from './fill-inference';
export * from './gateway-event-recorder';
export * from './degraded-mode-switch';
