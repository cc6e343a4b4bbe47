import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TradingError } from '../domain/shared/errors';
import { MAX_FRAME_BYTES, decodeCancelAnswer, decodeChannelMessage, decodeFill, decodeOrder, signRequest } from '../domain/execution/wire-protocol';

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
  protocolError(() => decodeChannelMessage('{"type":"welcome","seq":1.5,"epoch":"e-1"}'));
  protocolError(() => decodeChannelMessage('{"type":"welcome","seq":1}'));
  protocolError(() => decodeChannelMessage(JSON.stringify({ type: 'welcome', seq: 1, epoch: 'e'.repeat(129) })));
  protocolError(() => decodeChannelMessage(JSON.stringify({ type: 'heartbeat', counter: 1, at: 'now', seq: 3, epoch: 7 })));
  assert.deepEqual(decodeChannelMessage('{"type":"welcome","seq":4,"epoch":"e-1"}'), { type: 'welcome', seq: 4, epoch: 'e-1' });
  assert.deepEqual(decodeChannelMessage('{"type":"heartbeat","counter":2,"at":"now","seq":4}'), { type: 'heartbeat', counter: 2, at: 'now', seq: 4 });
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

test('a fill whose numbers are written loosely is a protocol error, not a guess: "1,5" is not 15', () => {
  const fill = { type: 'fill', clientOrderId: 'CO-1', brokerOrderId: 'SIM-1', tradeId: 'T1', symbol: 'BTC-PERP', side: 'buy', quantity: '0.1', price: '50000', fee: '2.5', liquidity: 'taker', at: '2026-01-05T14:30:00.000Z' };
  assert.equal(decodeFill(fill).quantity.toString(), '0.1');
  for (const [field, value] of [
    ['quantity', '1,5'],
    ['quantity', '0,001'],
    ['quantity', ' 1'],
    ['quantity', '1 '],
    ['quantity', '+1'],
    ['quantity', '01'],
    ['price', '50,000'],
    ['price', '0x10'],
    ['fee', '2.'],
    ['fee', '.5'],
  ] as const) {
    const error = protocolError(() => decodeFill({ ...fill, [field]: value }));
    assert.match(error.message, new RegExp(`fill\\.${field}`), `${field}=${JSON.stringify(value)}`);
    assert.ok(error.causeChain().length >= 1);
  }
});

test('a cancel answer is the cancelled order or a cancel before arrival; anything else is a protocol error', () => {
  assert.deepEqual(decodeCancelAnswer({ cancelledBeforeArrival: { clientOrderId: 'CO-9', at: '2026-01-05T14:30:00.000Z' } }), { clientOrderId: 'CO-9', beforeArrival: true });
  assert.equal(decodeCancelAnswer({ order: { ...order, status: 'cancelled' } }).order?.status, 'cancelled');
  protocolError(() => decodeCancelAnswer({ cancelledBeforeArrival: { clientOrderId: 'CO-9' } }));
  protocolError(() => decodeCancelAnswer({ cancelledBeforeArrival: 'CO-9' }));
  protocolError(() => decodeCancelAnswer({}));
});
