import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import { Order, createOrder } from '../domain/model';
import { BrokerOrderView } from '../domain/execution';
import { inferFill } from '../domain/recovery';

const AT = new Date('2026-01-05T15:00:00.000Z');

function order(filled: string, average: string): Order {
  const placed = createOrder({ clientOrderId: 'CO-000001', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal('1'), limitPrice: new Decimal('50000'), reduceOnly: false }, '2026-01-05T14:30:00.000Z');
  return { ...placed, status: 'partially_filled', brokerOrderId: 'B-1', filledQuantity: new Decimal(filled), averageFillPrice: new Decimal(average) };
}

function view(filled: string, average: string): BrokerOrderView {
  return {
    clientOrderId: 'CO-000001',
    brokerOrderId: 'B-1',
    symbol: 'BTC-PERP',
    side: 'buy',
    type: 'limit',
    quantity: new Decimal('1'),
    limitPrice: new Decimal('50000'),
    filledQuantity: new Decimal(filled),
    averageFillPrice: new Decimal(average),
    status: 'partially_filled',
  };
}

test('the fill the history lacks is what the broker counts beyond the log, at the price that takes the log\'s average to the broker\'s', () => {
  // The log has 0.4 at 49,000; the broker 1.0 at 49,600 on average: the missing 0.6 was filled at 50,000.
  const fill = inferFill(order('0.4', '49000'), view('1', '49600'), AT);
  assert.ok(fill);
  assert.equal(fill.quantity.toString(), '0.6');
  assert.equal(fill.price.toString(), '50000');
  assert.deepEqual(
    { ...fill, quantity: undefined, price: undefined, fee: fill.fee.toString() },
    { type: 'fill', clientOrderId: 'CO-000001', brokerOrderId: 'B-1', tradeId: 'inferred-CO-000001-1', symbol: 'BTC-PERP', side: 'buy', quantity: undefined, price: undefined, fee: '0', liquidity: 'taker', at: '2026-01-05T15:00:00.000Z' },
  );
});

test('an order with nothing filled yet takes the broker\'s average as the inferred price', () => {
  const fill = inferFill(order('0', '0'), view('0.25', '49950.5'), AT);
  assert.equal(fill?.quantity.toString(), '0.25');
  assert.equal(fill?.price.toString(), '49950.5');
});

test('the same broker totals give the same trade id, so inferring twice cannot apply the fill twice', () => {
  assert.equal(inferFill(order('0.4', '49000'), view('1', '49600'), AT)?.tradeId, inferFill(order('0.4', '49000'), view('1', '49600'), new Date(AT.getTime() + 60_000))?.tradeId);
});

test('nothing is inferred when the broker counts no more filled than the log', () => {
  assert.equal(inferFill(order('0.4', '49000'), view('0.4', '49000'), AT), null);
  assert.equal(inferFill(order('0.4', '49000'), view('0.3', '49000'), AT), null);
});
