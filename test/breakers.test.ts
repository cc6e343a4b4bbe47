import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Decimal, TradingError } from '../domain/shared';
import {
  BREAKER_FAILURE_MEANINGS,
  HEALTH_FAILURE_MEANINGS,
  averagePairwiseCorrelation,
  correlatedExposure,
  correlationJump,
  dailyLoss,
  dailyLossLimit,
  excessQuantity,
  largestMove,
  levelOf,
  liquidationBuffer,
  liquidationPrice,
  liquidationSlices,
  logReturns,
  minuteCloses,
  parseThresholds,
  PriceHistory,
  positionShares,
  realizedVolatility,
  SlidingWindowMinimum,
  stricterState,
  totalPositionShare,
} from '../domain/breakers';

const d = (v: string | number) => new Decimal(v);

test('liquidation price of an isolated perpetual: long and short, from entry, leverage and maintenance margin', () => {
  assert.equal(liquidationPrice(d(50_000), d(4), d('0.005'), 'long').toString(), '37750');
  assert.equal(liquidationPrice(d(50_000), d(5), d('0.005'), 'long').toString(), '40250');
  assert.equal(liquidationPrice(d(50_000), d(4), d('0.005'), 'short').toString(), '62250');
  assert.equal(liquidationPrice(d(50_000), d(1), d(0), 'long').toString(), '0');
  assert.throws(() => liquidationPrice(d(50_000), d(0), d('0.005'), 'long'), RangeError);
  assert.throws(() => liquidationPrice(d(50_000), d(5), d('-0.1'), 'long'), RangeError);
  assert.throws(() => liquidationPrice(d(NaN), d(5), d('0.005'), 'long'), RangeError);
});

test('liquidation buffer is the distance from mark to liquidation as a share of mark', () => {
  assert.equal(liquidationBuffer(d(44_000), d(37_750), 'long').toFixed(6), '0.142045');
  assert.equal(liquidationBuffer(d(60_000), d(62_250), 'short').toFixed(4), '0.0375');
  assert.ok(liquidationBuffer(d(37_000), d(37_750), 'long').isNegative());
});

test('liquidation is sliced to what each level of the book offers, rounded down to the lot', () => {
  const levels = [
    { price: d(44_000), quantity: d('0.1') },
    { price: d(43_990), quantity: d('0.15') },
    { price: d(43_980), quantity: d(1) },
  ];
  const { slices, unfilled } = liquidationSlices(d('0.3'), levels, d('0.001'));
  assert.deepEqual(slices.map(String), ['0.1', '0.15', '0.05']);
  assert.equal(unfilled.toString(), '0');
  const thin = liquidationSlices(d('0.3'), [{ price: d(44_000), quantity: d('0.0005') }], d('0.001'));
  assert.deepEqual(thin.slices, []);
  assert.equal(thin.unfilled.toString(), '0.3');
});

test('realized volatility of one-minute returns, annualised over 525,600 minutes', () => {
  const prices = Array.from({ length: 11 }, (_, i) => d(i % 2 === 0 ? 50_000 : 50_015));
  const vol = realizedVolatility(logReturns(prices), 20, 10)!;
  assert.equal(vol.times(100).toFixed(2), '22.92');
  assert.equal(realizedVolatility(logReturns(prices.slice(0, 10)), 20, 10), null);
  assert.throws(() => realizedVolatility([], 1, 1), RangeError);
  assert.throws(() => realizedVolatility([], 20, 30), RangeError);
});

test('minute closes keep the last price of each minute', () => {
  const closes = minuteCloses([
    { atMs: 0, price: d(1) },
    { atMs: 30_000, price: d(2) },
    { atMs: 61_000, price: d(3) },
  ]);
  assert.deepEqual(closes.map(c => c.price.toString()), ['2', '3']);
});

test('a move of N % within T seconds counts only prices strictly inside the window', () => {
  const points = [
    { atMs: 0, price: d(50_000) },
    { atMs: 20_000, price: d(48_400) },
    { atMs: 40_000, price: d(47_400) },
  ];
  assert.equal(largestMove(points, 60_000).toString(), '0.052');
  assert.equal(largestMove(points, 40_000).toFixed(4), '0.0207');
  assert.equal(largestMove(points.slice(0, 1), 60_000).toString(), '0');
});

test('the largest move found from the window\'s lowest and highest prices equals the move from every price, taken one by one', () => {
  // The definition, point by point: the largest |latest - p| / p over the prices strictly inside the window.
  const byDefinition = (points: { atMs: number; price: Decimal }[], windowMs: number) => {
    const latest = points[points.length - 1];
    let largest = new Decimal(0);
    for (const p of points.slice(0, -1)) if (p.atMs > latest.atMs - windowMs) largest = Decimal.max(largest, latest.price.minus(p.price).abs().div(p.price));
    return largest;
  };
  fc.assert(
    fc.property(
      fc.array(fc.record({ step: fc.integer({ min: 0, max: 5_000 }), cents: fc.integer({ min: 1, max: 10_000_000 }) }), { minLength: 2, maxLength: 60 }),
      fc.integer({ min: 1, max: 120_000 }),
      (raw, windowMs) => {
        let atMs = 0;
        const points = raw.map(r => ({ atMs: (atMs += r.step), price: new Decimal(r.cents).div(100) }));
        assert.equal(largestMove(points, windowMs).toString(), byDefinition(points, windowMs).toString());
      },
    ),
    { seed: 20261203, numRuns: 500 },
  );
});

test('a price history kept as prices come holds what the definition gives from its prices: their minute closes, and the log returns between those', () => {
  fc.assert(
    fc.property(
      // Mostly forward in time, sometimes a price stamped before the newest (a late mark goes in its place).
      fc.array(fc.record({ step: fc.integer({ min: -90_000, max: 70_000 }), cents: fc.integer({ min: 1, max: 10_000_000 }) }), { minLength: 1, maxLength: 80 }),
      fc.integer({ min: 60_000, max: 600_000 }),
      (raw, keepMs) => {
        const history = new PriceHistory();
        let clock = 1_000_000;
        for (const r of raw) {
          clock += r.step;
          history.add({ atMs: clock, price: new Decimal(r.cents).div(100) }, keepMs);
          const points = history.points();
          for (let i = 1; i < points.length; i += 1) assert.ok(points[i - 1].atMs <= points[i].atMs, 'prices stay oldest first');
          assert.ok(points[0].atMs >= points[points.length - 1].atMs - keepMs, 'nothing older than the window is kept');
          const closes = minuteCloses(points);
          assert.deepEqual(history.closes().map(p => `${p.atMs}:${p.price}`), closes.map(p => `${p.atMs}:${p.price}`));
          assert.deepEqual(history.returns().map(String), logReturns(closes.map(p => p.price)).map(String));
        }
      },
    ),
    { seed: 20261204, numRuns: 300 },
  );
});

test('correlation-weighted exposure sqrt(w\'Cw) and the average pairwise correlation', () => {
  const corr = (a: string, b: string) => (a === b ? d(1) : d('0.9'));
  assert.equal(correlatedExposure(new Map([['BTC', d(75_000)], ['ETH', d(90_000)]]), corr).toFixed(2), '160857.08');
  const table: Record<string, string> = { 'A/B': '0.2', 'A/C': '0.5', 'B/C': '0.8' };
  const pair = (a: string, b: string) => d(table[[a, b].sort().join('/')]);
  assert.equal(averagePairwiseCorrelation(['C', 'A', 'B'], pair)!.toString(), '0.5');
  assert.equal(averagePairwiseCorrelation(['A'], pair), null);
  assert.equal(correlationJump(d('0.6'), [d('0.2'), d('0.5')]).toString(), '0.4');
  assert.equal(correlationJump(d('0.1'), [d('0.2')]).toString(), '0');
});

test('daily loss is realized plus unrealized since the start of the day, against the lower of the share and the money cap', () => {
  assert.equal(dailyLoss(d(100_000), d(94_750)).toString(), '5250');
  assert.equal(dailyLoss(d(100_000), d(101_000)).toString(), '0');
  assert.equal(dailyLossLimit(d(100_000), d('0.05'), null).toString(), '5000');
  assert.equal(dailyLossLimit(d(100_000), d('0.05'), d(3_000)).toString(), '3000');
  assert.throws(() => dailyLossLimit(d(100_000), d('-0.05'), null), RangeError);
});

test('position size per symbol and in total, and the excess over a target share', () => {
  const notionals = new Map([['BTC', d(-78_000)], ['ETH', d(30_000)]]);
  assert.equal(positionShares(notionals, d('96962.5')).get('BTC')!.times(100).toFixed(2), '80.44');
  assert.equal(totalPositionShare(notionals, d(100_000)).toString(), '1.08');
  assert.equal(positionShares(notionals, d(0)).get('BTC')!.toString(), 'Infinity');
  assert.equal(excessQuantity(d('-1.5'), d(52_000), d('96962.5'), d('0.6'), d('0.001')).toString(), '0.382');
});

test('levels: reached at exactly the level, in the breaker\'s direction; the stricter state wins', () => {
  assert.equal(levelOf({ observed: d(5_000), warning: d(4_000), critical: d(5_000) }, 'above'), 'critical');
  assert.equal(levelOf({ observed: d('0.1793'), warning: d('0.2'), critical: d('0.15') }, 'below'), 'warning');
  assert.equal(levelOf({ observed: d('0.3'), warning: d('0.2'), critical: d('0.15') }, 'below'), 'normal');
  assert.equal(stricterState('REDUCE_ONLY', 'HALTED'), 'HALTED');
  assert.equal(stricterState('HALTED', 'REDUCE_ONLY'), 'HALTED');
  assert.equal(stricterState('ACTIVE', 'REDUCE_ONLY'), 'REDUCE_ONLY');
});

test('bad thresholds are refused with a clear error: not a number, negative, out of order, bad name', () => {
  const refused = (fn: () => unknown, text: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof TradingError && e.kind === 'InvalidBreaker' && text.test(e.message));
  refused(() => parseThresholds('eth floor', '2800', 'NaN', 'below'), /not a decimal number/);
  refused(() => parseThresholds('eth floor', '2800', '-5', 'below'), /must not be negative/);
  refused(() => parseThresholds('eth floor', '2400', '2500', 'below'), /must come before the critical level/);
  refused(() => parseThresholds('ETH!', '1', '2', 'above'), /name/);
  assert.deepEqual(
    Object.values(parseThresholds('eth floor', '2800', '2500', 'below')).map(String),
    ['2800', '2500'],
  );
});

test('a breaker level is read exactly as written: "2,8" is not 28, and padding or exponents are refused', () => {
  for (const text of ['2,800', '2,8', ' 2800', '2800 ', '2.8e3', '+2800', '02800']) {
    assert.throws(
      () => parseThresholds('eth floor', text, '2500', 'below'),
      (e: unknown) => e instanceof TradingError && e.kind === 'InvalidBreaker' && e.message.includes('warning') && e.message.includes(JSON.stringify(text)),
      JSON.stringify(text),
    );
  }
});

test('the correlation lookback keeps only what can still be its lowest: a day of samples stays small and the minimum is exact', () => {
  const window = new SlidingWindowMinimum();
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const all: { atMs: number; value: Decimal }[] = [];
  const lookbackMs = 60 * 60_000;
  for (let i = 0; i < 200_000; i += 1) {
    const atMs = i * 250;
    const value = new Decimal(next().toFixed(6));
    window.push(atMs, value);
    all.push({ atMs, value });
    window.evictBefore(atMs - lookbackMs);
    if (i % 20_000 === 19_999) {
      const inWindow = all.filter(s => s.atMs >= atMs - lookbackMs).map(s => s.value);
      assert.equal(correlationJump(new Decimal(1), window.candidates()).toString(), correlationJump(new Decimal(1), inWindow).toString());
    }
  }
  assert.ok(window.size < 100, `${window.size} samples kept of 14,400 in the lookback`);
  window.push(200_000 * 250, new Decimal('0.000001'));
  assert.deepEqual(window.candidates().map(String), ['0.000001']);
});

test('a correlation that holds steady keeps one sample in the lookback, not one per tick', () => {
  const window = new SlidingWindowMinimum();
  const lookbackMs = 60 * 60_000;
  for (let i = 0; i < 14_400; i += 1) {
    window.push(i * 250, new Decimal('0.42'));
    window.evictBefore(i * 250 - lookbackMs);
  }
  assert.equal(window.size, 1);
  assert.deepEqual(window.candidates().map(String), ['0.42']);
});

test('every breaker and health check failure has a one-line meaning for the report glossary', () => {
  const glossary = { ...BREAKER_FAILURE_MEANINGS, ...HEALTH_FAILURE_MEANINGS };
  assert.equal(Object.keys(glossary).length, Object.keys(BREAKER_FAILURE_MEANINGS).length + Object.keys(HEALTH_FAILURE_MEANINGS).length, 'no code is in both');
  for (const [code, meaning] of Object.entries(glossary)) {
    assert.match(code, /^[A-Z]+(_[A-Z]+)+$/);
    assert.match(meaning, /^[A-Z][^\n]{20,160}\.$/, `${code}: ${meaning}`);
  }
});
