import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingHttpHeaders, Agent, request } from 'node:http';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { VirtualClock, Decimal } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import {
  API_PREFIX,
  AUTH_HEADERS,
  ChannelMessage,
  MAX_BODY_BYTES,
  MAX_FILL_PAGE,
  MAX_FRAME_BYTES,
  REPORT_EPOCH_HEADER,
  REPORT_SEQ_HEADER,
  USER_CHANNEL_PATH,
  WireOrderRequest,
  decodeArray,
  decodeBalance,
  decodeBook,
  decodeCancelAnswer,
  decodeChannelMessage,
  decodeError,
  decodeFillPage,
  decodeOrder,
  decodePosition,
  signRequest,
} from '../domain/execution';
import { BrokerSimulatorCore, BrokerCredential, BrokerServer, BrokerServerOptions, redactApiKey } from '../support/simulators/broker';
import { ConditionWaiters } from '../support/condition-waiters';

const TRADER: BrokerCredential = { key: 'trader-key-0001', secret: 'trader-secret-Zq81', permissions: ['read', 'trade'] };
const READER: BrokerCredential = { key: 'reader-key-0002', secret: 'reader-secret-Pw42', permissions: ['read'] };

interface Harness {
  server: BrokerServer;
  core: BrokerSimulatorCore;
  clock: VirtualClock;
  logLines: Record<string, unknown>[];
  signatures: string[];
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

/** One broker per test: funded, BTC-PERP marked at 50,000 with 1,000 on both sides, as support/world.ts does. */
async function harness(t: { after: (fn: () => Promise<void>) => void }, options: Partial<BrokerServerOptions> = {}): Promise<Harness> {
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  const price = new Decimal(50_000);
  core.setMark('BTC-PERP', price);
  core.setBook('BTC-PERP', 'asks', [{ price, quantity: new Decimal(1000) }]);
  core.setBook('BTC-PERP', 'bids', [{ price, quantity: new Decimal(1000) }]);
  const logLines: Record<string, unknown>[] = [];
  const server = new BrokerServer({ core, clock, credentials: [TRADER, READER], log: line => logLines.push(line), ...options });
  await server.start();
  t.after(() => server.stop());
  return { server, core, clock, logLines, signatures: [] };
}

let nonceCounter = 0;

function signedHeaders(h: Harness, credential: BrokerCredential, method: string, path: string, body: string, overrides: Partial<Record<'timestamp' | 'nonce', string>> = {}): Record<string, string> {
  const timestamp = overrides.timestamp ?? String(h.clock.now().getTime());
  const nonce = overrides.nonce ?? `n-${process.pid}-${++nonceCounter}`;
  const signature = signRequest(credential.secret, timestamp, nonce, method, path, body);
  h.signatures.push(signature);
  return { [AUTH_HEADERS.key]: credential.key, [AUTH_HEADERS.timestamp]: timestamp, [AUTH_HEADERS.nonce]: nonce, [AUTH_HEADERS.signature]: signature };
}

function send(port: number, method: string, path: string, body: string, headers: Record<string, string>, agent: Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // a raw scripted answer is allowed not to be JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A signed call to the REST API; payload objects are sent as JSON, strings as they are. */
function api(h: Harness, method: string, path: string, payload?: unknown, credential: BrokerCredential = TRADER): Promise<Reply> {
  const body = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
  const fullPath = `${API_PREFIX}${path}`;
  return send(h.server.port, method, fullPath, body, signedHeaders(h, credential, method, fullPath, body));
}

/** A signed call that expects no answer: resolves 'no answer' after waitMs, or the status if one came. */
function callExpectingSilence(h: Harness, method: string, path: string, payload: unknown, waitMs: number): Promise<number | 'no answer'> {
  const body = JSON.stringify(payload);
  const fullPath = `${API_PREFIX}${path}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.server.port, method, path: fullPath, agent: false, headers: signedHeaders(h, TRADER, method, fullPath, body) }, res => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(waitMs, () => {
      req.destroy();
      resolve('no answer');
    });
    req.on('error', error => (error.message === 'socket hang up' ? undefined : reject(error)));
    req.end(body);
  });
}

function limitBuy(clientOrderId: string, quantity = '0.1', limitPrice = '49000', symbol = 'BTC-PERP'): WireOrderRequest {
  return { clientOrderId, symbol, side: 'buy', type: 'limit', quantity, limitPrice, reduceOnly: false };
}

function marketBuy(clientOrderId: string, quantity: string): WireOrderRequest {
  return { clientOrderId, symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity, reduceOnly: false };
}

function errorCode(reply: Reply): string {
  return decodeError(reply.json).code;
}

/** The promise, or a failure naming what did not finish in time. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- user channel client ----

class ChannelClient {
  readonly messages: ChannelMessage[] = [];
  readonly undecodable: string[] = [];
  readonly closed: Promise<number>;
  private readonly waiters = new ConditionWaiters();

  constructor(readonly socket: WebSocket) {
    socket.on('error', () => undefined);
    socket.on('message', data => {
      const text = data.toString();
      try {
        this.messages.push(decodeChannelMessage(text));
      } catch {
        this.undecodable.push(text);
      }
      this.waiters.changed();
    });
    this.closed = new Promise(resolve => socket.on('close', code => resolve(code)));
  }

  reports(): Extract<ChannelMessage, { type: 'report' }>[] {
    return this.messages.filter((m): m is Extract<ChannelMessage, { type: 'report' }> => m.type === 'report');
  }

  /** Resolves once the predicate holds over what has arrived, or rejects after timeoutMs. */
  until(predicate: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
    return this.waiters.until(predicate, timeoutMs, () => new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages)}`));
  }

  close(): void {
    this.socket.terminate();
  }
}

function wsUrl(h: Harness): string {
  return `ws://127.0.0.1:${h.server.port}${USER_CHANNEL_PATH}`;
}

async function connect(h: Harness, credential: BrokerCredential = TRADER): Promise<ChannelClient> {
  const client = new ChannelClient(new WebSocket(wsUrl(h), { headers: signedHeaders(h, credential, 'GET', USER_CHANNEL_PATH, '') }));
  await client.until(() => client.messages.some(m => m.type === 'welcome'), 'welcome');
  return client;
}

/** The HTTP status a refused WebSocket handshake got. */
function refusedUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.on('open', () => reject(new Error('the handshake was accepted')));
    socket.on('error', () => undefined);
    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
  });
}

// ---- REST ----

test('orders round trip with decimal strings: place, get, replace, open orders, cancel, market fill, positions, balance, fills, book, cancel-all', async t => {
  const h = await harness(t);
  const placed = await api(h, 'POST', '/orders', limitBuy('CO-1'));
  assert.equal(placed.status, 200);
  assert.equal(placed.json.duplicate, false);
  const order = decodeOrder(placed.json.order);
  assert.equal(order.status, 'open');
  assert.equal((placed.json.order as Record<string, unknown>).quantity, '0.1');
  assert.equal((placed.json.order as Record<string, unknown>).limitPrice, '49000');

  const got = await api(h, 'GET', '/orders/CO-1');
  assert.equal(got.status, 200);
  assert.equal(decodeOrder(got.json.order).brokerOrderId, order.brokerOrderId);

  const replaced = await api(h, 'PATCH', '/orders/CO-1', { quantity: '0.2', limitPrice: '49500' });
  assert.equal(replaced.status, 200);
  assert.equal(decodeOrder(replaced.json.order).quantity.toString(), '0.2');
  assert.equal(decodeOrder(replaced.json.order).limitPrice?.toString(), '49500');

  const open = await api(h, 'GET', '/orders?status=open');
  assert.deepEqual(decodeArray(open.json, 'orders', decodeOrder).map(o => o.clientOrderId), ['CO-1']);

  const cancelled = await api(h, 'DELETE', '/orders/CO-1');
  assert.equal(cancelled.status, 200);
  assert.equal(decodeOrder(cancelled.json.order).status, 'cancelled');
  assert.equal(decodeArray((await api(h, 'GET', '/orders?status=open')).json, 'orders', decodeOrder).length, 0);

  const market = await api(h, 'POST', '/orders', marketBuy('CO-2', '0.01'));
  assert.equal(decodeOrder(market.json.order).status, 'filled');
  assert.equal(decodeOrder(market.json.order).averageFillPrice.toString(), '50000');

  const positions = decodeArray((await api(h, 'GET', '/positions')).json, 'positions', decodePosition);
  assert.deepEqual(positions.map(p => [p.symbol, p.netQuantity.toString(), p.averageEntryPrice.toString()]), [['BTC-PERP', '0.01', '50000']]);

  // 0.01 x 50,000 at the 5 bps taker fee is 0.25 off the 100,000 deposit.
  const balance = decodeBalance((await api(h, 'GET', '/balance')).json.balance);
  assert.equal(balance.cash.toString(), '99999.75');

  const fills = await api(h, 'GET', '/fills?since=0&limit=10');
  const fillList = decodeFillPage(fills.json, 0, 10).fills;
  assert.deepEqual([fills.json.cursor, fills.json.more], [1, false]);
  assert.deepEqual(fillList.map(f => [f.clientOrderId, f.quantity.toString(), f.price.toString(), f.fee.toString()]), [['CO-2', '0.01', '50000', '0.25']]);
  assert.equal(decodeFillPage((await api(h, 'GET', '/fills?since=1&limit=10')).json, 1, 10).fills.length, 0);

  const book = decodeBook((await api(h, 'GET', '/book/BTC-PERP')).json.book);
  assert.equal(book.asks[0].quantity.toString(), '999.99');
  assert.equal(book.bids[0].price.toString(), '50000');

  await api(h, 'POST', '/orders', limitBuy('CO-3'));
  await api(h, 'POST', '/orders', limitBuy('CO-4'));
  const all = await api(h, 'POST', '/orders/cancel-all');
  assert.equal(all.status, 200);
  assert.deepEqual(all.json.cancelled, ['CO-3', 'CO-4']);
  assert.equal(h.core.openOrders().length, 0);
  assert.deepEqual(h.core.requests.map(r => r.action), ['place', 'get-order', 'replace', 'cancel', 'place', 'place', 'place', 'cancel-all']);
});

test('a reused client order id returns the same order, marked duplicate, and the broker holds one order', async t => {
  const h = await harness(t);
  const first = await api(h, 'POST', '/orders', limitBuy('CO-DUP'));
  const second = await api(h, 'POST', '/orders', limitBuy('CO-DUP', '0.5'));
  assert.equal(second.status, 200);
  assert.equal(second.json.duplicate, true);
  assert.equal(decodeOrder(second.json.order).brokerOrderId, decodeOrder(first.json.order).brokerOrderId);
  assert.equal(decodeOrder(second.json.order).quantity.toString(), '0.1');
  assert.equal(h.core.allOrders().length, 1);
});

test('venue refusals are 400 with the venue reason code; unknown orders are 404', async t => {
  const h = await harness(t);
  const cases: [WireOrderRequest, string][] = [
    [limitBuy('R-1', '0.1', '49000', 'DOGE-PERP'), 'UNKNOWN_SYMBOL'],
    [limitBuy('R-2', '0.1', '49000.3'), 'TICK_SIZE'],
    [limitBuy('R-3', '0.0001'), 'LOT_SIZE'],
    [limitBuy('R-4', '0.001', '5000'), 'MIN_NOTIONAL'],
    [limitBuy('R-5', '100'), 'INSUFFICIENT_MARGIN'],
  ];
  for (const [order, code] of cases) {
    const reply = await api(h, 'POST', '/orders', order);
    assert.equal(reply.status, 400, code);
    assert.equal(errorCode(reply), code);
    assert.ok(decodeError(reply.json).message.length > 0);
  }
  assert.equal(h.core.allOrders().length, 0);

  const unknownGet = await api(h, 'GET', '/orders/NOPE');
  assert.deepEqual([unknownGet.status, errorCode(unknownGet)], [404, 'UNKNOWN_ORDER']);
  await api(h, 'POST', '/orders', limitBuy('R-6'));
  await api(h, 'DELETE', '/orders/R-6');
  const notOpen = await api(h, 'DELETE', '/orders/R-6');
  assert.deepEqual([notOpen.status, errorCode(notOpen)], [400, 'ORDER_NOT_OPEN']);
});

test('a cancel that overtakes its order is acknowledged and remembered: the order arriving after it is refused and never booked', async t => {
  const h = await harness(t);
  const cancel = await api(h, 'DELETE', '/orders/LATE-1');
  assert.equal(cancel.status, 200);
  assert.deepEqual(decodeCancelAnswer(cancel.json), { clientOrderId: 'LATE-1', beforeArrival: true });
  const again = await api(h, 'DELETE', '/orders/LATE-1');
  assert.deepEqual([again.status, decodeCancelAnswer(again.json).beforeArrival], [200, true], 'a cancel sent again gets the same answer');
  const late = await api(h, 'POST', '/orders', limitBuy('LATE-1'));
  assert.deepEqual([late.status, errorCode(late)], [400, 'CANCELLED_BEFORE_ARRIVAL']);
  const unknown = await api(h, 'GET', '/orders/LATE-1');
  assert.deepEqual([unknown.status, errorCode(unknown)], [404, 'UNKNOWN_ORDER'], 'the broker never had the order');
  assert.deepEqual(h.core.allOrders(), []);
  assert.deepEqual(h.core.requests.map(r => r.action), ['cancel', 'cancel', 'place', 'get-order']);

  await api(h, 'POST', '/orders', limitBuy('ON-TIME-1'));
  const normal = await api(h, 'DELETE', '/orders/ON-TIME-1');
  const answer = decodeCancelAnswer(normal.json);
  assert.deepEqual([answer.beforeArrival, answer.order?.status], [false, 'cancelled'], 'a cancel of a booked order answers with the order');
});

test('malformed JSON and wrong types are 400 INVALID_REQUEST and reach no order book', async t => {
  const h = await harness(t);
  for (const body of ['{"clientOrderId":', JSON.stringify({ ...limitBuy('B-1'), quantity: 12 }), JSON.stringify({ ...limitBuy('B-2'), reduceOnly: 'no' }), '[]']) {
    const reply = await api(h, 'POST', '/orders', body);
    assert.deepEqual([reply.status, errorCode(reply)], [400, 'INVALID_REQUEST'], body);
  }
  const badReplace = await api(h, 'PATCH', '/orders/B-1', { quantity: 'lots' });
  assert.deepEqual([badReplace.status, errorCode(badReplace)], [400, 'INVALID_REQUEST']);
  const badCursor = await api(h, 'GET', '/fills?since=-1');
  assert.deepEqual([badCursor.status, errorCode(badCursor)], [400, 'INVALID_REQUEST']);
  assert.equal(h.core.requests.length, 0);
});

test('a body over MAX_BODY_BYTES is 413 PAYLOAD_TOO_LARGE and never reaches the broker', async t => {
  const h = await harness(t);
  const reply = await api(h, 'POST', '/orders', 'x'.repeat(MAX_BODY_BYTES + 1));
  assert.deepEqual([reply.status, errorCode(reply)], [413, 'PAYLOAD_TOO_LARGE']);
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.server.port, method: 'POST', path: `${API_PREFIX}/orders`, agent: false }, res => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let i = 0; i < 5; i += 1) req.write('x'.repeat(16 * 1024));
    req.end();
  });
  assert.equal(chunked, 413, 'a chunked body without a length is cut off at the limit too');
  assert.equal(h.core.requests.length, 0);
  assert.equal((await api(h, 'GET', '/balance')).status, 200, 'the server still answers afterwards');
});

test('unknown paths are 404 NOT_FOUND', async t => {
  const h = await harness(t);
  const unsigned = await send(h.server.port, 'GET', '/nowhere', '', {});
  assert.deepEqual([unsigned.status, errorCode(unsigned)], [404, 'NOT_FOUND']);
  const signed = await api(h, 'GET', '/nowhere');
  assert.deepEqual([signed.status, errorCode(signed)], [404, 'NOT_FOUND']);
});

// ---- auth, permissions, rate limit, maintenance ----

test('401: missing headers, unknown key, revoked key, bad signature, timestamp outside the window, reused nonce', async t => {
  const h = await harness(t);
  const path = `${API_PREFIX}/balance`;
  const missing = await send(h.server.port, 'GET', path, '', {});
  assert.deepEqual([missing.status, errorCode(missing)], [401, 'UNAUTHORIZED']);

  const stranger = await send(h.server.port, 'GET', path, '', signedHeaders(h, { key: 'stranger-key-9', secret: 'x', permissions: ['read'] }, 'GET', path, ''));
  assert.deepEqual([stranger.status, errorCode(stranger)], [401, 'UNAUTHORIZED']);

  const wrongSecret = await send(h.server.port, 'GET', path, '', signedHeaders(h, { ...TRADER, secret: 'not-the-secret' }, 'GET', path, ''));
  assert.deepEqual([wrongSecret.status, errorCode(wrongSecret)], [401, 'BAD_SIGNATURE']);

  // The signature covers the path: a signed GET /balance replayed against /positions fails.
  const otherPath = await send(h.server.port, 'GET', `${API_PREFIX}/positions`, '', signedHeaders(h, TRADER, 'GET', path, ''));
  assert.deepEqual([otherPath.status, errorCode(otherPath)], [401, 'BAD_SIGNATURE']);

  const stale = signedHeaders(h, TRADER, 'GET', path, '');
  h.clock.advance(5001);
  const late = await send(h.server.port, 'GET', path, '', stale);
  assert.deepEqual([late.status, errorCode(late)], [401, 'TIMESTAMP_OUTSIDE_WINDOW']);
  const early = await send(h.server.port, 'GET', path, '', signedHeaders(h, TRADER, 'GET', path, '', { timestamp: String(h.clock.now().getTime() + 6000) }));
  assert.deepEqual([early.status, errorCode(early)], [401, 'TIMESTAMP_OUTSIDE_WINDOW']);

  const once = signedHeaders(h, TRADER, 'GET', path, '');
  assert.equal((await send(h.server.port, 'GET', path, '', once)).status, 200);
  const replay = await send(h.server.port, 'GET', path, '', once);
  assert.deepEqual([replay.status, errorCode(replay)], [401, 'NONCE_REUSED']);

  h.server.revokeKey(TRADER.key);
  const revoked = await api(h, 'GET', '/balance');
  assert.deepEqual([revoked.status, errorCode(revoked)], [401, 'UNAUTHORIZED']);
  assert.equal(h.core.requests.length, 0);
});

test('403 PERMISSION_DENIED: a read-only key cannot trade until trade is granted', async t => {
  const h = await harness(t);
  assert.equal((await api(h, 'GET', '/balance', undefined, READER)).status, 200);
  const denied = await api(h, 'POST', '/orders', limitBuy('P-1'), READER);
  assert.deepEqual([denied.status, errorCode(denied)], [403, 'PERMISSION_DENIED']);
  assert.equal(h.core.requests.length, 0);
  h.server.grantPermissions(READER.key, ['read', 'trade']);
  assert.equal((await api(h, 'POST', '/orders', limitBuy('P-1'), READER)).status, 200);
  h.server.grantPermissions(READER.key, []);
  assert.equal((await api(h, 'GET', '/balance', undefined, READER)).status, 403);
});

test('429 RATE_LIMITED with X-RateLimit-* and Retry-After; the refused request never reaches the broker', async t => {
  const h = await harness(t, { rateLimit: { capacity: 3, refillPerSecond: 0.5 } });
  const remaining: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const reply = await api(h, 'GET', '/orders/RL-1');
    assert.equal(reply.status, 404);
    assert.equal(reply.headers['x-ratelimit-limit'], '3');
    remaining.push(String(reply.headers['x-ratelimit-remaining']));
  }
  assert.deepEqual(remaining, ['2', '1', '0']);
  const limited = await api(h, 'GET', '/orders/RL-1');
  assert.deepEqual([limited.status, errorCode(limited)], [429, 'RATE_LIMITED']);
  assert.equal(limited.headers['x-ratelimit-limit'], '3');
  assert.equal(limited.headers['x-ratelimit-remaining'], '0');
  assert.equal(limited.headers['retry-after'], '2', 'one token at 0.5 a second is 2 s away');
  assert.equal(h.core.requests.length, 3);
  assert.deepEqual(h.server.httpLog.map(e => e.remaining), [2, 1, 0, 0]);
  // The bucket is per key: another key is not limited.
  assert.equal((await api(h, 'GET', '/balance', undefined, READER)).status, 200);
  h.server.setRateLimit({ capacity: 10, refillPerSecond: 1 });
  const fresh = await api(h, 'GET', '/balance');
  assert.deepEqual([fresh.status, fresh.headers['x-ratelimit-limit'], fresh.headers['x-ratelimit-remaining']], [200, '10', '9']);
});

test('the bucket refills in real time', async t => {
  const h = await harness(t, { rateLimit: { capacity: 1, refillPerSecond: 20 } });
  assert.equal((await api(h, 'GET', '/balance')).status, 200);
  assert.equal((await api(h, 'GET', '/balance')).status, 429);
  await new Promise(resolve => setTimeout(resolve, 80));
  assert.equal((await api(h, 'GET', '/balance')).status, 200);
});

test('503 MAINTENANCE with Retry-After on every API call but the status endpoint, which reports it', async t => {
  const h = await harness(t);
  h.server.setStatus('maintenance', 120);
  const refused = await api(h, 'POST', '/orders', limitBuy('M-1'));
  assert.deepEqual([refused.status, errorCode(refused)], [503, 'MAINTENANCE']);
  assert.equal(refused.headers['retry-after'], '120');
  const unsigned = await send(h.server.port, 'GET', `${API_PREFIX}/balance`, '', {});
  assert.equal(unsigned.status, 503, 'maintenance is answered before auth');
  const status = await send(h.server.port, 'GET', `${API_PREFIX}/status`, '', {});
  assert.equal(status.status, 200);
  assert.deepEqual(status.json, { status: 'maintenance', retryAfterSeconds: 120 });
  assert.equal(h.core.requests.length, 0);
  h.server.setStatus('normal');
  assert.deepEqual((await send(h.server.port, 'GET', `${API_PREFIX}/status`, '', {})).json, { status: 'normal' });
  assert.equal((await api(h, 'POST', '/orders', limitBuy('M-1'))).status, 200);
});

test('every API answer carries the last report seq; httpLog and log lines hold no secrets, no signatures, no whole keys', async t => {
  const h = await harness(t);
  const placed = await api(h, 'POST', '/orders', marketBuy('S-1', '0.01'));
  assert.equal(placed.headers[REPORT_SEQ_HEADER], '2', 'acknowledged and filled');
  await api(h, 'GET', '/balance', undefined, { ...TRADER, secret: 'wrong' });
  await send(h.server.port, 'GET', '/nowhere', '', {});
  assert.deepEqual(
    h.server.httpLog.map(e => [e.method, e.path, e.status, e.code, e.key]),
    [
      ['POST', '/api/v1/orders', 200, undefined, redactApiKey(TRADER.key)],
      ['GET', '/api/v1/balance', 401, 'BAD_SIGNATURE', redactApiKey(TRADER.key)],
      ['GET', '/nowhere', 404, 'NOT_FOUND', undefined],
    ],
  );
  const everything = JSON.stringify([h.server.httpLog, h.logLines]);
  for (const secret of [TRADER.secret, TRADER.key, ...h.signatures]) assert.ok(!everything.includes(secret), 'a secret leaked into the logs');
  assert.equal(h.logLines.length, 3);
});

test('scripted REST faults: an error before the broker, and an answer garbled after the broker acted', async t => {
  const h = await harness(t);
  h.server.failNextRequests(2, { status: 500, code: 'INTERNAL', retryAfterSeconds: 3 }, { method: 'POST', pathPrefix: '/orders' });
  assert.equal((await api(h, 'GET', '/balance')).status, 200, 'a request the fault does not match');
  for (let i = 0; i < 2; i += 1) {
    const failed = await api(h, 'POST', '/orders', limitBuy('F-1'));
    assert.deepEqual([failed.status, errorCode(failed), failed.headers['retry-after']], [500, 'INTERNAL', '3']);
  }
  assert.equal(h.core.requests.length, 0);

  h.server.answerNextWithRaw('{"order":');
  const garbled = await api(h, 'POST', '/orders', limitBuy('F-1'));
  assert.deepEqual([garbled.status, garbled.text], [200, '{"order":']);
  assert.equal(h.core.getOrder('F-1')?.status, 'open', 'the broker booked the order the answer hid');

  h.server.answerNextWithRaw('{"order":{"quantity":12}}', 200, { method: 'GET' });
  assert.equal((await api(h, 'GET', '/orders/F-1')).text, '{"order":{"quantity":12}}');
  assert.equal((await api(h, 'GET', '/orders/F-1')).status, 200, 'the raw answer applies once');
});

test('scripted silence: a request lost on its way is never carried out; a lost answer hides an order the broker booked', async t => {
  const h = await harness(t);
  h.server.swallowNextRequest({ method: 'POST' });
  assert.equal(await callExpectingSilence(h, 'POST', '/orders', limitBuy('L-1'), 150), 'no answer');
  assert.equal(h.core.requests.length, 0);
  h.server.loseNextAnswer();
  assert.equal(await callExpectingSilence(h, 'POST', '/orders', limitBuy('L-2'), 150), 'no answer');
  assert.equal(h.core.getOrder('L-2')?.status, 'open');
  assert.equal((await api(h, 'POST', '/orders', limitBuy('L-3'))).status, 200, 'each applies once');
  assert.deepEqual(h.server.httpLog.map(e => e.status), [200], 'httpLog holds answers only');
  assert.deepEqual(h.logLines.filter(l => l.event === 'broker.http.unanswered').map(l => l.fault), ['request swallowed', 'answer lost']);
});

// ---- user channel ----

test('an unauthenticated or unauthorised upgrade is refused with an HTTP answer', async t => {
  const h = await harness(t);
  const anonymous = await refusedUpgrade(wsUrl(h), {});
  assert.equal(anonymous.status, 401);
  assert.equal(JSON.parse(anonymous.body).code, 'UNAUTHORIZED');
  const forged = await refusedUpgrade(wsUrl(h), signedHeaders(h, { ...TRADER, secret: 'wrong' }, 'GET', USER_CHANNEL_PATH, ''));
  assert.equal(forged.status, 401);
  h.server.grantPermissions(READER.key, ['trade']);
  assert.equal((await refusedUpgrade(wsUrl(h), signedHeaders(h, READER, 'GET', USER_CHANNEL_PATH, ''))).status, 403);
  assert.equal((await refusedUpgrade(`ws://127.0.0.1:${h.server.port}/ws/other`, signedHeaders(h, TRADER, 'GET', '/ws/other', ''))).status, 404);
  assert.equal(h.server.userChannels, 0);
});

test('welcome, then reports with one rising seq across connections, and heartbeats with a counter', async t => {
  const h = await harness(t, { heartbeatIntervalMs: 30 });
  const first = await connect(h);
  assert.deepEqual(first.messages[0], { type: 'welcome', seq: 0, epoch: h.server.session });
  assert.equal(h.server.userChannels, 1);

  await api(h, 'POST', '/orders', marketBuy('W-1', '0.01'));
  await first.until(() => first.reports().length === 2, 'two reports');
  const [ack, fill] = first.reports();
  assert.deepEqual([ack.seq, ack.report.type, fill.seq, fill.report.type], [1, 'acknowledged', 2, 'fill']);
  assert.ok(fill.report.type === 'fill' && fill.report.price.eq(50_000) && fill.report.quantity.eq('0.01'));

  const second = await connect(h);
  assert.deepEqual(second.messages[0], { type: 'welcome', seq: 2, epoch: h.server.session });
  await api(h, 'POST', '/orders', limitBuy('W-2'));
  await second.until(() => second.reports().length === 1, 'the report after the welcome');
  assert.equal(second.reports()[0].seq, 3);

  await first.until(() => first.messages.filter(m => m.type === 'heartbeat').length >= 2, 'two heartbeats');
  const counters = first.messages.flatMap(m => (m.type === 'heartbeat' ? [m.counter] : []));
  assert.ok(counters[1] > counters[0]);
  h.server.stopHeartbeats();
  await new Promise(resolve => setTimeout(resolve, 40));
  const beatsWhenStopped = first.messages.filter(m => m.type === 'heartbeat').length;
  await new Promise(resolve => setTimeout(resolve, 100));
  assert.equal(first.messages.filter(m => m.type === 'heartbeat').length, beatsWhenStopped, 'no heartbeats while stopped');
  h.server.resumeHeartbeats();
  await first.until(() => first.messages.filter(m => m.type === 'heartbeat').length > beatsWhenStopped, 'heartbeats again');
  first.close();
  second.close();
});

test('skipNextSequence leaves a gap of one', async t => {
  const h = await harness(t);
  const client = await connect(h);
  h.server.skipNextSequence();
  await api(h, 'POST', '/orders', marketBuy('G-1', '0.01'));
  await client.until(() => client.reports().length === 1, 'the report after the gap');
  assert.deepEqual(client.reports().map(r => [r.seq, r.report.type]), [[2, 'fill']]);
  client.close();
});

test('a restart keeps the books and the port, names a new session and numbers its reports from 1 again', async t => {
  const h = await harness(t);
  const before = await connect(h);
  await api(h, 'POST', '/orders', marketBuy('R-1', '0.01'));
  await before.until(() => before.reports().length === 2, 'acknowledged and filled');
  const [port, session] = [h.server.port, h.server.session];
  assert.ok(before.reports().every(r => r.epoch === session), 'every report names its session');

  await within(2000, h.server.restart(), 'restart()');
  assert.equal(await before.closed, 1006, 'the restart drops every channel');
  assert.equal(h.server.port, port, 'same port');
  assert.notEqual(h.server.session, session, 'a new session');

  const after = await connect(h);
  assert.deepEqual(after.messages[0], { type: 'welcome', seq: 0, epoch: h.server.session });
  const placed = await api(h, 'POST', '/orders', marketBuy('R-2', '0.01'));
  assert.deepEqual([placed.headers[REPORT_SEQ_HEADER], placed.headers[REPORT_EPOCH_HEADER]], ['2', h.server.session]);
  await after.until(() => after.reports().length === 2, 'the new session\'s reports');
  assert.deepEqual(after.reports().map(r => [r.seq, r.epoch, r.report.type]), [[1, h.server.session, 'acknowledged'], [2, h.server.session, 'fill']]);
  assert.equal(h.core.fills(0, 500).fills.length, 2, 'the books outlived the restart');
  after.close();
});

test('misnumbering faults: a report under the last seq uses up no new one; a forged heartbeat names any seq', async t => {
  const h = await harness(t, { heartbeatIntervalMs: 60_000 });
  const client = await connect(h);
  await api(h, 'POST', '/orders', limitBuy('N-1', '1'));
  await client.until(() => client.reports().length === 1, 'the acknowledgement');
  h.server.reuseSequenceForNextReport();
  h.core.tradeAgainst('N-1', new Decimal('0.4'));
  h.core.tradeAgainst('N-1', new Decimal('0.6'));
  await client.until(() => client.reports().length === 3, 'two fills');
  assert.deepEqual(client.reports().map(r => [r.seq, r.report.type]), [[1, 'acknowledged'], [1, 'fill'], [2, 'fill']]);

  h.server.sendForgedHeartbeat(Number.MAX_SAFE_INTEGER);
  await client.until(() => client.messages.some(m => m.type === 'heartbeat'), 'the forged heartbeat');
  assert.deepEqual(client.messages.filter(m => m.type === 'heartbeat').map(m => m.type === 'heartbeat' && [m.seq, m.epoch]), [[Number.MAX_SAFE_INTEGER, h.server.session]]);
  client.close();
});

test('garbleNextReport sends the next report cut in half, its seq used up', async t => {
  const h = await harness(t);
  const client = await connect(h);
  h.server.garbleNextReport();
  await api(h, 'POST', '/orders', marketBuy('G-2', '0.01'));
  await client.until(() => client.reports().length === 1 && client.undecodable.length === 1, 'a garbled and an intact report');
  assert.ok(client.undecodable[0].startsWith('{"type":"report","seq":1'));
  assert.deepEqual(client.reports().map(r => [r.seq, r.report.type]), [[2, 'fill']]);
  client.close();
});

test('dropUserChannels closes every client abruptly', async t => {
  const h = await harness(t);
  const client = await connect(h);
  h.server.dropUserChannels();
  assert.equal(await client.closed, 1006, 'no close frame: abnormal closure');
  await new Promise(resolve => setTimeout(resolve, 20));
  assert.equal(h.server.userChannels, 0);
});

test('report faults: a suppressed fill, a misreported price, an old frame, a redelivered fill, a forged fill, a raw frame', async t => {
  const h = await harness(t);
  const client = await connect(h);
  h.server.suppressNextFill();
  await api(h, 'POST', '/orders', marketBuy('X-1', '0.01'));
  await client.until(() => client.reports().length === 1, 'the acknowledgement');
  assert.deepEqual(client.reports().map(r => [r.seq, r.report.type]), [[1, 'acknowledged']], 'the fill is gone and used no seq');

  h.server.misreportNextFillPrice(new Decimal('51234.5'));
  await api(h, 'POST', '/orders', marketBuy('X-2', '0.01'));
  await client.until(() => client.reports().length === 3, 'the second order');
  const misreported = client.reports()[2];
  assert.ok(misreported.seq === 3 && misreported.report.type === 'fill' && misreported.report.price.eq('51234.5'));
  assert.equal(h.core.fillHistory()[1].price.toString(), '50000', 'the broker booked the true price');

  h.server.resendOldFrame();
  h.server.redeliverLastFill();
  h.server.sendForgedFill({ ...h.core.fillHistory()[1], tradeId: 'SIM-T999', clientOrderId: 'NEVER-PLACED' });
  await client.until(() => client.reports().length === 6, 'resent, redelivered and forged frames');
  const [old, again, forged] = client.reports().slice(3);
  assert.deepEqual([old.seq, old.report.type], [2, 'acknowledged']);
  assert.ok(again.seq === 4 && again.report.type === 'fill' && again.report.tradeId === 'SIM-T2' && again.report.price.eq(50_000));
  assert.ok(forged.seq === 5 && forged.report.clientOrderId === 'NEVER-PLACED');

  h.server.sendRawFrame('{"type":"report","seq":');
  h.server.sendRawFrame(JSON.stringify({ type: 'report', seq: 'six', report: {} }));
  h.server.sendRawFrame(`"${'x'.repeat(MAX_FRAME_BYTES + 1)}"`);
  await client.until(() => client.undecodable.length === 3, 'three undecodable frames');
  client.close();
});

test('a frame over maxPayload from a client closes only that channel, and the server keeps serving', async t => {
  const h = await harness(t);
  const client = await connect(h);
  client.socket.send('x'.repeat(MAX_FRAME_BYTES + 1));
  assert.equal(await client.closed, 1009);
  assert.equal((await api(h, 'GET', '/balance')).status, 200);
  const again = await connect(h);
  assert.equal(again.messages[0].type, 'welcome');
  again.close();
});

// ---- shutdown ----

test('stop() closes keep-alive sockets and user channels and frees the port', async t => {
  const h = await harness(t, { heartbeatIntervalMs: 10 });
  const agent = new Agent({ keepAlive: true });
  const path = `${API_PREFIX}/balance`;
  assert.equal((await send(h.server.port, 'GET', path, '', signedHeaders(h, TRADER, 'GET', path, ''), agent)).status, 200);
  const idle = Object.values(agent.freeSockets).flat();
  assert.equal(idle.length, 1, 'a kept-alive socket is idle in the pool');
  const idleClosed = new Promise(resolve => idle[0]?.once('close', resolve));
  const client = await connect(h);
  const port = h.server.port;
  // A request whose body never finishes arriving: stop() must not wait for it.
  const hanging = request({ host: '127.0.0.1', port, method: 'POST', path: `${API_PREFIX}/orders`, agent: false, headers: { 'content-length': '100' } });
  const hangingFailed = new Promise<Error>(resolve => hanging.on('error', resolve));
  hanging.write('{"clientOrderId":');
  await new Promise(resolve => setTimeout(resolve, 20));
  await within(2000, h.server.stop(), 'stop()');
  await idleClosed;
  assert.match((await hangingFailed).message, /socket hang up|ECONNRESET/);
  assert.equal(await client.closed, 1006);
  assert.equal(h.server.userChannels, 0);
  await assert.rejects(send(port, 'GET', '/api/v1/status', '', {}), /ECONNREFUSED/);
  agent.destroy();

  await h.server.start();
  const afterRestart = await connect(h);
  assert.equal(afterRestart.messages[0].type, 'welcome', 'a restarted server serves again, on a new port');
  afterRestart.close();
});

test('a process that ran a server with traffic exits by itself promptly after stop()', async () => {
  const root = join(__dirname, '..');
  const script = `
    const http = require('node:http');
    const WebSocket = require('ws');
    const { BrokerServer } = require(${JSON.stringify(join(root, 'support/simulators/broker/broker-server'))});
    const { BrokerSimulatorCore } = require(${JSON.stringify(join(root, 'support/simulators/broker/broker-core'))});
    const { VirtualClock } = require(${JSON.stringify(join(root, 'domain/shared/clock'))});
    const { DEFAULT_INSTRUMENTS } = require(${JSON.stringify(join(root, 'domain/model/instrument'))});
    const { signRequest } = require(${JSON.stringify(join(root, 'domain/execution/wire-protocol'))});
    const clock = new VirtualClock();
    const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
    const credential = { key: 'k-123456789', secret: 's', permissions: ['read', 'trade'] };
    const server = new BrokerServer({ core, clock, credentials: [credential], heartbeatIntervalMs: 10 });
    let n = 0;
    const headers = (path) => {
      const ts = String(clock.now().getTime()); const nonce = String(++n);
      return { 'x-api-key': credential.key, 'x-timestamp': ts, 'x-nonce': nonce, 'x-signature': signRequest(credential.secret, ts, nonce, 'GET', path, '') };
    };
    (async () => {
      await server.start();
      const agent = new http.Agent({ keepAlive: true });
      await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port: server.port, path: '/api/v1/balance', agent, headers: headers('/api/v1/balance') }, res => { res.resume(); res.on('end', resolve); }).on('error', reject));
      const ws = new WebSocket('ws://127.0.0.1:' + server.port + '/ws/user', { headers: headers('/ws/user') });
      ws.on('error', () => undefined);
      await new Promise(resolve => ws.once('message', resolve));
      await server.stop();
      process.stdout.write('stopped\\n');
    })().catch(error => { console.error(error); process.exitCode = 1; });
  `;
  const child = spawn(process.execPath, ['-r', 'ts-node/register', '-e', script], { cwd: root, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } });
  let output = '';
  let stoppedAt = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('stopped') && stoppedAt === 0) stoppedAt = Date.now();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>(resolve => child.on('exit', exitCode => resolve(exitCode)));
  clearTimeout(killer);
  assert.equal(code, 0, output);
  assert.ok(stoppedAt > 0, output);
  assert.ok(Date.now() - stoppedAt < 1000, `the process lingered ${Date.now() - stoppedAt} ms after stop()`);
});

test('a captured signature spliced into another request is refused with BAD_SIGNATURE and changes nothing', async t => {
  const h = await harness(t);
  assert.equal((await api(h, 'POST', '/orders', limitBuy('A'))).status, 200);
  assert.equal((await api(h, 'POST', '/orders', limitBuy('A1'))).status, 200);
  const requestsBefore = h.core.requests.length;
  const now = h.clock.now().getTime();
  const splices: { what: string; signed: [string, string, string, string, string]; sent: [string, string, string, string, string] }[] = [
    // [timestamp, nonce, method, path, body]
    { what: 'path into body', signed: [String(now), 'nonce-1', 'DELETE', `${API_PREFIX}/orders/A1`, ''], sent: [String(now), 'nonce-1', 'DELETE', `${API_PREFIX}/orders/A`, '1'] },
    { what: 'query into body', signed: [String(now), 'nonce-2', 'GET', `${API_PREFIX}/fills?since=10`, ''], sent: [String(now), 'nonce-2', 'GET', `${API_PREFIX}/fills?since=1`, '0'] },
    { what: 'timestamp into nonce', signed: [`${now}7`, 'nonce-3', 'GET', `${API_PREFIX}/balance`, ''], sent: [String(now), '7nonce-3', 'GET', `${API_PREFIX}/balance`, ''] },
    { what: 'nonce into timestamp', signed: [String(now).slice(0, -1), `${String(now).slice(-1)}nonce-4`, 'GET', `${API_PREFIX}/balance`, ''], sent: [String(now), 'nonce-4', 'GET', `${API_PREFIX}/balance`, ''] },
  ];
  const outcomes: [string, number, unknown][] = [];
  for (const { what, signed, sent } of splices) {
    const [timestamp, nonce, method, path, body] = signed;
    const signature = signRequest(TRADER.secret, timestamp, nonce, method, path, body);
    const [sentTimestamp, sentNonce, sentMethod, sentPath, sentBody] = sent;
    const headers = { [AUTH_HEADERS.key]: TRADER.key, [AUTH_HEADERS.timestamp]: sentTimestamp, [AUTH_HEADERS.nonce]: sentNonce, [AUTH_HEADERS.signature]: signature };
    const reply = await send(h.server.port, sentMethod, sentPath, sentBody, headers);
    outcomes.push([what, reply.status, reply.json.code]);
  }
  assert.deepEqual(outcomes, splices.map(s => [s.what, 401, 'BAD_SIGNATURE']));
  assert.equal(h.core.requests.length, requestsBefore, 'no spliced request reached the broker');
  assert.deepEqual(h.core.openOrders().map(o => o.clientOrderId).sort(), ['A', 'A1'], 'both orders are still open');
});

// ---- the fill history, in pages ----

test('the fill history pages: since and limit, a cursor to ask from next, more while the history goes on', async t => {
  const h = await harness(t);
  await api(h, 'POST', '/orders', limitBuy('H-1', '1', '49000'));
  for (let i = 0; i < 7; i += 1) h.core.tradeAgainst('H-1', new Decimal('0.001'));
  const page = async (query: string) => {
    const reply = await api(h, 'GET', `/fills?${query}`);
    assert.equal(reply.status, 200, query);
    return reply.json as { fills: { tradeId: string }[]; cursor: number; more: boolean };
  };
  const first = await page('since=0&limit=3');
  assert.deepEqual([first.fills.map(f => f.tradeId), first.cursor, first.more], [['SIM-T1', 'SIM-T2', 'SIM-T3'], 3, true]);
  const last = await page('since=6&limit=3');
  assert.deepEqual([last.fills.map(f => f.tradeId), last.cursor, last.more], [['SIM-T7'], 7, false]);
  const none = await page('since=7&limit=3');
  assert.deepEqual([none.fills, none.cursor, none.more], [[], 7, false]);
  assert.equal((await page('since=5')).fills.length, 2, 'limit defaults to the largest page');
});

test('a page is cut to MAX_FILL_PAGE fills and to fewer rather than an answer over MAX_BODY_BYTES; reading on gives every fill once', async t => {
  const h = await harness(t);
  await api(h, 'POST', '/orders', limitBuy('H-2', '1', '49000'));
  for (let i = 0; i < MAX_FILL_PAGE + 100; i += 1) h.core.tradeAgainst('H-2', new Decimal('0.001'));
  const seen: string[] = [];
  for (let cursor = 0, more = true; more; ) {
    const reply = await api(h, 'GET', `/fills?since=${cursor}&limit=100000`);
    assert.equal(reply.status, 200);
    assert.ok(Buffer.byteLength(reply.text) <= MAX_BODY_BYTES, `a page of ${Buffer.byteLength(reply.text)} bytes`);
    const fills = decodeFillPage(reply.json, cursor, MAX_FILL_PAGE);
    assert.ok(fills.fills.length > 0 || !fills.more);
    seen.push(...fills.fills.map(f => f.tradeId));
    ({ cursor, more } = fills);
  }
  assert.deepEqual(seen, h.core.fillHistory().map(f => f.tradeId));
  const small = await api(h, 'GET', '/fills?since=0&limit=10000');
  assert.ok((small.json.fills as unknown[]).length < MAX_FILL_PAGE, 'the byte limit cuts the page before the count does');
});

test('a bad since or limit, a cursor past the history and unknown or repeated parameters are 400 INVALID_REQUEST', async t => {
  const h = await harness(t);
  await api(h, 'POST', '/orders', marketBuy('H-3', '0.01'));
  const requestsBefore = h.core.requests.length;
  for (const query of ['since=-1', 'since=abc', 'since=1.5', 'since=', 'limit=0', 'limit=-5', 'limit=1.5', 'limit=x', 'since=2', 'since=99999', 'since=0&cursor=1', 'since=0&since=1', 'limit=1&limit=2']) {
    const reply = await api(h, 'GET', `/fills?${query}`);
    assert.deepEqual([reply.status, errorCode(reply)], [400, 'INVALID_REQUEST'], query);
  }
  assert.equal(h.core.requests.length, requestsBefore);
  assert.equal((await api(h, 'GET', '/fills?since=1&limit=1')).status, 200, 'the end of the history is a cursor');
});

// ---- bounded memory ----

test('the per-request logs keep only their last entries and count the ones they dropped', async t => {
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS, requestLogCapacity: 3 });
  const server = new BrokerServer({ core, clock, credentials: [TRADER], httpLogCapacity: 3 });
  await server.start();
  t.after(() => server.stop());
  const h: Harness = { server, core, clock, logLines: [], signatures: [] };
  for (let i = 1; i <= 5; i += 1) assert.equal((await api(h, 'GET', `/orders/B-${i}`)).status, 404);
  assert.deepEqual(server.httpLog.map(e => e.path), ['/api/v1/orders/B-3', '/api/v1/orders/B-4', '/api/v1/orders/B-5']);
  assert.equal(server.httpLogDropped, 2);
  assert.deepEqual(core.requests.map(r => r.clientOrderId), ['B-3', 'B-4', 'B-5']);
  assert.equal(core.requestsDropped, 2);
});

test('a page cut short by the byte limit on the last page of the history still says more, so a client reads on to the end', async t => {
  const h = await harness(t);
  await api(h, 'POST', '/orders', limitBuy('H-4', '1', '49000'));
  for (let i = 0; i < MAX_FILL_PAGE; i += 1) h.core.tradeAgainst('H-4', new Decimal('0.001'));
  assert.equal(h.core.fills(0, MAX_FILL_PAGE).more, false, 'the whole history is one page of the broker\'s');
  const first = await api(h, 'GET', `/fills?since=0&limit=${MAX_FILL_PAGE}`);
  const page = decodeFillPage(first.json, 0, MAX_FILL_PAGE);
  assert.ok(page.cursor < MAX_FILL_PAGE, `the byte limit cuts the page: cursor ${page.cursor}`);
  assert.equal(page.more, true, 'a page cut short says more');
  const seen = page.fills.map(f => f.tradeId);
  for (let cursor = page.cursor, more: boolean = page.more; more; ) {
    const next = decodeFillPage((await api(h, 'GET', `/fills?since=${cursor}&limit=${MAX_FILL_PAGE}`)).json, cursor, MAX_FILL_PAGE);
    seen.push(...next.fills.map(f => f.tradeId));
    ({ cursor, more } = next);
  }
  assert.equal(seen.length, MAX_FILL_PAGE);
  assert.deepEqual(seen, h.core.fillHistory().map(f => f.tradeId));
});
