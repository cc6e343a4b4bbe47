import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, TradingError } from '../domain/shared';
import { MAX_FRAME_BYTES } from '../domain/execution';
import { MARKET_WIDE, MarketDataMessage } from '../domain/market/market-data';
import {
  MARKET_DATA_CHANNEL_PATH,
  decodeMarketDataMessage,
  decodeMarketDataRequest,
  encodeMarketDataMessage,
  encodeMarketDataRequest,
  marketDataUrl,
} from '../domain/market/market-data-protocol';

const AT = '2026-03-09T14:30:00.000Z';
const d = (text: string) => new Decimal(text);

const MESSAGES: readonly MarketDataMessage[] = [
  { type: 'mark', symbol: 'AAPL', price: d('189.25'), at: AT },
  { type: 'book_snapshot', symbol: 'AAPL', seq: 0, bids: [], asks: [], at: AT },
  { type: 'book_snapshot', symbol: 'AAPL', seq: 41, bids: [{ price: d('189.24'), quantity: d('300') }, { price: d('189.23'), quantity: d('1200') }], asks: [{ price: d('189.26'), quantity: d('0.5') }], at: AT },
  { type: 'book_delta', symbol: 'AAPL', seq: 42, changes: [{ side: 'bid', price: d('189.24'), quantity: d('0') }, { side: 'ask', price: d('189.27'), quantity: d('100') }], at: AT },
  { type: 'trading_status', symbol: 'AAPL', status: 'paused', reason: 'LULD_PAUSE', at: AT },
  { type: 'trading_status', symbol: MARKET_WIDE, status: 'halted', reason: 'MARKET_WIDE_LEVEL_1', at: AT },
  { type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'REOPENED', reopeningPrice: d('180.1'), at: AT },
  { type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'REOPENED', at: AT },
  { type: 'implied_volatility', underlying: 'SPX', value: d('0.35'), at: AT },
  { type: 'prior_close', symbol: 'SPX', price: d('5800.12'), tradingDay: '2026-03-06', at: AT },
  { type: 'heartbeat', at: '2026-03-09T14:30:00Z' },
];

/** Decimals compared by value and by their text, the rest as it is. */
function plain(message: MarketDataMessage): unknown {
  return JSON.parse(JSON.stringify(message, (_key, value: unknown) => (value instanceof Decimal ? `D:${value.toString()}` : value)));
}

function refusal(text: string): TradingError {
  try {
    decodeMarketDataMessage(text);
  } catch (error) {
    assert.ok(error instanceof TradingError, `expected a TradingError, got ${String(error)}`);
    assert.equal(error.kind, 'ProtocolError');
    return error;
  }
  assert.fail(`expected ${text} to be refused`);
}

test('every message type goes over the wire and comes back the same', () => {
  for (const message of MESSAGES) {
    const decoded = decodeMarketDataMessage(encodeMarketDataMessage(message));
    assert.deepEqual(plain(decoded), plain(message), message.type);
  }
});

test('decimals go on the wire as canonical strings, never as JSON numbers', () => {
  const wire = JSON.parse(encodeMarketDataMessage(MESSAGES[3])) as { changes: { price: unknown; quantity: unknown }[] };
  assert.deepEqual(wire.changes[0], { side: 'bid', price: '189.24', quantity: '0' });
  const decoded = decodeMarketDataMessage(JSON.stringify({ type: 'mark', symbol: 'AAPL', price: '189.250', at: AT }));
  assert.ok(decoded.type === 'mark' && decoded.price.equals(d('189.25')));
});

const delta = { type: 'book_delta', symbol: 'AAPL', seq: 7, changes: [{ side: 'bid', price: '100.5', quantity: '10' }], at: AT };
const snapshot = { type: 'book_snapshot', symbol: 'AAPL', seq: 6, bids: [{ price: '100.5', quantity: '10' }], asks: [{ price: '100.6', quantity: '5' }], at: AT };
const withChange = (change: Record<string, unknown>) => ({ ...delta, changes: [{ ...delta.changes[0], ...change }] });

const MALFORMED: ReadonlyArray<readonly [string, unknown, string]> = [
  ['a quantity with a comma', withChange({ quantity: '1,5' }), 'quantity'],
  ['NaN as a price', withChange({ price: 'NaN' }), 'price'],
  ['a negative price', withChange({ price: '-100.5' }), 'price'],
  ['a zero price', withChange({ price: '0' }), 'price'],
  ['a negative quantity', withChange({ quantity: '-1' }), 'quantity'],
  ['a quantity as a JSON number', withChange({ quantity: 10 }), 'quantity'],
  ['an exponent', withChange({ price: '1e2' }), 'price'],
  ['an unknown side', withChange({ side: 'buy' }), 'side'],
  ['an unknown field on a change', withChange({ venue: 'X' }), 'venue'],
  ['an unknown field on the message', { ...delta, venue: 'X' }, 'venue'],
  ['a missing seq', { ...delta, seq: undefined }, 'seq'],
  ['a delta at seq 0', { ...delta, seq: 0 }, 'seq'],
  ['a fractional seq', { ...delta, seq: 7.5 }, 'seq'],
  ['a seq past the safe integers', { ...delta, seq: 2 ** 53 }, 'seq'],
  ['a seq as a string', { ...delta, seq: '7' }, 'seq'],
  ['a negative snapshot seq', { ...snapshot, seq: -1 }, 'seq'],
  ['a snapshot level of quantity 0', { ...snapshot, bids: [{ price: '100.5', quantity: '0' }] }, 'quantity'],
  ['a snapshot listing a price twice', { ...snapshot, asks: [{ price: '100.6', quantity: '5' }, { price: '100.60', quantity: '1' }] }, 'price'],
  ['a day that does not exist', { ...delta, at: '2026-02-30T00:00:00Z' }, 'at'],
  ['a time with an offset', { ...delta, at: '2026-03-09T09:30:00-05:00' }, 'at'],
  ['a time without seconds', { ...delta, at: '2026-03-09T14:30Z' }, 'at'],
  ['a time as epoch milliseconds', { ...delta, at: 1772721000000 }, 'at'],
  ['an empty symbol', { ...delta, symbol: '' }, 'symbol'],
  ['the market as a whole on a book', { ...delta, symbol: MARKET_WIDE }, 'symbol'],
  ['changes that are not an array', { ...delta, changes: {} }, 'changes'],
  ['an unknown message type', { type: 'trade', symbol: 'AAPL', at: AT }, 'type'],
  ['no type at all', { symbol: 'AAPL', at: AT }, 'type'],
  ['an unknown halt reason', { type: 'trading_status', symbol: 'AAPL', status: 'halted', reason: 'LUNCH', at: AT }, 'reason'],
  ['open without a reopening', { type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'VENUE_HALT', at: AT }, 'reason'],
  ['a reopening price on a halt', { type: 'trading_status', symbol: 'AAPL', status: 'halted', reason: 'VENUE_HALT', reopeningPrice: '100', at: AT }, 'reopeningPrice'],
  ['a volatility of zero', { type: 'implied_volatility', underlying: 'SPX', value: '0', at: AT }, 'value'],
  ['a trading day that does not exist', { type: 'prior_close', symbol: 'SPX', price: '5800', tradingDay: '2026-02-29', at: AT }, 'tradingDay'],
  ['a heartbeat with a counter', { type: 'heartbeat', counter: 1, at: AT }, 'counter'],
];

test('malformed messages are protocol errors that name the field', () => {
  for (const [what, message, field] of MALFORMED) {
    const error = refusal(JSON.stringify(message));
    assert.equal(error.details.field, field, `${what}: ${error.message}`);
    assert.ok(error.message.includes(field), `${what}: the message names ${field}: ${error.message}`);
  }
});

test('frames that are not one JSON object, or are too large, are protocol errors', () => {
  for (const text of ['', 'not json', '[1,2]', 'null', '"mark"', '{"type":"mark"']) refusal(text);
  const huge = JSON.stringify({ ...snapshot, bids: Array.from({ length: 3000 }, (_, i) => ({ price: `${i + 1}`, quantity: '1' })) });
  assert.ok(huge.length > MAX_FRAME_BYTES);
  assert.match(refusal(huge).message, /limit/);
});

test('a snapshot request round-trips and nothing else is a request', () => {
  const text = encodeMarketDataRequest({ op: 'snapshot', symbol: 'AAPL' });
  assert.equal(text, '{"op":"snapshot","symbol":"AAPL"}');
  assert.deepEqual(decodeMarketDataRequest(text), { op: 'snapshot', symbol: 'AAPL' });
  for (const bad of ['{"op":"subscribe","symbol":"AAPL"}', '{"op":"snapshot"}', '{"op":"snapshot","symbol":""}', '{"op":"snapshot","symbol":"AAPL","depth":5}', '[]']) {
    assert.throws(() => decodeMarketDataRequest(bad), (error: unknown) => error instanceof TradingError && error.kind === 'ProtocolError', bad);
  }
});

test('the channel URL is built from the broker base URL', () => {
  assert.equal(MARKET_DATA_CHANNEL_PATH, '/api/v1/market');
  assert.equal(marketDataUrl('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080/api/v1/market');
  assert.equal(marketDataUrl('https://broker.example/api/v1?x=1'), 'wss://broker.example/api/v1/market');
  assert.throws(() => marketDataUrl('ftp://broker.example'), (error: unknown) => error instanceof TradingError && error.kind === 'InvalidInput');
});
