import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { VirtualClock, Decimal, SeededRandom, TradingError } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { NetworkBrokerGateway, API_PREFIX, MAX_BODY_BYTES } from '../domain/execution';
import { BrokerSimulatorCore, BrokerServer } from '../support/simulators/broker';

const KEY = 'trader-key';
const SECRET = 'trader-secret-Zq81';
const SEED = 20260105;

async function broker(t: { after: (fn: () => Promise<void>) => void }): Promise<{ server: BrokerServer; clock: VirtualClock; log: Record<string, unknown>[] }> {
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  const log: Record<string, unknown>[] = [];
  const server = new BrokerServer({ core, clock, credentials: [{ key: KEY, secret: SECRET, permissions: ['read', 'trade'] }], log: line => log.push(line) });
  await server.start();
  t.after(() => server.stop());
  return { server, clock, log };
}

/** A gateway as a freshly started process builds it: same name, same key, same seed. */
function gateway(server: BrokerServer, clock: VirtualClock, random: () => number): NetworkBrokerGateway {
  return new NetworkBrokerGateway({ name: 'SIM', baseUrl: `http://127.0.0.1:${server.port}`, apiKey: KEY, apiSecret: SECRET, clock, random, requestTimeoutMs: 2_000, retry: { attempts: 1, baseDelayMs: 1 } });
}

test('a restarted process with the same seed signs with nonces the broker has not seen: no NONCE_REUSED', async t => {
  const { server, clock, log } = await broker(t);
  for (let life = 1; life <= 3; life += 1) {
    const rng = new SeededRandom(SEED);
    const gw = gateway(server, clock, () => rng.next());
    try {
      for (let i = 0; i < 5; i += 1) await gw.balance();
    } finally {
      await gw.close();
    }
  }
  const refusals = log.filter(line => JSON.stringify(line).includes('NONCE_REUSED'));
  assert.deepEqual(refusals, [], 'the broker refused a nonce it had already seen');
});

test('nonces draw nothing from the seeded generator, so backoff jitter replays the same for a seed', async t => {
  const { server, clock } = await broker(t);
  let draws = 0;
  const gw = gateway(server, clock, () => {
    draws += 1;
    return 0.5;
  });
  try {
    for (let i = 0; i < 5; i += 1) await gw.balance();
  } finally {
    await gw.close();
  }
  assert.equal(draws, 0);
});

// ---- what the gateway refuses to read, against a plain HTTP server that answers whatever a test says ----

type Stub = (req: IncomingMessage) => string;

/** A loopback server that answers every request 200 with the body the stub gives, and a gateway pointed at it. */
async function stubBroker(t: { after: (fn: () => Promise<void>) => void }, answer: Stub): Promise<{ gw: NetworkBrokerGateway; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    paths.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      res.on('error', () => undefined);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer(req));
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const clock = new VirtualClock();
  const gw = new NetworkBrokerGateway({ name: 'SIM', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: KEY, apiSecret: SECRET, clock, random: () => 0.5, requestTimeoutMs: 2_000, retry: { attempts: 1, baseDelayMs: 1 } });
  t.after(async () => {
    await gw.close();
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
  });
  return { gw, paths };
}

function isKind(kind: string, message?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof TradingError, `expected a TradingError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    if (message) assert.match(error.message, message);
    return true;
  };
}

const BALANCE = '{"balance":{"currency":"USD","cash":"1"}}';

test('an answer over MAX_BODY_BYTES is a protocol error, however it ends; one of exactly MAX_BODY_BYTES is read', async t => {
  const padded = (bytes: number) => BALANCE + ' '.repeat(bytes - Buffer.byteLength(BALANCE));
  let body = padded(MAX_BODY_BYTES);
  const { gw } = await stubBroker(t, () => body);
  assert.equal((await gw.balance()).cash.toString(), '1', 'JSON may end in white space');
  body = padded(MAX_BODY_BYTES + 1);
  await assert.rejects(gw.balance(), isKind('ProtocolError', new RegExp(`over ${MAX_BODY_BYTES} bytes`)));
  body = 'x'.repeat(MAX_BODY_BYTES + 1);
  await assert.rejects(gw.balance(), isKind('ProtocolError', new RegExp(`over ${MAX_BODY_BYTES} bytes`)));
});

test('an answer with a field the protocol does not have is refused, naming it, for every kind of answer', async t => {
  const order = (id: string) => ({ clientOrderId: id, brokerOrderId: 'SIM-1', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '0.1', limitPrice: '49000', filledQuantity: '0', averageFillPrice: '0', status: 'open' });
  const answers: Record<string, Record<string, unknown>> = {
    'POST /orders': { order: order('CO-1'), duplicate: false },
    'PATCH /orders/CO-1': { order: order('CO-1') },
    'GET /orders/CO-1': { order: order('CO-1') },
    'GET /balance': { balance: { currency: 'USD', cash: '1' } },
    'GET /book/BTC-PERP': { book: { symbol: 'BTC-PERP', bids: [], asks: [] } },
    'POST /orders/cancel-all': { cancelled: ['CO-1'] },
    'GET /status': { status: 'normal' },
  };
  let extra: Record<string, unknown> = {};
  const { gw } = await stubBroker(t, req => {
    const key = `${req.method} ${(req.url ?? '').slice(API_PREFIX.length)}`;
    assert.ok(answers[key], `no stub answer for ${key}`);
    return JSON.stringify({ ...answers[key], ...extra });
  });
  const calls: [string, () => Promise<unknown>][] = [
    ['submit', () => gw.submit({ clientOrderId: 'CO-1', symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal('0.1'), limitPrice: new Decimal(49_000), reduceOnly: false })],
    ['replace', () => gw.replace('CO-1', { quantity: new Decimal('0.1'), limitPrice: new Decimal(49_000) })],
    ['get order', () => gw.getOrder('CO-1')],
    ['balance', () => gw.balance()],
    ['order book', () => gw.orderBook('BTC-PERP')],
    ['cancel all', () => gw.cancelAll()],
    ['status', () => gw.status()],
  ];
  for (const [what, call] of calls) {
    extra = {};
    await call();
    extra = { postOnly: true };
    await assert.rejects(call(), isKind('ProtocolError', /postOnly/), what);
  }
});

test('the kill switch\'s answer names the orders it closed; an answer that cannot be checked is a protocol error, never "all cancelled"', async t => {
  let body = '{"cancelled":["CO-1","CO-2"]}';
  const { gw } = await stubBroker(t, () => body);
  assert.deepEqual((await gw.cancelAll()).cancelled, ['CO-1', 'CO-2']);
  for (const [malformed, why] of [
    ['{"cancelled":2}', /must be a list of client order ids/],
    ['{}', /must be a list of client order ids/],
    ['{"cancelled":["CO-1",""]}', /non-empty client order ids/],
    ['{"cancelled":["CO-1",7]}', /non-empty client order ids/],
    ['{"cancelled":["CO-1","CO-1"]}', /names CO-1 twice/],
    ['{"cancelled":[],"all":true}', /unknown field "all"/],
  ] as const) {
    body = malformed;
    await assert.rejects(gw.cancelAll(), isKind('ProtocolError', why), malformed);
  }
});

test('fills with a cursor or limit that is not a whole number in range is refused before anything is sent', async t => {
  const { server, clock } = await broker(t);
  const gw = gateway(server, clock, () => 0.5);
  t.after(() => gw.close());
  for (const [since, limit] of [[-1, 10], [1.5, 10], [Number.NaN, 10], [0, 0], [0, -1], [0, 1.5], [0, Number.POSITIVE_INFINITY]]) {
    await assert.rejects(gw.fills(since, limit), isKind('InvalidInput'), `${since}, ${limit}`);
  }
  assert.deepEqual(server.httpLog.filter(e => e.path.startsWith(`${API_PREFIX}/fills`)), [], 'no fill request reached the broker');
  assert.deepEqual((await gw.fills(0, 10)).fills, [], 'a good request goes through');
});
