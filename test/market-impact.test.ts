import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import { classifyRegime, expectedSlippage, PriceLevel, squareRootImpact } from '../domain/market';

const d = (text: string): Decimal => new Decimal(text);
const level = (price: string, quantity: string): PriceLevel => ({ price: d(price), quantity: d(quantity) });

function errorKind(kind: string) {
  return (error: Error & { kind?: string }) => error.kind === kind;
}

test('square-root impact: Y 1, daily sigma 2 %, Q/V 1 % moves the price 20 bp; Q/V 4 % moves it 40 bp', () => {
  assert.equal(squareRootImpact({ coefficient: d('1'), dailyVolatility: d('0.02'), quantity: d('100'), dailyVolume: d('10000') }).toString(), '0.002');
  assert.equal(squareRootImpact({ coefficient: d('1'), dailyVolatility: d('0.02'), quantity: d('400'), dailyVolume: d('10000') }).toString(), '0.004');
  // Y 0.5 halves it; no quantity, no impact.
  assert.equal(squareRootImpact({ coefficient: d('0.5'), dailyVolatility: d('0.02'), quantity: d('100'), dailyVolume: d('10000') }).toString(), '0.001');
  assert.equal(squareRootImpact({ coefficient: d('1'), dailyVolatility: d('0.02'), quantity: d('0'), dailyVolume: d('10000') }).toString(), '0');
});

test('square-root impact refuses a negative quantity and a daily volume of zero', () => {
  const base = { coefficient: d('1'), dailyVolatility: d('0.02'), quantity: d('100'), dailyVolume: d('10000') };
  assert.throws(() => squareRootImpact({ ...base, quantity: d('-1') }), errorKind('InvalidInput'));
  assert.throws(() => squareRootImpact({ ...base, dailyVolume: d('0') }), errorKind('InvalidInput'));
  assert.throws(() => squareRootImpact({ ...base, dailyVolatility: d('Infinity') }), errorKind('InvalidInput'));
});

// Levels out of order on purpose, and an empty level at 100.03 that is no quote.
// Best bid 99.99, best ask 100.01: mid 100, spread 0.02 = 2 bps. Each side holds 1,000.
const BIDS = [level('99.98', '300'), level('99.99', '200'), level('99.97', '500')];
const ASKS = [level('100.02', '400'), level('100.03', '0'), level('100.01', '100'), level('100.05', '500')];

function slippage(side: 'buy' | 'sell', quantity: string, overrides: Partial<Parameters<typeof expectedSlippage>[0]> = {}) {
  const result = expectedSlippage({ side, quantity: d(quantity), bids: BIDS, asks: ASKS, coefficient: d('1'), dailyVolatility: d('0.02'), dailyVolume: d('25000'), ...overrides });
  const text = (value: Decimal | null): string | null => (value === null ? null : value.toString());
  return {
    bestBid: text(result.bestBid),
    bestAsk: text(result.bestAsk),
    spreadBps: text(result.spreadBps),
    visibleDepth: text(result.visibleDepth),
    depthShare: text(result.depthShare),
    impactBps: text(result.impactBps),
    expectedBps: text(result.expectedBps),
  };
}

test('expected slippage of a buy of 250: half the 2 bp spread plus 20 bp of impact (Q/V 1 %), a quarter of the asks', () => {
  assert.deepEqual(slippage('buy', '250'), { bestBid: '99.99', bestAsk: '100.01', spreadBps: '2', visibleDepth: '1000', depthShare: '0.25', impactBps: '20', expectedBps: '21' });
});

test('expected slippage of a sell of 1,000: it takes the bids, all of them, with 40 bp of impact (Q/V 4 %)', () => {
  assert.deepEqual(slippage('sell', '1000'), { bestBid: '99.99', bestAsk: '100.01', spreadBps: '2', visibleDepth: '1000', depthShare: '1', impactBps: '40', expectedBps: '41' });
  // A thinner book: a sell of 300 against the 300 at 99.98 alone.
  assert.deepEqual(slippage('sell', '300', { bids: [level('99.98', '300')], dailyVolume: d('30000') }), {
    bestBid: '99.98', bestAsk: '100.01', spreadBps: '3.000150007500375018750937546877343867193', visibleDepth: '300', depthShare: '1', impactBps: '20', expectedBps: '21.5000750037501875093754687734386719336',
  });
});

test('without volatility or volume the impact is unknown and so is the expectation; the spread still shows', () => {
  assert.deepEqual(slippage('buy', '250', { dailyVolatility: null }), { bestBid: '99.99', bestAsk: '100.01', spreadBps: '2', visibleDepth: '1000', depthShare: '0.25', impactBps: null, expectedBps: null });
  assert.equal(slippage('buy', '250', { dailyVolume: null }).expectedBps, null);
});

test('an empty side: no spread, no depth, a depth share of Infinity and no expectation', () => {
  assert.deepEqual(slippage('buy', '250', { asks: [] }), { bestBid: '99.99', bestAsk: null, spreadBps: null, visibleDepth: '0', depthShare: 'Infinity', impactBps: '20', expectedBps: null });
  assert.equal(slippage('sell', '250', { asks: [] }).depthShare, '0.25');
});

test('expected slippage refuses a bad side, a negative quantity and a level that is not a price', () => {
  assert.throws(() => slippage('hold' as 'buy', '1'), errorKind('InvalidInput'));
  assert.throws(() => slippage('buy', '-1'), errorKind('InvalidInput'));
  assert.throws(() => slippage('buy', '1', { bids: [level('0', '10')] }), errorKind('InvalidInput'));
  assert.throws(() => slippage('buy', '1', { asks: [level('100', '-5')] }), errorKind('InvalidInput'));
});

const THRESHOLDS = { elevated: d('0.3'), stress: d('0.5') };

function regime(realized: string | null, implied: string | null) {
  return classifyRegime({ realized: realized === null ? null : d(realized), implied: implied === null ? null : d(implied) }, THRESHOLDS);
}

test('volatility regime: the higher of realized and implied against 30 % elevated and 50 % stress, and which one set it', () => {
  assert.deepEqual(regime(null, null), { regime: 'calm', driver: null });
  assert.deepEqual(regime('0.2', '0.2999'), { regime: 'calm', driver: null });
  assert.deepEqual(regime('0.3', null), { regime: 'elevated', driver: 'realized' });
  assert.deepEqual(regime('0.2', '0.3'), { regime: 'elevated', driver: 'implied' });
  assert.deepEqual(regime(null, '0.55'), { regime: 'stress', driver: 'implied' });
  assert.deepEqual(regime('0.45', '0.5'), { regime: 'stress', driver: 'implied' });
  assert.deepEqual(regime('0.6', '0.5'), { regime: 'stress', driver: 'realized' });
  assert.deepEqual(regime('0.4999', '0.1'), { regime: 'elevated', driver: 'realized' });
  // A tie goes to realized: what the market did, not what options price.
  assert.deepEqual(regime('0.4', '0.4'), { regime: 'elevated', driver: 'realized' });
});

test('volatility regime refuses thresholds out of order and a negative volatility', () => {
  assert.throws(() => classifyRegime({ realized: d('0.2'), implied: null }, { elevated: d('0.5'), stress: d('0.3') }), errorKind('InvalidInput'));
  assert.throws(() => regime('-0.1', null), errorKind('InvalidInput'));
  assert.throws(() => regime(null, 'NaN'), errorKind('InvalidInput'));
});
