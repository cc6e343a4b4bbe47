import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TradingError } from '../domain/shared';
import {
  MAX_FRAME_BYTES,
  canonicalRequest,
  decodeArray,
  decodeBalance,
  decodeBook,
  decodeCancelAnswer,
  decodeChannelMessage,
  decodeEnvelope,
  decodeError,
  decodeFill,
  decodeFillPage,
  decodeOrder,
  decodeOrderRequest,
  decodePosition,
  decodeReplaceRequest,
  decodeReport,
  signRequest,
} from '../domain/execution';

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
  assert.deepEqual(decodeChannelMessage('{"type":"heartbeat","counter":2,"at":"2026-01-05T14:30:00.000Z","seq":4}'), { type: 'heartbeat', counter: 2, at: '2026-01-05T14:30:00.000Z', seq: 4 });
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

test('the canonical request and its signature, known answers: a broker written from the protocol text alone computes the same bytes', () => {
  const request = ['1767623400000', 'n-1', 'post', '/api/v1/orders?dryRun=1', '{"note":"café"}'] as const;
  // Each field is its length in UTF-8 bytes, a colon, the field and a newline: "café" is 5 bytes, not 4 characters.
  assert.equal(canonicalRequest(...request), '2:v1\n13:1767623400000\n3:n-1\n4:POST\n14:/api/v1/orders\n9:?dryRun=1\n16:{"note":"café"}\n');
  assert.equal(canonicalRequest('1767623400000', 'n-1', 'GET', '/api/v1/fills', ''), '2:v1\n13:1767623400000\n3:n-1\n3:GET\n13:/api/v1/fills\n0:\n0:\n', 'no query and no body are empty fields, still there');
  // printf '<the canonical request>' | openssl dgst -sha256 -hmac known-answer-secret
  assert.equal(signRequest('known-answer-secret', ...request), 'e1a98d1af2065750700c1f068bfcc03469feddeb77491f9483bc8163fa753809');
});

test('a signature covers the query: the same path and body asking from another cursor is another signature', () => {
  const sign = (pathWithQuery: string) => signRequest('secret', '1767623400000', 'n-1', 'GET', pathWithQuery, '');
  assert.notEqual(sign('/api/v1/fills?since=10&limit=200'), sign('/api/v1/fills?since=0&limit=200'));
  assert.notEqual(sign('/api/v1/fills?since=10'), sign('/api/v1/fills?since=0'));
  assert.notEqual(sign('/api/v1/fills?since=10'), sign('/api/v1/fills'));
});

// ---- unknown fields, zero fills and malformed times (the broker's messages are refused, never half-read) ----

const fill = { type: 'fill', clientOrderId: 'CO-1', brokerOrderId: 'SIM-1', tradeId: 'T1', symbol: 'BTC-PERP', side: 'buy', quantity: '0.1', price: '50000', fee: '2.5', liquidity: 'taker', at: '2026-01-05T14:30:00.000Z' };
const reports: Record<string, Record<string, unknown>> = {
  fill,
  acknowledged: { type: 'acknowledged', clientOrderId: 'CO-1', brokerOrderId: 'SIM-1', at: '2026-01-05T14:30:00.000Z' },
  cancelled: { type: 'cancelled', clientOrderId: 'CO-1', reason: 'by request', at: '2026-01-05T14:30:00.000Z' },
  expired: { type: 'expired', clientOrderId: 'CO-1', reason: 'end of day', at: '2026-01-05T14:30:00.000Z' },
  replaced: { type: 'replaced', clientOrderId: 'CO-1', quantity: '0.2', limitPrice: '49000', at: '2026-01-05T14:30:00.000Z' },
  rejected: { type: 'rejected', clientOrderId: 'CO-1', reasonCode: 'LOT_SIZE', message: 'lot size', at: '2026-01-05T14:30:00.000Z' },
};

test('every decoder refuses a field it does not know, naming it, and accepts the exact shape', () => {
  const book = { symbol: 'BTC-PERP', bids: [{ price: '49999.5', quantity: '1' }], asks: [] };
  const unknown = (exact: Record<string, unknown>) => ({ ...exact, postOnly: true });
  const cases: [string, (value: unknown) => unknown, Record<string, unknown>, Record<string, unknown>][] = [
    ['order', decodeOrder, order, unknown(order)],
    ...[{ clientOrderId: 'CO-1', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '0.1', limitPrice: '49000', reduceOnly: false }].map(
      (request): [string, (value: unknown) => unknown, Record<string, unknown>, Record<string, unknown>] => ['order request', decodeOrderRequest, request, unknown(request)],
    ),
    ['replace request', decodeReplaceRequest, { quantity: '0.2', limitPrice: '49000' }, { quantity: '0.2', postOnly: true }],
    ['position', decodePosition, { symbol: 'BTC-PERP', netQuantity: '-0.1', averageEntryPrice: '50000', realizedPnl: '0' }, { symbol: 'BTC-PERP', netQuantity: '-0.1', averageEntryPrice: '50000', realizedPnl: '0', postOnly: true }],
    ['balance', decodeBalance, { currency: 'USD', cash: '100000' }, { currency: 'USD', cash: '100000', postOnly: true }],
    ['book', decodeBook, book, unknown(book)],
    ['book level', decodeBook, book, { ...book, bids: [{ price: '49999.5', quantity: '1', postOnly: true }] }],
    ['error', decodeError, { code: 'LOT_SIZE', message: 'lot size' }, { code: 'LOT_SIZE', message: 'lot size', postOnly: true }],
    ['orders answer', value => decodeArray(value, 'orders', decodeOrder), { orders: [order] }, { orders: [order], postOnly: true }],
    ['order in an answer', value => decodeArray(value, 'orders', decodeOrder), { orders: [order] }, { orders: [unknown(order)] }],
    ['envelope', value => decodeEnvelope(value, 'balance answer', ['balance']), { balance: {} }, { balance: {}, postOnly: true }],
    ...Object.entries(reports).map(([type, report]): [string, (value: unknown) => unknown, Record<string, unknown>, Record<string, unknown>] => [`${type} report`, decodeReport, report, unknown(report)]),
    ['fill', decodeFill, fill, unknown(fill)],
    ['report frame', value => decodeChannelMessage(JSON.stringify(value)), { type: 'report', seq: 1, report: fill }, { type: 'report', seq: 1, report: fill, postOnly: true }],
    ['report in a frame', value => decodeChannelMessage(JSON.stringify(value)), { type: 'report', seq: 1, report: fill }, { type: 'report', seq: 1, report: unknown(fill) }],
  ];
  for (const [what, decode, exact, withUnknown] of cases) {
    decode(exact);
    const error = protocolError(() => decode(withUnknown));
    assert.match(error.message, /unknown field "postOnly"/, what);
    assert.equal(error.details.field, 'postOnly', what);
  }
});

test('a fill whose quantity or price is zero or negative is refused; a negative fee (a rebate) is not', () => {
  for (const [field, value] of [
    ['quantity', '0'],
    ['quantity', '0.000'],
    ['quantity', '-0.1'],
    ['price', '0'],
    ['price', '-50000'],
  ] as const) {
    const error = protocolError(() => decodeFill({ ...fill, [field]: value }));
    assert.match(error.message, new RegExp(field), `${field}=${value}`);
    protocolError(() => decodeReport({ ...fill, [field]: value }));
  }
  assert.equal(decodeFill({ ...fill, fee: '-0.5' }).fee.toString(), '-0.5');
});

test('a fill or report time must be an ISO-8601 UTC instant that parses and round-trips', () => {
  for (const at of ['2026-01-05T14:30:00Z', '2026-01-05T14:30:00.1Z', '2026-01-05T14:30:00.123456789Z']) {
    assert.equal(decodeFill({ ...fill, at }).at, at);
  }
  for (const at of ['now', '', '2026-01-05', '2026-01-05 14:30:00Z', '2026-01-05T14:30:00', '2026-01-05T14:30:00+01:00', '2026-02-30T00:00:00Z', '2026-01-05T24:00:00Z', '2026-01-05T23:59:60Z', '2026-13-01T00:00:00Z', '2026-01-05T14:30:00.1234567891Z', 1767623400000]) {
    const error = protocolError(() => decodeFill({ ...fill, at }));
    assert.match(error.message, /\bat\b/, JSON.stringify(at));
    for (const report of Object.values(reports)) protocolError(() => decodeReport({ ...report, at }));
  }
});

test('a page of the fill history: at most the limit, a cursor that does not go back, more a boolean, progress while more remain', () => {
  const page = { fills: [fill], cursor: 8, more: true };
  assert.deepEqual(decodeFillPage(page, 7, 1).cursor, 8);
  assert.equal(decodeFillPage({ fills: [], cursor: 7, more: false }, 7, 10).fills.length, 0);
  for (const [what, value, since, limit] of [
    ['cursor behind since', { ...page, cursor: 6 }, 7, 10],
    ['cursor not a whole number', { ...page, cursor: 7.5 }, 7, 10],
    ['cursor a string', { ...page, cursor: '8' }, 7, 10],
    ['more missing', { fills: [fill], cursor: 8 }, 7, 10],
    ['more a string', { ...page, more: 'yes' }, 7, 10],
    ['more fills than asked for', { ...page, fills: [fill, { ...fill, tradeId: 'T2' }] }, 7, 1],
    ['more, but no progress', { fills: [], cursor: 7, more: true }, 7, 10],
    ['a bad fill', { ...page, fills: [{ ...fill, price: '0' }] }, 7, 10],
    ['an unknown field', { ...page, next: 9 }, 7, 10],
  ] as const) {
    assert.throws(() => decodeFillPage(value, since, limit), (error: unknown) => error instanceof TradingError && error.kind === 'ProtocolError', what);
  }
});

test('channel control frames and cancel answers hold no field but their own either', () => {
  const at = '2026-01-05T14:30:00.000Z';
  const welcome = { type: 'welcome', seq: 0, epoch: 'E-1' };
  const heartbeat = { type: 'heartbeat', counter: 3, at, seq: 2, epoch: 'E-1' };
  decodeChannelMessage(JSON.stringify(welcome));
  decodeChannelMessage(JSON.stringify(heartbeat));
  for (const frame of [{ ...welcome, resume: 5 }, { ...heartbeat, resume: 5 }, { ...heartbeat, at: 'now' }]) protocolError(() => decodeChannelMessage(JSON.stringify(frame)));
  const tombstone = { cancelledBeforeArrival: { clientOrderId: 'CO-9', at } };
  decodeCancelAnswer(tombstone);
  for (const answer of [
    { ...tombstone, order },
    { cancelledBeforeArrival: { clientOrderId: 'CO-9', at, reason: 'x' } },
    { cancelledBeforeArrival: { clientOrderId: 'CO-9', at: '2026-02-30T00:00:00Z' } },
    { order, note: 'x' },
  ]) protocolError(() => decodeCancelAnswer(answer));
});
