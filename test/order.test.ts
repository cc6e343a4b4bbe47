import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, TradingError } from '../domain/shared';
import { canTransition, createOrder, mayStillArrive, transition } from '../domain/model';

const at = '2026-01-05T14:30:00.000Z';
const order = () =>
  createOrder({ clientOrderId: 'CO-1', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal(1), limitPrice: new Decimal(49000), reduceOnly: false }, at);

test('the happy path is legal', () => {
  const o = order();
  for (const s of ['pending_risk', 'submitted', 'acknowledged', 'partially_filled', 'filled'] as const) transition(o, s, at);
  assert.equal(o.status, 'filled');
});

test('an illegal transition is an error and leaves the order as it was', () => {
  const o = order();
  assert.throws(() => transition(o, 'filled', at), (e: unknown) => e instanceof TradingError && e.kind === 'IllegalTransition');
  assert.equal(o.status, 'new');
});

test('terminal states go nowhere', () => {
  for (const from of ['rejected', 'filled', 'cancelled', 'failed', 'expired'] as const) {
    for (const to of ['acknowledged', 'cancelled', 'filled', 'partially_filled'] as const) assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
  }
});

test('a pending cancel remembers where to return if the broker refuses', () => {
  const o = order();
  for (const s of ['pending_risk', 'submitted', 'acknowledged', 'partially_filled', 'pending_cancel'] as const) transition(o, s, at);
  assert.equal(o.statusBeforePending, 'partially_filled');
  assert.equal(canTransition('pending_cancel', 'filled'), true);
});

test('an unacknowledged request may still arrive up to and including the end of the receive window, the edge the broker still accepts', () => {
  const windowMs = 60_000;
  const o = order();
  for (const s of ['pending_risk', 'submitted'] as const) transition(o, s, at);
  o.signedAt = at;
  const signedAtMs = Date.parse(at);
  assert.equal(mayStillArrive(o, new Date(signedAtMs + windowMs), windowMs), true);
  assert.equal(mayStillArrive(o, new Date(signedAtMs + windowMs + 1), windowMs), false);
});

test('an order the broker acknowledged is no longer on its way: it arrived', () => {
  const o = order();
  for (const s of ['pending_risk', 'submitted', 'acknowledged'] as const) transition(o, s, at);
  o.signedAt = at;
  o.brokerOrderId = 'B-1';
  assert.equal(mayStillArrive(o, new Date(Date.parse(at) + 1_000), 60_000), false);
});
