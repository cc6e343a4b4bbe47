import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import { correlatedExposure, isRiskReducing, worstCaseQuantities } from '../domain/risk';

const d = (v: string | number) => new Decimal(v);

test('the worst case counts every working order on the side that grows the position', () => {
  const q = worstCaseQuantities({
    positions: new Map([['BTC-PERP', d(1)]]),
    working: [
      { symbol: 'BTC-PERP', side: 'buy', quantity: d('0.5') },
      { symbol: 'BTC-PERP', side: 'sell', quantity: d(3) },
    ],
    marks: new Map(),
  });
  assert.equal(q.get('BTC-PERP')?.toString(), '-2');
});

test('correlated exposure nets a hedge and adds correlated longs', () => {
  const corr = (a: string, b: string) => (a === b ? d(1) : d('0.9'));
  assert.equal(correlatedExposure(new Map([['A', d(50)], ['B', d(60)]]), corr).toFixed(4), '107.2381');
  assert.equal(correlatedExposure(new Map([['A', d(50)], ['B', d(-60)]]), corr).toFixed(4), '26.4575');
});

test('an order is reducing only while it and the closing orders already working fit inside the position', () => {
  const working = [{ symbol: 'BTC-PERP', side: 'sell' as const, quantity: d('0.6') }];
  assert.equal(isRiskReducing(d(1), working, { symbol: 'BTC-PERP', side: 'sell', quantity: d('0.4') }), true);
  assert.equal(isRiskReducing(d(1), working, { symbol: 'BTC-PERP', side: 'sell', quantity: d('0.5') }), false);
  assert.equal(isRiskReducing(d(1), [], { symbol: 'BTC-PERP', side: 'buy', quantity: d('0.1') }), false);
  assert.equal(isRiskReducing(d(0), [], { symbol: 'BTC-PERP', side: 'sell', quantity: d('0.1') }), false);
});
