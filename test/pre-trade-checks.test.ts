import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { DEFAULT_SETTINGS, toRiskLimits } from '../domain/state';
import { RiskContext, runPreTradeChecks, worstCorrelatedExposure, worstNetExposure } from '../domain/risk';

const d = (v: string | number) => new Decimal(v);
const btc = DEFAULT_INSTRUMENTS[0];

function context(overrides: Partial<RiskContext>): RiskContext {
  return {
    order: { symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: d('0.1'), reduceOnly: false },
    instrument: btc,
    limits: toRiskLimits({ ...DEFAULT_SETTINGS, max_gross_exposure_pct: '500', max_net_exposure_pct: '500', max_correlated_exposure_pct: '500', max_position_pct: '500' }),
    exposure: { positions: new Map([['BTC-PERP', d(1)]]), working: [], marks: new Map([['BTC-PERP', d(50000)]]) },
    equity: d(100000),
    startOfDayEquity: d(100000),
    currency: 'USD',
    markAgeMs: 0,
    ...overrides,
  };
}

const failed = (c: RiskContext) => runPreTradeChecks(c).filter(r => !r.passed).map(r => r.check);

test('with no equity left, an order that adds risk fails every exposure check; a reducing one passes them', () => {
  const broke = { equity: d(-200), startOfDayEquity: d(-200) };
  assert.deepEqual(failed(context(broke)), ['daily loss limit', 'position limit', 'max leverage', 'gross exposure', 'net exposure', 'correlated exposure']);
  const reducing = context({ ...broke, order: { symbol: 'BTC-PERP', side: 'sell', type: 'market', quantity: d('0.5'), reduceOnly: false } });
  assert.deepEqual(failed(reducing).filter(c => c !== 'position limit'), []);
});

test('net exposure is judged at its worst corner: all buys fill, or all sells do', () => {
  const inputs = {
    positions: new Map([['ETH-PERP', d(8)]]),
    working: [
      { symbol: 'BTC-PERP', side: 'sell' as const, quantity: d(6) },
      { symbol: 'BTC-PERP', side: 'buy' as const, quantity: d(5) },
    ],
    marks: new Map([['ETH-PERP', d(100)], ['BTC-PERP', d(100)]]),
  };
  // all long: 800 + 500 = 1,300; all short: 800 - 600 = 200
  assert.equal(worstNetExposure(inputs).toString(), '1300');
});

test('correlated exposure takes the worst corner of the working orders', () => {
  const inputs = {
    positions: new Map([['A', d(10)]]),
    working: [{ symbol: 'B', side: 'buy' as const, quantity: d(10) }, { symbol: 'B', side: 'sell' as const, quantity: d(10) }],
    marks: new Map([['A', d(1)], ['B', d(1)]]),
  };
  const negative = (a: string, b: string) => (a === b ? d(1) : d(-1));
  // B at +10 hedges A perfectly (0); B at -10 doubles it (20): the worst corner is 20.
  assert.equal(worstCorrelatedExposure(inputs, negative).toString(), '20');
});

test('a mark older than the staleness limit blocks added risk, twice as old blocks everything', () => {
  assert.deepEqual(failed(context({ markAgeMs: 31_000 })), ['mark price age']);
  const sell = { symbol: 'BTC-PERP', side: 'sell' as const, type: 'market' as const, quantity: d('0.5'), reduceOnly: false };
  assert.deepEqual(failed(context({ markAgeMs: 31_000, order: sell })), []);
  assert.deepEqual(failed(context({ markAgeMs: 61_000, order: sell })), ['mark price age']);
});
