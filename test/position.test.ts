import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import { applyFill, flatPosition, unrealizedPnl } from '../domain/model';

const d = (v: string) => new Decimal(v);
const fill = (side: 'buy' | 'sell', quantity: string, price: string, fee = '0') => ({ side, quantity: d(quantity), price: d(price), fee: d(fee) });

test('adding to a position moves the average entry', () => {
  let p = applyFill(flatPosition('BTC-PERP'), fill('buy', '1', '50000'));
  p = applyFill(p, fill('buy', '1', '52000'));
  assert.equal(p.netQuantity.toString(), '2');
  assert.equal(p.averageEntryPrice.toString(), '51000');
  assert.equal(p.realizedPnl.toString(), '0');
});

test('reducing realizes P&L at the average entry and keeps the average', () => {
  let p = applyFill(flatPosition('BTC-PERP'), fill('buy', '2', '50000'));
  p = applyFill(p, fill('sell', '0.5', '51000', '12.75'));
  assert.equal(p.netQuantity.toString(), '1.5');
  assert.equal(p.averageEntryPrice.toString(), '50000');
  assert.equal(p.realizedPnl.toString(), '487.25');
  assert.equal(p.fees.toString(), '12.75');
});

test('a short position gains when the price falls', () => {
  let p = applyFill(flatPosition('ETH-PERP'), fill('sell', '10', '3000'));
  p = applyFill(p, fill('buy', '4', '2900'));
  assert.equal(p.netQuantity.toString(), '-6');
  assert.equal(p.realizedPnl.toString(), '400');
  assert.equal(unrealizedPnl(p, d('2800')).toString(), '1200');
});

test('a flip through zero realizes the closed part and opens the rest at the fill price', () => {
  let p = applyFill(flatPosition('BTC-PERP'), fill('buy', '1', '50000'));
  p = applyFill(p, fill('sell', '1.5', '51000'));
  assert.equal(p.netQuantity.toString(), '-0.5');
  assert.equal(p.averageEntryPrice.toString(), '51000');
  assert.equal(p.realizedPnl.toString(), '1000');
});

test('closing to flat resets the average entry', () => {
  let p = applyFill(flatPosition('SOL-PERP'), fill('sell', '100', '150'));
  p = applyFill(p, fill('buy', '100', '140', '1'));
  assert.equal(p.netQuantity.isZero(), true);
  assert.equal(p.averageEntryPrice.toString(), '0');
  assert.equal(p.realizedPnl.toString(), '999');
});
