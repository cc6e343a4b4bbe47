import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TradingError } from '../domain/shared';
import {
  MarketEvent,
  eventDurationMs,
  eventEffect,
  eventMilestonesMs,
  flashCrash,
  flashCrashLow,
  impliedVolatilitySurge,
  liquidityDrain,
  regimeChange,
  spreadWidening,
} from '../support/simulators/market';

const MINUTE = 60_000;
const crash = flashCrash({ symbol: 'SPY' });
const fallAt = (ms: number): number => 1 - eventEffect(crash, ms).priceFactor;
const refused = (make: () => unknown): void => assert.throws(make, (e: unknown) => e instanceof TradingError && e.kind === 'InvalidInput');

test('flash crash, 6 May 2010: the low is 9 % down 15 minutes after the start (14:32 to 14:47)', () => {
  const low = flashCrashLow(crash);
  assert.equal(low.atMs, 15 * MINUTE);
  assert.equal(low.priceFactor.toFixed(4), '0.9100');
  assert.equal(fallAt(low.atMs).toFixed(4), '0.0900');
  // Nowhere lower than the low.
  for (let ms = 0; ms <= eventDurationMs(crash)!; ms += 1000) assert.ok(fallAt(ms) <= 0.09 + 1e-12, `at ${ms} ms`);
});

test('flash crash: a slower 3 % first leg, then most of the fall within the last 5 minutes', () => {
  assert.equal(fallAt(0), 0);
  assert.equal(fallAt(10 * MINUTE).toFixed(4), '0.0300');
  assert.ok(fallAt(5 * MINUTE) < 0.02);
  const lastFive = fallAt(15 * MINUTE) - fallAt(10 * MINUTE);
  assert.ok(lastFive / 0.09 > 0.6, `the last five minutes took ${lastFive}`);
  // The fall accelerates into the low.
  assert.ok(fallAt(15 * MINUTE) - fallAt(14 * MINUTE) > fallAt(11 * MINUTE) - fallAt(10 * MINUTE));
});

test('flash crash: market makers withdraw, depth at 1 % of normal and the spread ten times wider at the low', () => {
  const start = eventEffect(crash, 0);
  const low = eventEffect(crash, 15 * MINUTE);
  assert.equal(start.liquidityFactor, 1);
  assert.equal(start.spreadFactor, 1);
  assert.equal(low.liquidityFactor.toFixed(4), '0.0100');
  assert.equal(low.spreadFactor.toFixed(4), '10.0000');
  assert.ok(eventEffect(crash, 12 * MINUTE).liquidityFactor < eventEffect(crash, 10 * MINUTE).liquidityFactor);
});

test('flash crash: paused for 5 s at the low, then open again', () => {
  assert.equal(eventEffect(crash, 15 * MINUTE - 1).paused, false);
  assert.equal(eventEffect(crash, 15 * MINUTE).paused, true);
  assert.equal(eventEffect(crash, 15 * MINUTE + 4_999).paused, true);
  assert.equal(eventEffect(crash, 15 * MINUTE + 5_000).paused, false);
  assert.equal(eventEffect(crash, 15 * MINUTE + 4_999).priceFactor.toFixed(4), '0.9100');
});

test('flash crash: 75 % of the fall back 20 minutes after the low (by 15:07), liquidity normal again, then the event is over', () => {
  const recovered = (ms: number): number => 1 - fallAt(ms) / 0.09;
  assert.equal(recovered(35 * MINUTE).toFixed(4), '0.7500');
  assert.ok(recovered(25 * MINUTE) > 0.4 && recovered(25 * MINUTE) < 0.75);
  assert.equal(eventEffect(crash, 35 * MINUTE).liquidityFactor, 1);
  assert.equal(eventEffect(crash, 35 * MINUTE).spreadFactor, 1);
  assert.equal(eventDurationMs(crash), 35 * MINUTE);
});

test('flash crash figures are parameters: a 20 % fall with 80 % recovered', () => {
  const deep = flashCrash({ symbol: 'SPY', fall: 0.2, recoveredShare: 0.8 });
  assert.equal((1 - eventEffect(deep, 15 * MINUTE).priceFactor).toFixed(4), '0.2000');
  assert.equal((1 - eventEffect(deep, 35 * MINUTE).priceFactor).toFixed(4), '0.0400');
});

test('liquidity drain: depth falls to its share over the duration and stays there until lifted', () => {
  const drain = liquidityDrain({ symbol: 'AAPL', toShare: 0.2, overMs: 10 * MINUTE });
  assert.equal(eventEffect(drain, 0).liquidityFactor, 1);
  assert.equal(eventEffect(drain, 5 * MINUTE).liquidityFactor.toFixed(4), '0.6000');
  assert.equal(eventEffect(drain, 10 * MINUTE).liquidityFactor.toFixed(4), '0.2000');
  assert.equal(eventEffect(drain, 600 * MINUTE).liquidityFactor.toFixed(4), '0.2000');
  assert.equal(eventDurationMs(drain), null);
  assert.equal(eventDurationMs(liquidityDrain({ symbol: 'AAPL', toShare: 0.2, overMs: 1000, holdMs: 4000 })), 5000);
});

test('spread widening: the spread multiplies up to its factor over the duration', () => {
  const widening = spreadWidening({ symbol: 'AAPL', factor: 5, overMs: 60_000 });
  assert.equal(eventEffect(widening, 30_000).spreadFactor, 3);
  assert.equal(eventEffect(widening, 60_000).spreadFactor, 5);
  assert.equal(eventEffect(widening, 60_000).liquidityFactor, 1);
});

test('regime change: in force at once, an instant long', () => {
  const change = regimeChange({ symbol: 'BTC-PERP', to: 'stress' });
  assert.equal(eventEffect(change, 0).regime, 'stress');
  assert.equal(eventDurationMs(change), 0);
});

test('implied volatility surge: the index moves from 18 % to 45 % over the duration', () => {
  const surge = impliedVolatilitySurge({ underlying: 'VIX', from: 0.18, to: 0.45, overMs: 30 * MINUTE });
  assert.equal(eventEffect(surge, 0).impliedVolatility, 0.18);
  assert.equal(eventEffect(surge, 15 * MINUTE).impliedVolatility!.toFixed(4), '0.3150');
  assert.equal(eventEffect(surge, 30 * MINUTE).impliedVolatility!.toFixed(4), '0.4500');
  assert.equal(eventDurationMs(surge), 30 * MINUTE);
});

test('an event does nothing before it starts', () => {
  const events: MarketEvent[] = [crash, liquidityDrain({ symbol: 'AAPL', toShare: 0.1, overMs: 1 }), regimeChange({ symbol: 'AAPL', to: 'calm' })];
  for (const event of events) assert.deepEqual(eventEffect(event, -1), { priceFactor: 1, liquidityFactor: 1, spreadFactor: 1, paused: false, regime: null, impliedVolatility: null });
});

test('figures that make no sense are refused, naming the figure', () => {
  refused(() => flashCrash({ symbol: 'SPY', fall: 1.2 }));
  refused(() => flashCrash({ symbol: 'SPY', fall: 0.05, firstLegFall: 0.06 }));
  refused(() => flashCrash({ symbol: 'SPY', lowLiquidity: 0 }));
  refused(() => flashCrash({ symbol: '' }));
  refused(() => liquidityDrain({ symbol: 'AAPL', toShare: 0, overMs: 1000 }));
  refused(() => spreadWidening({ symbol: 'AAPL', factor: 2, overMs: -1 }));
  refused(() => regimeChange({ symbol: 'AAPL', to: 'panic' as 'stress' }));
  refused(() => impliedVolatilitySurge({ underlying: 'VIX', from: 0.2, to: Number.NaN, overMs: 1 }));
});

test('the milestones a step must land on: the start, a flash crash\'s low and the end of its pause, the end', () => {
  assert.deepEqual(eventMilestonesMs(crash), [0, 15 * MINUTE, 15 * MINUTE + 5_000, 35 * MINUTE]);
  assert.deepEqual(eventMilestonesMs(liquidityDrain({ symbol: 'AAPL', toShare: 0.5, overMs: 1000 })), [0]);
  assert.deepEqual(eventMilestonesMs(regimeChange({ symbol: 'AAPL', to: 'stress' })), [0]);
});
