import { createHmac } from 'node:crypto';
import { Decimal, parseDecimal, TradingError } from '../shared';
import { BrokerBalance, BrokerFill, BrokerOrderStatus, BrokerOrderView, BrokerPosition, BrokerReport, FillPage, OrderBookView } from './broker-gateway';

/**
 * The broker wire protocol, shared by the network gateway (the client) and the broker simulator's
 * server. REST + JSON with every price, quantity and amount a decimal string; a WebSocket user
 * channel for reports. Decoding is strict: anything that is not exactly the expected shape is a
 * ProtocolError, and nothing decoded half-way reaches the trading system. In particular:
 *   - an unknown field is refused, in every message either side decodes (answers, their envelopes,
 *     reports, report frames, requests): this is a risk system, and a field it does not understand
 *     could change what the message means. A new field is a new protocol version, not a surprise.
 *   - a fill's quantity and price are greater than zero; its fee may be negative (a rebate).
 *   - times (`at` of fills and reports) are ISO-8601 UTC instants, YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z,
 *     that name a real moment (2026-02-30 is refused, not rolled into March).
 *
 * REST (all under /api/v1, all but /status signed):
 *   POST   /orders                    body WireOrderRequest          -> 200 { order, duplicate }
 *   GET    /orders?status=open                                        -> 200 { orders }
 *   GET    /orders/{clientOrderId}                                    -> 200 { order } | 404 UNKNOWN_ORDER
 *   DELETE /orders/{clientOrderId}                                    -> 200 { order } | 200 { cancelledBeforeArrival }
 *   PATCH  /orders/{clientOrderId}    body { quantity, limitPrice? }  -> 200 { order }
 *   POST   /orders/cancel-all                                         -> 200 { cancelled: [clientOrderId, ...] }
 *   GET    /positions                                                 -> 200 { positions }
 *   GET    /balance                                                   -> 200 { balance }
 *   GET    /fills?since=N&limit=M                                     -> 200 { fills, cursor, more }
 *   GET    /book/{symbol}                                             -> 200 { book }
 *   GET    /status                                                    -> 200 { status, retryAfterSeconds? }
 * The fill history is read in pages: since is the cursor a previous page gave (0 = the start), limit
 * at most MAX_FILL_PAGE (a larger one is cut to it; both whole numbers, limit at least 1, since not
 * past the history, no other parameters, else 400 INVALID_REQUEST). A page holds at most limit fills
 * in order, and fewer rather than an answer over MAX_BODY_BYTES; cursor is where the next page
 * starts and more says whether the history goes on past it. A client keeps the last cursor it
 * reached and asks from there after a restart, never from 0 again.
 * Errors: { code, message } with 400 (reason codes of the venue), 401 (UNAUTHORIZED, BAD_SIGNATURE,
 * TIMESTAMP_OUTSIDE_WINDOW, NONCE_REUSED), 403 (PERMISSION_DENIED), 404 (UNKNOWN_ORDER, NOT_FOUND),
 * 413 (PAYLOAD_TOO_LARGE), 429 (RATE_LIMITED, with Retry-After and X-RateLimit-* headers),
 * 503 (MAINTENANCE, with Retry-After).
 *
 * Signed requests carry X-Api-Key, X-Timestamp, X-Nonce and X-Signature: the hex HMAC-SHA256, under
 * the key's secret, of canonicalRequest (below), whose fields are length-prefixed so none can be
 * spliced into another.
 *
 * A cancel may overtake its order: DELETE for a client order id the broker has never seen is
 * acknowledged with { cancelledBeforeArrival: { clientOrderId, at } } and remembered (a tombstone),
 * and an order that arrives under that id later is refused with 400 CANCELLED_BEFORE_ARRIVAL, so it
 * is never booked. Sending the same DELETE again gets the same answer; GET of that id stays 404.
 * A booked order that is no longer open answers DELETE with 400 ORDER_NOT_OPEN.
 *
 * WebSocket: GET /ws/user with the same signed headers (signed as GET /ws/user, empty body). Server
 * messages: { type: 'welcome', seq, epoch } (the last sequence number sent before this connection,
 * and the session it belongs to), { type: 'report', seq, epoch?, report }, { type: 'heartbeat',
 * counter, at, seq, epoch? } (seq: the last report sent). A session (epoch) is one run of the
 * broker's process: its id is new on every restart and its report numbering starts again at 1, so
 * a seq means something only together with its epoch. REST answers carry both as x-report-seq and
 * x-report-epoch.
 */
export const API_PREFIX = '/api/v1';
export const USER_CHANNEL_PATH = '/ws/user';
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_FRAME_BYTES = 64 * 1024;
/** The most fills the broker puts in one page of its history. */
export const MAX_FILL_PAGE = 500;

/** X-Timestamp is the caller's clock in whole milliseconds since the Unix epoch, as a decimal string. */
export const AUTH_HEADERS = {
  key: 'x-api-key',
  timestamp: 'x-timestamp',
  nonce: 'x-nonce',
  signature: 'x-signature',
} as const;

export const RATE_LIMIT_HEADERS = {
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  retryAfter: 'retry-after',
} as const;

/** On every REST answer: the sequence number of the last report the broker sent before answering. */
export const REPORT_SEQ_HEADER = 'x-report-seq';
/** On every REST answer: the session (epoch) that sequence number belongs to. */
export const REPORT_EPOCH_HEADER = 'x-report-epoch';

export type BrokerServiceStatus = 'normal' | 'degraded' | 'maintenance';

const SIGNATURE_VERSION = 'v1';

/** Each field length-prefixed so none can borrow characters from its neighbour; the query keeps its "?" so "/a" and "/a?" differ. */
export function canonicalRequest(timestamp: string, nonce: string, method: string, pathWithQuery: string, body: string): string {
  const queryAt = pathWithQuery.indexOf('?');
  const path = queryAt < 0 ? pathWithQuery : pathWithQuery.slice(0, queryAt);
  const query = queryAt < 0 ? '' : pathWithQuery.slice(queryAt);
  return [SIGNATURE_VERSION, timestamp, nonce, method.toUpperCase(), path, query, body].map(field => `${Buffer.byteLength(field, 'utf8')}:${field}\n`).join('');
}

/** HMAC-SHA256 (hex) of canonicalRequest: the gateway signs with it and the broker checks with it. */
export function signRequest(secret: string, timestamp: string, nonce: string, method: string, pathWithQuery: string, body: string): string {
  return createHmac('sha256', secret).update(canonicalRequest(timestamp, nonce, method, pathWithQuery, body), 'utf8').digest('hex');
}

// ---- shapes on the wire ----

export interface WireOrderRequest {
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  quantity: string;
  limitPrice?: string;
  reduceOnly: boolean;
}

export interface WireOrder {
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  quantity: string;
  limitPrice?: string;
  filledQuantity: string;
  averageFillPrice: string;
  status: BrokerOrderStatus;
}

/** PATCH /orders/{clientOrderId} body. */
export interface WireReplaceRequest {
  quantity: string;
  limitPrice?: string;
}

export interface WireError {
  code: string;
  message: string;
}

// ---- encoding (Decimal -> string) ----

export function encodeOrder(order: BrokerOrderView): WireOrder {
  return {
    clientOrderId: order.clientOrderId,
    brokerOrderId: order.brokerOrderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    quantity: order.quantity.toString(),
    ...(order.limitPrice ? { limitPrice: order.limitPrice.toString() } : {}),
    filledQuantity: order.filledQuantity.toString(),
    averageFillPrice: order.averageFillPrice.toString(),
    status: order.status,
  };
}

export function encodePosition(position: BrokerPosition): Record<string, string> {
  return {
    symbol: position.symbol,
    netQuantity: position.netQuantity.toString(),
    averageEntryPrice: position.averageEntryPrice.toString(),
    realizedPnl: position.realizedPnl.toString(),
  };
}

export function encodeBalance(balance: BrokerBalance): Record<string, string> {
  return { currency: balance.currency, cash: balance.cash.toString() };
}

export function encodeBook(book: OrderBookView): Record<string, unknown> {
  const level = (l: { price: Decimal; quantity: Decimal }) => ({ price: l.price.toString(), quantity: l.quantity.toString() });
  return { symbol: book.symbol, bids: book.bids.map(level), asks: book.asks.map(level) };
}

/** Any report with its Decimals as strings. */
export function encodeReport(report: BrokerReport): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(report)) {
    if (value === undefined) continue;
    out[key] = value instanceof Decimal ? value.toString() : value;
  }
  return out;
}

// ---- decoding (strict; every failure is a ProtocolError) ----

export function protocolError(message: string, details: Record<string, unknown> = {}, cause?: unknown): TradingError {
  return new TradingError('ProtocolError', `invalid broker message: ${message}`, details, cause === undefined ? undefined : { cause });
}

type Json = Record<string, unknown>;

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw protocolError(`${what} is not JSON`, { excerpt: text.slice(0, 80) }, error);
  }
}

export function asObject(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw protocolError(`${what} is not an object`);
  return value as Json;
}

export function str(obj: Json, field: string, what: string): string {
  const value = obj[field];
  if (typeof value !== 'string' || value.length === 0) throw protocolError(`${what}.${field} must be a non-empty string`, { field });
  return value;
}

function oneOf<T extends string>(obj: Json, field: string, allowed: readonly T[], what: string): T {
  const value = str(obj, field, what);
  if (!(allowed as readonly string[]).includes(value)) throw protocolError(`${what}.${field} "${value}" is not one of ${allowed.join(', ')}`, { field });
  return value as T;
}

function dec(obj: Json, field: string, what: string, allowNegative = false): Decimal {
  try {
    const value = parseDecimal(obj[field], `${what}.${field}`);
    if (!allowNegative && value.isNegative()) throw protocolError(`${what}.${field} must not be negative`, { field });
    return value;
  } catch (error) {
    if (error instanceof TradingError) throw error;
    throw protocolError(`${what}.${field} must be a decimal string`, { field }, error);
  }
}

function optDec(obj: Json, field: string, what: string): Decimal | undefined {
  return obj[field] === undefined ? undefined : dec(obj, field, what);
}

function positiveDec(obj: Json, field: string, what: string): Decimal {
  const value = dec(obj, field, what);
  if (!value.gt(0)) throw protocolError(`${what}.${field} must be greater than zero`, { field });
  return value;
}

function optPositiveDec(obj: Json, field: string, what: string): Decimal | undefined {
  return obj[field] === undefined ? undefined : positiveDec(obj, field, what);
}

const INSTANT_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** An ISO-8601 UTC instant that names a real moment: Date.parse would roll 2026-02-30 into March, so it must round-trip. */
export function instant(obj: Json, field: string, what: string): string {
  const value = obj[field];
  const ms = typeof value === 'string' && INSTANT_TEXT.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== (value as string).slice(0, 19)) {
    throw protocolError(`${what}.${field} must be an ISO-8601 UTC time such as 2026-01-05T14:30:00.000Z, got ${JSON.stringify(value)}`, { field });
  }
  return value as string;
}

/** A field the system does not understand could change what the message means: it is refused, never skipped. */
export function exactFields(obj: Json, allowed: readonly string[], what: string): Json {
  for (const field of Object.keys(obj)) {
    if (!allowed.includes(field)) throw protocolError(`${what} has unknown field "${field}"`, { field });
  }
  return obj;
}

/** An answer's outer object, holding no field but these. */
export function decodeEnvelope(value: unknown, what: string, fields: readonly string[]): Json {
  return exactFields(asObject(value, what), fields, what);
}

const SIDES = ['buy', 'sell'] as const;
const TYPES = ['market', 'limit'] as const;
const STATUSES: readonly BrokerOrderStatus[] = ['open', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired'];

const ORDER_FIELDS = ['clientOrderId', 'brokerOrderId', 'symbol', 'side', 'type', 'quantity', 'limitPrice', 'filledQuantity', 'averageFillPrice', 'status'] as const;

export function decodeOrder(value: unknown): BrokerOrderView {
  const obj = exactFields(asObject(value, 'order'), ORDER_FIELDS, 'order');
  return {
    clientOrderId: str(obj, 'clientOrderId', 'order'),
    brokerOrderId: str(obj, 'brokerOrderId', 'order'),
    symbol: str(obj, 'symbol', 'order'),
    side: oneOf(obj, 'side', SIDES, 'order'),
    type: oneOf(obj, 'type', TYPES, 'order'),
    quantity: positiveDec(obj, 'quantity', 'order'),
    limitPrice: optPositiveDec(obj, 'limitPrice', 'order'),
    filledQuantity: dec(obj, 'filledQuantity', 'order'),
    averageFillPrice: dec(obj, 'averageFillPrice', 'order'),
    status: oneOf(obj, 'status', STATUSES, 'order'),
  };
}

export function decodeOrderRequest(value: unknown): WireOrderRequest & { quantityValue: Decimal; limitPriceValue?: Decimal } {
  const obj = exactFields(asObject(value, 'order request'), ['clientOrderId', 'symbol', 'side', 'type', 'quantity', 'limitPrice', 'reduceOnly'], 'order request');
  if (typeof obj.reduceOnly !== 'boolean') throw protocolError('order request.reduceOnly must be a boolean', { field: 'reduceOnly' });
  const request = {
    clientOrderId: str(obj, 'clientOrderId', 'order request'),
    symbol: str(obj, 'symbol', 'order request'),
    side: oneOf(obj, 'side', SIDES, 'order request'),
    type: oneOf(obj, 'type', TYPES, 'order request'),
    quantity: str(obj, 'quantity', 'order request'),
    ...(obj.limitPrice !== undefined ? { limitPrice: str(obj, 'limitPrice', 'order request') } : {}),
    reduceOnly: obj.reduceOnly,
  };
  return { ...request, quantityValue: dec(obj, 'quantity', 'order request'), limitPriceValue: optDec(obj, 'limitPrice', 'order request') };
}

/** The reason a broker's cancel report gives for an order its kill switch (POST /orders/cancel-all) closed; the system books it cancelled with the same words. */
export const KILL_SWITCH_CANCEL_REASON = 'cancel all (kill switch)';

/** The answer to DELETE /orders/{id}: the cancelled order, or a cancel acknowledged before the order arrived. */
export function decodeCancelAnswer(value: unknown): { clientOrderId: string; beforeArrival: boolean; order?: BrokerOrderView } {
  const obj = asObject(value, 'cancel answer');
  if (obj.cancelledBeforeArrival !== undefined) {
    exactFields(obj, ['cancelledBeforeArrival'], 'cancel answer');
    const tombstone = exactFields(asObject(obj.cancelledBeforeArrival, 'cancel answer.cancelledBeforeArrival'), ['clientOrderId', 'at'], 'cancel answer.cancelledBeforeArrival');
    instant(tombstone, 'at', 'cancel answer.cancelledBeforeArrival');
    return { clientOrderId: str(tombstone, 'clientOrderId', 'cancel answer.cancelledBeforeArrival'), beforeArrival: true };
  }
  exactFields(obj, ['order'], 'cancel answer');
  const order = decodeOrder(obj.order);
  return { clientOrderId: order.clientOrderId, beforeArrival: false, order };
}

/**
 * The answer to POST /orders/cancel-all: the client order ids of the open orders the kill switch
 * closed, each once. Anything else is a broker error: a risk system never reads an answer it cannot
 * check as "all cancelled".
 */
export function decodeCancelAllAnswer(value: unknown): { cancelled: string[] } {
  const obj = exactFields(asObject(value, 'cancel-all answer'), ['cancelled'], 'cancel-all answer');
  if (!Array.isArray(obj.cancelled)) throw protocolError('cancel-all answer.cancelled must be a list of client order ids', { field: 'cancelled' });
  const seen = new Set<string>();
  for (const id of obj.cancelled as unknown[]) {
    if (typeof id !== 'string' || id.length === 0) throw protocolError('cancel-all answer.cancelled must hold non-empty client order ids', { field: 'cancelled' });
    if (seen.has(id)) throw protocolError(`cancel-all answer.cancelled names ${id} twice`, { field: 'cancelled' });
    seen.add(id);
  }
  return { cancelled: [...seen] };
}

export function decodeReplaceRequest(value: unknown): { quantity: Decimal; limitPrice?: Decimal } {
  const obj = exactFields(asObject(value, 'replace request'), ['quantity', 'limitPrice'], 'replace request');
  return { quantity: dec(obj, 'quantity', 'replace request'), limitPrice: optDec(obj, 'limitPrice', 'replace request') };
}

export function decodePosition(value: unknown): BrokerPosition {
  const obj = exactFields(asObject(value, 'position'), ['symbol', 'netQuantity', 'averageEntryPrice', 'realizedPnl'], 'position');
  return {
    symbol: str(obj, 'symbol', 'position'),
    netQuantity: dec(obj, 'netQuantity', 'position', true),
    averageEntryPrice: dec(obj, 'averageEntryPrice', 'position'),
    realizedPnl: dec(obj, 'realizedPnl', 'position', true),
  };
}

export function decodeBalance(value: unknown): BrokerBalance {
  const obj = exactFields(asObject(value, 'balance'), ['currency', 'cash'], 'balance');
  return { currency: str(obj, 'currency', 'balance'), cash: dec(obj, 'cash', 'balance', true) };
}

export function decodeBook(value: unknown): OrderBookView {
  const obj = exactFields(asObject(value, 'book'), ['symbol', 'bids', 'asks'], 'book');
  const levels = (side: 'bids' | 'asks') => {
    const items = obj[side];
    if (!Array.isArray(items)) throw protocolError(`book.${side} must be an array`, { field: side });
    return items.map(item => {
      const level = exactFields(asObject(item, `book.${side}[]`), ['price', 'quantity'], 'book level');
      return { price: dec(level, 'price', 'book level'), quantity: dec(level, 'quantity', 'book level') };
    });
  };
  return { symbol: str(obj, 'symbol', 'book'), bids: levels('bids'), asks: levels('asks') };
}

const FILL_FIELDS = ['type', 'clientOrderId', 'brokerOrderId', 'tradeId', 'symbol', 'side', 'quantity', 'price', 'fee', 'liquidity', 'at'] as const;

/** A fill moves a position and cash: nothing in it may be zero, negative (but the fee: a rebate), unknown or not a time. */
export function decodeFill(value: unknown): BrokerFill {
  const obj = exactFields(asObject(value, 'fill'), FILL_FIELDS, 'fill');
  if (obj.type !== 'fill') throw protocolError('fill.type must be "fill"');
  return {
    type: 'fill',
    clientOrderId: str(obj, 'clientOrderId', 'fill'),
    brokerOrderId: str(obj, 'brokerOrderId', 'fill'),
    tradeId: str(obj, 'tradeId', 'fill'),
    symbol: str(obj, 'symbol', 'fill'),
    side: oneOf(obj, 'side', SIDES, 'fill'),
    quantity: positiveDec(obj, 'quantity', 'fill'),
    price: positiveDec(obj, 'price', 'fill'),
    fee: dec(obj, 'fee', 'fill', true),
    liquidity: oneOf(obj, 'liquidity', ['maker', 'taker'] as const, 'fill'),
    at: instant(obj, 'at', 'fill'),
  };
}

const REPORT_FIELDS: Readonly<Record<Exclude<BrokerReport['type'], 'fill'>, readonly string[]>> = {
  acknowledged: ['type', 'clientOrderId', 'brokerOrderId', 'at'],
  cancelled: ['type', 'clientOrderId', 'reason', 'at'],
  expired: ['type', 'clientOrderId', 'reason', 'at'],
  replaced: ['type', 'clientOrderId', 'quantity', 'limitPrice', 'at'],
  rejected: ['type', 'clientOrderId', 'reasonCode', 'message', 'at'],
};

export function decodeReport(value: unknown): BrokerReport {
  const obj = asObject(value, 'report');
  const type = str(obj, 'type', 'report');
  if (type === 'fill') return decodeFill(obj);
  if (!Object.prototype.hasOwnProperty.call(REPORT_FIELDS, type)) throw protocolError(`unknown report type "${type}"`, { field: 'type' });
  exactFields(obj, REPORT_FIELDS[type as keyof typeof REPORT_FIELDS], `${type} report`);
  const at = instant(obj, 'at', 'report');
  const clientOrderId = str(obj, 'clientOrderId', 'report');
  switch (type) {
    case 'acknowledged':
      return { type, clientOrderId, brokerOrderId: str(obj, 'brokerOrderId', 'report'), at };
    case 'cancelled':
    case 'expired':
      return { type, clientOrderId, reason: str(obj, 'reason', 'report'), at };
    case 'replaced':
      return { type, clientOrderId, quantity: positiveDec(obj, 'quantity', 'report'), limitPrice: optPositiveDec(obj, 'limitPrice', 'report'), at };
    case 'rejected':
      return { type, clientOrderId, reasonCode: str(obj, 'reasonCode', 'report'), message: str(obj, 'message', 'report'), at };
    default:
      throw protocolError(`unknown report type "${type}"`, { field: 'type' });
  }
}

/** epoch: the broker session the seq belongs to (required on the welcome, optional after it). */
export type ChannelMessage =
  | { type: 'welcome'; seq: number; epoch: string }
  | { type: 'report'; seq: number; epoch?: string; report: BrokerReport }
  /** seq: the last report sequence number the broker sent (absent from brokers that do not say). */
  | { type: 'heartbeat'; counter: number; at: string; seq?: number; epoch?: string };

/** A session id is an opaque token, and short: a long one is not an id but a payload. */
const MAX_EPOCH_LENGTH = 128;

function seqOf(obj: Json, field: string): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw protocolError(`channel message.${field} must be a whole number`, { field });
  return value;
}

function epochOf(obj: Json, what: string): string {
  const value = str(obj, 'epoch', what);
  if (value.length > MAX_EPOCH_LENGTH) throw protocolError(`${what}.epoch is over ${MAX_EPOCH_LENGTH} characters`, { field: 'epoch' });
  return value;
}

function optEpoch(obj: Json, what: string): { epoch?: string } {
  return obj.epoch === undefined ? {} : { epoch: epochOf(obj, what) };
}

/** One WebSocket text frame from the user channel. */
export function decodeChannelMessage(text: string): ChannelMessage {
  if (text.length > MAX_FRAME_BYTES) throw protocolError(`frame of ${text.length} bytes is over the ${MAX_FRAME_BYTES} limit`);
  const obj = asObject(parseJson(text, 'channel message'), 'channel message');
  switch (obj.type) {
    case 'welcome':
      exactFields(obj, ['type', 'seq', 'epoch'], 'welcome');
      return { type: 'welcome', seq: seqOf(obj, 'seq'), epoch: epochOf(obj, 'welcome') };
    case 'report':
      exactFields(obj, ['type', 'seq', 'epoch', 'report'], 'report frame');
      return { type: 'report', seq: seqOf(obj, 'seq'), ...optEpoch(obj, 'report'), report: decodeReport(obj.report) };
    case 'heartbeat':
      exactFields(obj, ['type', 'counter', 'at', 'seq', 'epoch'], 'heartbeat');
      return { type: 'heartbeat', counter: seqOf(obj, 'counter'), at: instant(obj, 'at', 'heartbeat'), ...(obj.seq !== undefined ? { seq: seqOf(obj, 'seq') } : {}), ...optEpoch(obj, 'heartbeat') };
    default:
      throw protocolError(`unknown channel message type ${JSON.stringify(obj.type)}`, { field: 'type' });
  }
}

export function decodeError(value: unknown): WireError {
  const obj = exactFields(asObject(value, 'error'), ['code', 'message'], 'error');
  return { code: str(obj, 'code', 'error'), message: typeof obj.message === 'string' ? obj.message : '' };
}

export function decodeArray<T>(value: unknown, field: string, decode: (item: unknown) => T): T[] {
  const obj = decodeEnvelope(value, 'response', [field]);
  const items = obj[field];
  if (!Array.isArray(items)) throw protocolError(`response.${field} must be an array`, { field });
  return items.map(decode);
}

/** GET /fills answer to ?since&limit: at most limit fills, a cursor that does not go back, and whether more remain. */
export function decodeFillPage(value: unknown, since: number, limit: number): FillPage {
  const obj = decodeEnvelope(value, 'fills answer', ['fills', 'cursor', 'more']);
  const cursor = obj.cursor;
  if (typeof cursor !== 'number' || !Number.isSafeInteger(cursor) || cursor < since) throw protocolError(`fills answer.cursor must be a whole number not below ${since}`, { field: 'cursor' });
  if (typeof obj.more !== 'boolean') throw protocolError('fills answer.more must be a boolean', { field: 'more' });
  if (!Array.isArray(obj.fills)) throw protocolError('fills answer.fills must be an array', { field: 'fills' });
  if (obj.fills.length > limit) throw protocolError(`fills answer holds ${obj.fills.length} fills, more than the ${limit} asked for`, { field: 'fills' });
  if (obj.more && cursor === since) throw protocolError('fills answer says more remain but its cursor did not move', { field: 'cursor' });
  return { fills: obj.fills.map(decodeFill), cursor, more: obj.more };
}
