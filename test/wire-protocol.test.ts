import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TradingError } from '../domain/shared/errors';
import { MAX_FRAME_BYTES, decodeChannelMessage, decodeOrder, signRequest } from '../domain/execution/wire-protocol';

const order = {
  clientOrderId: 'CO-1',
  brokerOrderId: 'SIM-1',
  symbol: 'BTC-PERP',
  side: 'buy',
  type: 'limit',
  quantity: '0.5',
  limitPrice: '49000.5',
  filledQuantity: '0.1',
  averageFillPrice: '49000.5',
  status: 'partially_filled',
};

function protocolError(run: () => unknown): TradingError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof TradingError, `expected a TradingError, got ${String(error)}`);
    assert.equal(error.kind, 'ProtocolError');
    return error;
  }
  assert.fail('expected a ProtocolError');
}

test('an order on the wire decodes to exact decimals', () => {
  const view = decodeOrder(order);
  assert.equal(view.limitPrice?.toString(), '49000.5');
  assert.equal(view.quantity.minus(view.filledQuantity).toString(), '0.4');
});

test('numbers as JSON numbers, NaN, negatives, unknown statuses and missing fields are protocol errors', () => {
  for (const [field, value] of [
    ['quantity', 0.5],
    ['quantity', 'NaN'],
    ['quantity', '1e3'],
    ['filledQuantity', '-0.1'],
    ['averageFillPrice', 'Infinity'],
    ['status', 'half_done'],
    ['side', 'long'],
    ['clientOrderId', ''],
  ] as const) {
    const error = protocolError(() => decodeOrder({ ...order, [field]: value }));
    assert.match(error.message, new RegExp(field), `${field}=${String(value)}`);
  }
  const { symbol: _symbol, ...withoutSymbol } = order;
  protocolError(() => decodeOrder(withoutSymbol));
});

test('user channel frames: malformed JSON, unknown types, bad sequence numbers and oversized frames are refused', () => {
  protocolError(() => decodeChannelMessage('{"type":"report","seq":'));
  protocolError(() => decodeChannelMessage('{"type":"gossip"}'));
  protocolError(() => decodeChannelMessage('{"type":"welcome","seq":-1}'));
  protocolError(() => decodeChannelMessage('{"type":"welcome","seq":1.5}'));
  protocolError(() => decodeChannelMessage(JSON.stringify({ type: 'heartbeat', counter: 1, at: 'now', padding: 'x'.repeat(MAX_FRAME_BYTES) })));
  const fill = { type: 'fill', clientOrderId: 'CO-1', brokerOrderId: 'SIM-1', tradeId: 'T1', symbol: 'BTC-PERP', side: 'buy', quantity: '0.1', price: '50000', fee: '2.5', liquidity: 'taker', at: '2026-01-05T14:30:00.000Z' };
  const decoded = decodeChannelMessage(JSON.stringify({ type: 'report', seq: 7, report: fill }));
  assert.equal(decoded.type === 'report' && decoded.report.type === 'fill' && decoded.report.price.toString(), '50000');
  protocolError(() => decodeChannelMessage(JSON.stringify({ type: 'report', seq: 8, report: { ...fill, liquidity: 'both' } })));
});

test('a signature covers timestamp, nonce, method, path and body: changing any one changes it', () => {
  const base = ['secret', '1767623400000', 'n-1', 'POST', '/api/v1/orders', '{"quantity":"1"}'] as const;
  const signature = signRequest(...base);
  assert.match(signature, /^[0-9a-f]{64}$/);
  for (let i = 0; i < base.length; i += 1) {
    const changed = [...base] as string[];
    changed[i] = `${changed[i]}x`;
    assert.notEqual(signRequest(changed[0], changed[1], changed[2], changed[3], changed[4], changed[5]), signature, `part ${i}`);
  }
});

test('a signature cannot be moved to a request whose fields split the same characters differently', () => {
  const sign = (parts: readonly [string, string, string, string, string]) => signRequest('secret', ...parts);
  const pairs: [readonly [string, string, string, string, string], readonly [string, string, string, string, string]][] = [
    [['1767623400000', 'n-1', 'DELETE', '/api/v1/orders/A1', ''], ['1767623400000', 'n-1', 'DELETE', '/api/v1/orders/A', '1']],
    [['1767623400000', 'n-1', 'GET', '/api/v1/fills?since=10', ''], ['1767623400000', 'n-1', 'GET', '/api/v1/fills?since=1', '0']],
    [['17676234000007', 'n-1', 'GET', '/api/v1/balance', ''], ['1767623400000', '7n-1', 'GET', '/api/v1/balance', '']],
    [['1767623400000', 'n-1', 'GET', '/api/v1/orders', ''], ['1767623400000', 'n-1', 'GET', '/api/v1/orders?', '']],
  ];
  for (const [a, b] of pairs) assert.notEqual(sign(a), sign(b), `${a.join('|')} vs ${b.join('|')}`);
});
