import { Decimal, describeError, parseDecimal, TradingError } from '../shared';
import { MAX_FRAME_BYTES, asObject, exactFields, instant, parseJson, protocolError, str } from '../execution';
import { BookSide, HaltReason, MARKET_WIDE, MarketDataMessage, MarketDataMessageType, PriceLevel, TradingStatusValue } from './market-data';

/**
 * The public market data channel on the broker's WebSocket server, and its strict decoding. Public:
 * no signed headers. Decoding follows the broker protocol's rules (wire-protocol.ts): every price,
 * quantity and value is canonical decimal text, an unknown field or message type is refused, and
 * times are ISO-8601 UTC instants that name a real moment. A failure is a ProtocolError naming the
 * field, and nothing decoded half-way reaches the trading system.
 *   - prices, quantities, volatilities are greater than zero; only a book delta's quantity may be
 *     0 (the level is removed).
 *   - a delta's seq is a whole number of at least 1, a snapshot's at least 0 (an empty book that
 *     has never changed).
 *   - MARKET_WIDE names no symbol but the market as a whole: only a trading status may carry it.
 *   - a status is 'open' exactly when its reason is REOPENED, and only a reopening carries a
 *     reopening price.
 *
 * Server to client: one MarketDataMessage a text frame. On connecting, the server sends the venue's
 * current state (prior closes, marks, a snapshot of every book, statuses, implied volatilities) and
 * then one heartbeat: the first heartbeat on a connection says the initial state is complete. Then
 * every message the venue publishes, and heartbeats when nothing else is sent.
 * Client to server: { "op": "snapshot", "symbol": "X" } asks for the whole book of a symbol again (a
 * gap was seen); the book_snapshot comes back on the same channel, in order with the deltas.
 */
export const MARKET_DATA_CHANNEL_PATH = '/api/v1/market';

/** What a client may ask on the channel. */
export type MarketDataRequest = { readonly op: 'snapshot'; readonly symbol: string };

/** The market data channel of a broker whose REST API is at baseUrl (http://host:port): ws://host:port/api/v1/market. */
export function marketDataUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TradingError('InvalidInput', `market data channel: broker base URL must be http or https, got ${baseUrl}`, { field: 'baseUrl' });
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = MARKET_DATA_CHANNEL_PATH;
  url.search = '';
  url.hash = '';
  return url.toString();
}

// ---- encoding (Decimal -> canonical string) ----

function level(l: PriceLevel): Record<string, string> {
  return { price: l.price.toString(), quantity: l.quantity.toString() };
}

function wireForm(message: MarketDataMessage): Record<string, unknown> {
  switch (message.type) {
    case 'mark':
      return { type: message.type, symbol: message.symbol, price: message.price.toString(), at: message.at };
    case 'book_snapshot':
      return { type: message.type, symbol: message.symbol, seq: message.seq, bids: message.bids.map(level), asks: message.asks.map(level), at: message.at };
    case 'book_delta':
      return { type: message.type, symbol: message.symbol, seq: message.seq, changes: message.changes.map(c => ({ side: c.side, ...level(c) })), at: message.at };
    case 'trading_status':
      return {
        type: message.type,
        symbol: message.symbol,
        status: message.status,
        reason: message.reason,
        ...(message.reopeningPrice !== undefined ? { reopeningPrice: message.reopeningPrice.toString() } : {}),
        at: message.at,
      };
    case 'implied_volatility':
      return { type: message.type, underlying: message.underlying, value: message.value.toString(), at: message.at };
    case 'prior_close':
      return { type: message.type, symbol: message.symbol, price: message.price.toString(), tradingDay: message.tradingDay, at: message.at };
    case 'heartbeat':
      return { type: message.type, at: message.at };
  }
}

/** One text frame: the message's own fields, decimals as their canonical strings. */
export function encodeMarketDataMessage(message: MarketDataMessage): string {
  return JSON.stringify(wireForm(message));
}

export function encodeMarketDataRequest(request: MarketDataRequest): string {
  return JSON.stringify({ op: request.op, symbol: request.symbol });
}

// ---- decoding (strict; every failure is a ProtocolError) ----

type Json = Record<string, unknown>;

const MESSAGE_FIELDS: Readonly<Record<MarketDataMessageType, readonly string[]>> = {
  mark: ['type', 'symbol', 'price', 'at'],
  book_snapshot: ['type', 'symbol', 'seq', 'bids', 'asks', 'at'],
  book_delta: ['type', 'symbol', 'seq', 'changes', 'at'],
  trading_status: ['type', 'symbol', 'status', 'reason', 'reopeningPrice', 'at'],
  implied_volatility: ['type', 'underlying', 'value', 'at'],
  prior_close: ['type', 'symbol', 'price', 'tradingDay', 'at'],
  heartbeat: ['type', 'at'],
};

const HALT_REASONS: readonly HaltReason[] = ['MARKET_WIDE_LEVEL_1', 'MARKET_WIDE_LEVEL_2', 'MARKET_WIDE_LEVEL_3', 'LULD_PAUSE', 'VENUE_HALT', 'NEWS_PENDING'];
const STATUS_REASONS: readonly (HaltReason | 'REOPENED')[] = [...HALT_REASONS, 'REOPENED'];
const STATUSES: readonly TradingStatusValue[] = ['open', 'halted', 'paused'];
const BOOK_SIDES: readonly BookSide[] = ['bid', 'ask'];
const TRADING_DAY_TEXT = /^\d{4}-\d{2}-\d{2}$/;

function hasOwn<K extends string>(table: Readonly<Record<K, unknown>>, key: unknown): key is K {
  return typeof key === 'string' && Object.prototype.hasOwnProperty.call(table, key);
}

function oneOf<T extends string>(obj: Json, field: string, allowed: readonly T[], what: string): T {
  const value = obj[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw protocolError(`${what}.${field} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`, { field });
  return value as T;
}

/** Canonical decimal text, greater than zero or (a delta's quantity) at least zero. */
function decimal(obj: Json, field: string, what: string, least: 'positive' | 'zero' = 'positive'): Decimal {
  let value: Decimal;
  try {
    value = parseDecimal(obj[field], `${what}.${field}`);
  } catch (error) {
    throw protocolError(`${what}.${field} must be a decimal string: ${describeError(error).message}`, { field }, error);
  }
  if (least === 'positive' ? !value.gt(0) : value.isNegative()) throw protocolError(`${what}.${field} must be ${least === 'positive' ? 'greater than zero' : 'zero or more'}, got ${value.toString()}`, { field });
  return value;
}

function sequence(obj: Json, what: string, least: 0 | 1): number {
  const value = obj.seq;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least) throw protocolError(`${what}.seq must be a whole number of at least ${least}, got ${JSON.stringify(value)}`, { field: 'seq' });
  return value;
}

function symbolOf(obj: Json, what: string, marketWide: boolean): string {
  const symbol = str(obj, 'symbol', what);
  if (!marketWide && symbol === MARKET_WIDE) throw protocolError(`${what}.symbol ${MARKET_WIDE} names the whole market, which only a trading status applies to`, { field: 'symbol' });
  return symbol;
}

function array(obj: Json, field: string, what: string): unknown[] {
  const items = obj[field];
  if (!Array.isArray(items)) throw protocolError(`${what}.${field} must be an array`, { field });
  return items;
}

/** One side of a snapshot: positive prices and quantities, each price once (two quantities at one price would be a guess). */
function snapshotLevels(obj: Json, field: 'bids' | 'asks'): PriceLevel[] {
  const seen = new Set<string>();
  return array(obj, field, 'book_snapshot').map((item, index) => {
    const what = `book_snapshot.${field}[${index}]`;
    const entry = exactFields(asObject(item, what), ['price', 'quantity'], what);
    const price = decimal(entry, 'price', what);
    if (seen.has(price.toString())) throw protocolError(`${what}.price ${price.toString()} is listed twice on the ${field} side`, { field: 'price' });
    seen.add(price.toString());
    return { price, quantity: decimal(entry, 'quantity', what) };
  });
}

function deltaChanges(obj: Json): { side: BookSide; price: Decimal; quantity: Decimal }[] {
  return array(obj, 'changes', 'book_delta').map((item, index) => {
    const what = `book_delta.changes[${index}]`;
    const entry = exactFields(asObject(item, what), ['side', 'price', 'quantity'], what);
    return { side: oneOf(entry, 'side', BOOK_SIDES, what), price: decimal(entry, 'price', what), quantity: decimal(entry, 'quantity', what, 'zero') };
  });
}

function tradingStatus(obj: Json): MarketDataMessage {
  const what = 'trading_status';
  const status = oneOf(obj, 'status', STATUSES, what);
  const reason = oneOf(obj, 'reason', STATUS_REASONS, what);
  if ((status === 'open') !== (reason === 'REOPENED')) throw protocolError(`${what}.reason ${reason} does not go with status ${status}: a symbol is open exactly when it has REOPENED`, { field: 'reason' });
  if (obj.reopeningPrice !== undefined && reason !== 'REOPENED') throw protocolError(`${what}.reopeningPrice belongs to a reopening only, not to ${reason}`, { field: 'reopeningPrice' });
  const reopeningPrice = obj.reopeningPrice === undefined ? {} : { reopeningPrice: decimal(obj, 'reopeningPrice', what) };
  return { type: 'trading_status', symbol: symbolOf(obj, what, true), status, reason, ...reopeningPrice, at: instant(obj, 'at', what) };
}

/** A calendar date that exists (2026-02-30 is refused, not rolled into March). */
function tradingDay(obj: Json): string {
  const value = obj.tradingDay;
  if (typeof value !== 'string' || !TRADING_DAY_TEXT.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw protocolError(`prior_close.tradingDay must be a date such as 2026-01-05, got ${JSON.stringify(value)}`, { field: 'tradingDay' });
  }
  return value;
}

function decodeObject(type: MarketDataMessageType, obj: Json): MarketDataMessage {
  switch (type) {
    case 'mark':
      return { type, symbol: symbolOf(obj, type, false), price: decimal(obj, 'price', type), at: instant(obj, 'at', type) };
    case 'book_snapshot':
      return { type, symbol: symbolOf(obj, type, false), seq: sequence(obj, type, 0), bids: snapshotLevels(obj, 'bids'), asks: snapshotLevels(obj, 'asks'), at: instant(obj, 'at', type) };
    case 'book_delta':
      return { type, symbol: symbolOf(obj, type, false), seq: sequence(obj, type, 1), changes: deltaChanges(obj), at: instant(obj, 'at', type) };
    case 'trading_status':
      return tradingStatus(obj);
    case 'implied_volatility':
      return { type, underlying: str(obj, 'underlying', type), value: decimal(obj, 'value', type), at: instant(obj, 'at', type) };
    case 'prior_close':
      return { type, symbol: symbolOf(obj, type, false), price: decimal(obj, 'price', type), tradingDay: tradingDay(obj), at: instant(obj, 'at', type) };
    case 'heartbeat':
      return { type, at: instant(obj, 'at', type) };
  }
}

/** One text frame from the market data channel. */
export function decodeMarketDataMessage(text: string): MarketDataMessage {
  if (text.length > MAX_FRAME_BYTES) throw protocolError(`market data frame of ${text.length} bytes is over the ${MAX_FRAME_BYTES} limit`);
  const obj = asObject(parseJson(text, 'market data message'), 'market data message');
  if (!hasOwn(MESSAGE_FIELDS, obj.type)) throw protocolError(`unknown market data message type ${JSON.stringify(obj.type)}`, { field: 'type' });
  exactFields(obj, MESSAGE_FIELDS[obj.type], obj.type);
  return decodeObject(obj.type, obj);
}

/** One text frame a client sent on the market data channel. */
export function decodeMarketDataRequest(text: string): MarketDataRequest {
  if (text.length > MAX_FRAME_BYTES) throw protocolError(`market data request of ${text.length} bytes is over the ${MAX_FRAME_BYTES} limit`);
  const obj = exactFields(asObject(parseJson(text, 'market data request'), 'market data request'), ['op', 'symbol'], 'market data request');
  const op = oneOf(obj, 'op', ['snapshot'] as const, 'market data request');
  return { op, symbol: symbolOf(obj, 'market data request', false) };
}
