/**
 * TCP fault proxy between the broker gateway and a broker simulator: latency with jitter, bandwidth,
 * slicer, black hole (timeout), reset, data limit, slow close, and toxics that keep acting on the
 * connections of a process that died while sparing the new ones.
 */
export { FaultProxy } from './fault-proxy';
export type { FaultProxyOptions, FaultProxyStats } from './fault-proxy';
export type { Toxic, ToxicRequest, ToxicSpec, ToxicStream, ToxicType } from './toxic';
