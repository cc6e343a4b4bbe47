/** TCP fault proxy between the broker gateway and a broker simulator: latency, jitter, bandwidth, black hole, reset. */
export * from './fault-proxy';
