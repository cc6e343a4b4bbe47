import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock, ErrorKind, TradingError, asTradingError } from '../domain/shared';
import { BrokerHealthTracker, countsAgainstHealth } from '../domain/execution';

test('three failures in a row mark a broker unhealthy, and the third is the one that says so', () => {
  const health = new BrokerHealthTracker({ clock: new VirtualClock() });
  assert.equal(health.record('SIM', false), null);
  assert.equal(health.record('SIM', false), null);
  const change = health.record('SIM', false);
  assert.deepEqual(change && { healthy: change.healthy, reason: change.reason }, { healthy: false, reason: '3 failures in a row' });
  assert.equal(health.isHealthy('SIM'), false);
});

test('an error rate over 20 % of the last calls marks a broker unhealthy even without a run of failures', () => {
  const health = new BrokerHealthTracker({ clock: new VirtualClock() });
  for (const ok of [true, true, false, true, false]) health.record('SIM', ok);
  assert.equal(health.isHealthy('SIM'), false, '2 of 5 calls failed: 40 %');
  health.record('SIM', true);
  assert.equal(health.isHealthy('SIM'), false, 'a success before the cool-down does not bring it back');
  const fresh = new BrokerHealthTracker({ clock: new VirtualClock() });
  for (const ok of [true, true, true, true, false, true, true, true, true, true]) fresh.record('SIM', ok);
  assert.equal(fresh.isHealthy('SIM'), true, '1 of 10 calls failed: 10 %');
});

test('an unhealthy broker may be tried again only after its 120 s cool-down, and one success brings it back', () => {
  const clock = new VirtualClock();
  const health = new BrokerHealthTracker({ clock });
  for (let i = 0; i < 3; i += 1) health.record('SIM', false);
  clock.advance(119_999);
  assert.equal(health.mayProbe('SIM'), false);
  clock.advance(1);
  assert.equal(health.mayProbe('SIM'), true);
  assert.equal(health.record('SIM', true)?.healthy, true);
  assert.deepEqual(health.snapshot('SIM'), { healthy: true, consecutiveFailures: 0, errorRate: 0 });
});

test('a refused order says the broker works; a timeout, an outage, a garbled answer or a refused key say it does not', () => {
  const wrapped = (kind: ErrorKind) => asTradingError(asTradingError(new TradingError(kind, 'gateway', {}, { layer: 'broker gateway' }), 'execution engine'), 'execution coordinator');
  assert.equal(countsAgainstHealth(wrapped('BrokerRejected')), false);
  assert.equal(countsAgainstHealth(wrapped('RateLimited')), false);
  for (const kind of ['BrokerUnavailable', 'Timeout', 'ProtocolError', 'Unauthorized'] as const) assert.equal(countsAgainstHealth(wrapped(kind)), true, kind);
  assert.equal(countsAgainstHealth(new Error('not typed')), false);
});

test('brokers are tracked apart: one failing does not mark the other', () => {
  const health = new BrokerHealthTracker({ clock: new VirtualClock() });
  for (let i = 0; i < 3; i += 1) health.record('SIM', false);
  assert.equal(health.isHealthy('SIM-B'), true);
});

test('a success between failures starts the count of failures in a row again', () => {
  const health = new BrokerHealthTracker({ clock: new VirtualClock() });
  for (let i = 0; i < 20; i += 1) health.record('SIM', true);
  for (const ok of [false, false, true, false, false]) health.record('SIM', ok);
  assert.equal(health.isHealthy('SIM'), true, '4 of 20 calls failed (20 %, not over), never 3 in a row');
  assert.equal(health.snapshot('SIM').consecutiveFailures, 2);
});
