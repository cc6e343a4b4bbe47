import http from 'node:http';
import { DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect } from 'chai';
import { Decimal } from '../domain/shared/decimal';
import { StoredEvent } from '../domain/state/events';
import { API_PREFIX } from '../domain/execution/wire-protocol';
import { TRADER_KEY } from '../support/broker-connection';
import { TradingWorld } from '../support/world';

type Side = 'buy' | 'sell';
type EventOfType<T extends StoredEvent['type']> = Extract<StoredEvent, { type: T }>;

function eventsOf<T extends StoredEvent['type']>(world: TradingWorld, type: T): EventOfType<T>[] {
  return world.system.events.filter((e): e is EventOfType<T> => e.type === type);
}

function lastBrokerError(world: TradingWorld): EventOfType<'BrokerErrorRecorded'> {
  const errors = eventsOf(world, 'BrokerErrorRecorded');
  expect(errors, 'broker error events').to.not.have.length(0);
  return errors[errors.length - 1];
}

function waitFor<T extends StoredEvent['type']>(world: TradingWorld, type: T, match: (e: EventOfType<T>) => boolean = () => true, fromSeq = 1): Promise<EventOfType<T>> {
  return world.waitForEvent(type, e => e.type === type && match(e as EventOfType<T>), fromSeq, 4000) as Promise<EventOfType<T>>;
}

/** "429 RATE_LIMITED" -> a scripted HTTP answer. */
function scriptedAnswer(text: string): { status: number; code: string; retryAfterSeconds?: number } {
  const match = /^(\d{3}) ([A-Z_]+)$/.exec(text);
  if (!match) throw new Error(`expected "<status> <CODE>", got "${text}"`);
  const status = Number(match[1]);
  return { status, code: match[2], ...(status === 429 ? { retryAfterSeconds: 0 } : {}) };
}

const ORDERS = { method: 'POST', pathPrefix: `${API_PREFIX}/orders` };

// ---- the network ----

When('the network to the broker goes down', async function (this: TradingWorld) {
  this.seqMark = this.system.ledger.store.length;
  await this.connection.proxy!.down();
});

When('the primary route to the broker goes down', async function (this: TradingWorld) {
  await this.connection.proxy!.down();
});

When('the primary route to the broker comes back', async function (this: TradingWorld) {
  await this.connection.proxy!.up();
});

When('the network to the broker comes back', async function (this: TradingWorld) {
  await this.connection.proxy!.up();
});

When('the network resets every connection to the broker', function (this: TradingWorld) {
  this.seqMark = this.system.ledger.store.length;
  this.connection.proxy!.resetConnections();
});

Given('the network delays everything the broker sends by {figure} ms', function (this: TradingWorld, ms: Decimal) {
  this.connection.proxy!.addToxic({ name: 'slow answers', stream: 'downstream', spec: { type: 'latency', latencyMs: ms.toNumber() } });
});

When('the network delay is removed', function (this: TradingWorld) {
  this.connection.proxy!.removeToxic('slow answers');
});

Given('the network swallows everything sent to the broker', function (this: TradingWorld) {
  this.connection.proxy!.addToxic({ name: 'black hole', stream: 'upstream', spec: { type: 'timeout', timeoutMs: 0 } });
});

When('the network stops swallowing', function (this: TradingWorld) {
  this.connection.proxy!.removeToxic('black hole');
});

Given('the network to the broker adds {int} ms ± {int} ms each way, carries {int} KB\\/s and cuts every write into pieces of about {int} bytes', function (this: TradingWorld, latencyMs: number, jitterMs: number, kbPerSecond: number, pieceBytes: number) {
  const proxy = this.connection.proxy!;
  for (const stream of ['upstream', 'downstream'] as const) {
    proxy.addToxic({ stream, spec: { type: 'latency', latencyMs, jitterMs } });
    proxy.addToxic({ stream, spec: { type: 'bandwidth', kbPerSecond } });
    proxy.addToxic({ stream, spec: { type: 'slicer', averageSize: pieceBytes, sizeVariation: pieceBytes / 2 } });
  }
  proxy.resetStats();
  this.seqMark = this.system.ledger.store.length;
});

Then('no broker error and no refused message was recorded', function (this: TradingWorld) {
  const errors = this.system.events.filter(e => e.seq > this.seqMark && ['BrokerErrorRecorded', 'BrokerMessageRejected', 'BrokerSequenceAnomaly', 'BrokerRequestRetried', 'FillRejected'].includes(e.type));
  expect(errors.map(e => e.type)).to.deep.equal([]);
});

Then('the network carried the traffic in pieces of at most {int} bytes', function (this: TradingWorld, maxBytes: number) {
  const stats = this.connection.proxy!.stats;
  expect(stats.bytesUpstream, 'bytes to the broker').to.be.greaterThan(0);
  expect(stats.largestWriteDownstream, 'largest piece towards the trading system').to.be.at.most(maxBytes);
  expect(stats.largestWriteUpstream, 'largest piece towards the broker').to.be.at.most(maxBytes);
});

// How far back the resent update lies: the last one (a plain repeat), or one before it.
for (const [which, back] of [['an earlier', 1], ['the last', 0]] as const) {
  When(`the broker sends ${which} order update again, under its old sequence number`, function (this: TradingWorld) {
    this.seqMark = this.system.ledger.store.length;
    this.connection.server!.resendOldFrame(back);
  });
}

Then('an out-of-order message was recorded on the user channel and no fill was refused', async function (this: TradingWorld) {
  const anomaly = await waitFor(this, 'BrokerSequenceAnomaly', e => e.payload.anomaly === 'out_of_order', this.seqMark);
  expect(anomaly.payload.received).to.be.lessThan(anomaly.payload.expected);
  expect(anomaly.payload.duplicate, 'recorded as a repeat of the update delivered under that number').to.equal(true);
  // The channel drops it before the engine sees it: a repeated fill never even reaches the duplicate check.
  expect(this.system.events.filter(e => e.seq > this.seqMark && e.type === 'FillRejected')).to.deep.equal([]);
});

When('the market trades {figure} {symbol} against the order while the network is down', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  expect(this.workingOrder().symbol).to.equal(symbol);
  this.broker.tradeAgainst(this.workingOrder().clientOrderId, quantity);
});

When('the broker cancels the {symbol} order while the network is down', function (this: TradingWorld, symbol: string) {
  const order = this.system.state.order(this.focusOrderId!);
  expect(order.symbol).to.equal(symbol);
  this.broker.cancelOrder(order.clientOrderId);
});

Given('the trader has another working order to {side} {figure} {symbol} at {money}', async function (this: TradingWorld, side: Side, quantity: Decimal, symbol: string, price: Decimal) {
  const result = await this.placeAndSettle({ symbol, side, type: 'limit', quantity: quantity.toString(), limitPrice: price.toString() });
  expect(result.outcome).to.equal('accepted');
  if (result.outcome === 'accepted') this.focusOrderId = result.order.clientOrderId;
});

// ---- requests held on the network (the dying process's) ----

const HELD = 'held requests';

Given('the network holds every request to the broker', function (this: TradingWorld) {
  this.connection.proxy!.addToxic({ name: HELD, stream: 'upstream', spec: { type: 'latency', latencyMs: 60_000 } });
});

When('the trading system crashes with the order\'s request still on the network', async function (this: TradingWorld) {
  await this.connection.proxy!.whenHolding('upstream', 4000);
  await this.crash();
  // What the dead process sent stays on the network; the new process's connections get through.
  this.connection.proxy!.spareNewConnections(HELD);
});

/** Release what the network holds and wait for the broker's answer to the order request in it. */
async function releaseHeldOrder(world: TradingWorld): Promise<void> {
  const server = world.connection.server!;
  let stopListening: () => void = () => undefined;
  const answered = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out after 4000 ms waiting for the broker to answer the held order request')), 4000);
    stopListening = server.onAnswered(entry => {
      if (entry.method !== 'POST' || entry.path !== `${API_PREFIX}/orders`) return;
      clearTimeout(timer);
      resolve();
    });
  });
  world.seqMark = world.system.ledger.store.length;
  world.connection.proxy!.removeToxic(HELD);
  await answered.finally(() => stopListening());
}

When('the held request reaches the broker', async function (this: TradingWorld) {
  await releaseHeldOrder(this);
});

When('the held request reaches the broker, but the broker\'s acknowledgement of it is lost on the user channel', async function (this: TradingWorld) {
  this.connection.server!.skipNextSequence();
  await releaseHeldOrder(this);
});

function expectReceiveWindow(world: TradingWorld, window: number, tolerance: number): void {
  const settings = world.system.state.settings.snapshot();
  expect(settings.broker_receive_window_ms, 'the window the system counts with').to.equal(String(window));
  expect(settings.broker_clock_tolerance_ms, "the broker clock's lag the system allows for").to.equal(String(tolerance));
}

When('{duration} pass(es), more than the broker\'s receive window of {duration} and its clock\'s tolerance of {duration}', function (this: TradingWorld, elapsed: number, window: number, tolerance: number) {
  expectReceiveWindow(this, window, tolerance);
  expect(elapsed).to.be.greaterThan(window + tolerance);
  this.clock.advance(elapsed);
});

When('{duration} pass(es), past the broker\'s receive window of {duration} but within its clock\'s tolerance of {duration}', function (this: TradingWorld, elapsed: number, window: number, tolerance: number) {
  expectReceiveWindow(this, window, tolerance);
  expect(elapsed > window && elapsed <= window + tolerance, 'past the window, within the tolerance').to.equal(true);
  this.clock.advance(elapsed);
});

Then('the broker refused the late request with {string} and holds no order for it', function (this: TradingWorld, answer: string) {
  const { status, code } = scriptedAnswer(answer);
  const refused = this.connection.server!.httpLog.filter(r => r.method === 'POST' && r.path === `${API_PREFIX}/orders`);
  expect(refused.map(r => `${r.status} ${r.code}`)).to.deep.equal([`${status} ${code}`]);
  expect(this.broker.allOrders().find(o => o.clientOrderId === this.focusOrderId)).to.equal(undefined);
});

// ---- the user channel ----

When('the broker cuts the user channel', function (this: TradingWorld) {
  this.seqMark = this.system.ledger.store.length;
  this.connection.server!.dropUserChannels();
});

When('the broker stops sending heartbeats until the channel is declared dead', async function (this: TradingWorld) {
  this.seqMark = this.system.ledger.store.length;
  this.connection.server!.stopHeartbeats();
  await waitFor(this, 'BrokerConnectionChanged', e => e.payload.state === 'lost', this.seqMark);
  this.connection.server!.resumeHeartbeats();
});

Then('the user channel was lost and connected again', async function (this: TradingWorld) {
  const lost = await waitFor(this, 'BrokerConnectionChanged', e => e.payload.state === 'lost', this.seqMark);
  await waitFor(this, 'BrokerConnectionChanged', e => e.payload.state === 'connected', lost.seq);
});

Then('the user channel is connected', async function (this: TradingWorld) {
  await waitFor(this, 'BrokerConnectionChanged', e => e.payload.state === 'connected', this.seqMark);
  await this.waitUntil('the user channel to be open', () => this.connection.wire.channelConnected);
});

Then('the system resynchronised with the broker after the {string}, recovering {int} fill(s)', async function (this: TradingWorld, trigger: string, fills: number) {
  const sync = await waitFor(this, 'StateSynchronised', e => e.payload.trigger === trigger, this.seqMark);
  expect(sync.payload.fillsRecovered).to.equal(fills);
});

Then('the system resynchronised with the broker after the {string}, recovering {int} fills and closing {int} order(s)', async function (this: TradingWorld, trigger: string, fills: number, closed: number) {
  const sync = await waitFor(this, 'StateSynchronised', e => e.payload.trigger === trigger, this.seqMark);
  expect(sync.payload.fillsRecovered, 'fills recovered').to.equal(fills);
  expect(sync.payload.ordersClosed, 'orders closed').to.equal(closed);
});

Then('the trade was applied exactly once', async function (this: TradingWorld) {
  const id = (this.workingOrderId ?? this.lastOrder().clientOrderId) as string;
  await this.settle(id);
  const atBroker = this.broker.fillHistory().filter(f => f.clientOrderId === id).map(f => f.tradeId);
  const applied = this.eventsFor(id).filter(e => e.type === 'OrderFilled').map(e => (e.type === 'OrderFilled' ? e.payload.tradeId : ''));
  expect(applied).to.have.members(atBroker);
  expect(applied).to.have.length(atBroker.length);
});

Given('the broker will garble its next report', function (this: TradingWorld) {
  this.seqMark = this.system.ledger.store.length;
  this.connection.server!.garbleNextReport();
});

When('the market trades {figure} {symbol} against the order, but its report is skipped in the sequence', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  expect(this.workingOrder().symbol).to.equal(symbol);
  this.seqMark = this.system.ledger.store.length;
  this.connection.server!.skipNextSequence();
  this.broker.tradeAgainst(this.workingOrder().clientOrderId, quantity);
});

When('the market trades {figure} {symbol} against the order, but its report reuses the last sequence number', function (this: TradingWorld, quantity: Decimal, symbol: string) {
  expect(this.workingOrder().symbol).to.equal(symbol);
  this.seqMark = this.system.ledger.store.length;
  this.connection.server!.reuseSequenceForNextReport();
  this.broker.tradeAgainst(this.workingOrder().clientOrderId, quantity);
});

Then('an out-of-order update that is not a repeat was recorded on the user channel and the system resynchronised with the broker', async function (this: TradingWorld) {
  const anomaly = await waitFor(this, 'BrokerSequenceAnomaly', e => e.payload.anomaly === 'out_of_order', this.seqMark);
  expect(anomaly.payload.duplicate, 'recorded as a repeat').to.equal(false);
  await waitFor(this, 'StateSynchronised', e => e.payload.trigger === 'out-of-order report', anomaly.seq);
});

When('the broker sends a heartbeat saying its last report was number {figure}', function (this: TradingWorld, seq: Decimal) {
  this.seqMark = this.system.ledger.store.length;
  this.connection.server!.sendForgedHeartbeat(seq.toNumber());
});

Then('an implausible sequence number was recorded on the user channel and the system resynchronised with the broker', async function (this: TradingWorld) {
  const anomaly = await waitFor(this, 'BrokerSequenceAnomaly', e => e.payload.anomaly === 'implausible_jump', this.seqMark);
  expect(anomaly.payload.received).to.equal(Number.MAX_SAFE_INTEGER);
  await waitFor(this, 'StateSynchronised', e => e.payload.trigger === 'implausible sequence number', anomaly.seq);
  expect(this.connection.wire.lastReportSequence, 'the channel\'s last report number').to.be.lessThan(Number.MAX_SAFE_INTEGER);
});

// ---- the broker restarts ----

When('the broker restarts', async function (this: TradingWorld) {
  this.seqMark = this.system.ledger.store.length;
  await this.connection.server!.restart();
  // The restart is over once the channel is back and the system has caught up with the broker.
  const connected = await waitFor(this, 'BrokerConnectionChanged', e => e.payload.state === 'connected', this.seqMark);
  await waitFor(this, 'StateSynchronised', () => true, connected.seq);
});

Then('the user channel joined a new broker session and the system resynchronised with the broker', async function (this: TradingWorld) {
  const changed = await waitFor(this, 'BrokerSessionChanged', () => true, this.seqMark);
  expect(changed.payload.session, 'the session the broker named').to.equal(this.connection.server!.session);
  expect(changed.payload.previousSession).to.not.equal(changed.payload.session);
  await waitFor(this, 'StateSynchronised', e => e.payload.trigger === 'new broker session', changed.seq);
});

Then('a sequence gap was detected on the user channel', async function (this: TradingWorld) {
  const gap = await waitFor(this, 'BrokerSequenceAnomaly', e => e.payload.anomaly === 'gap', this.seqMark);
  expect(gap.payload.received).to.be.at.least(gap.payload.expected);
  await waitFor(this, 'StateSynchronised', e => e.payload.trigger === 'sequence gap', gap.seq);
});

const BAD_FRAMES: Record<string, (world: TradingWorld) => void> = {
  'malformed JSON': world => world.connection.server!.sendRawFrame('{"type":"report","seq":'),
  'a fill whose quantity is a number': world => world.connection.server!.sendRawFrame(badFill(world, { quantity: 1 })),
  'a fill with a negative price': world => world.connection.server!.sendRawFrame(badFill(world, { price: '-50000' })),
  'an oversized frame': world => world.connection.server!.sendRawFrame(JSON.stringify({ type: 'heartbeat', counter: 1, at: 'x', padding: 'x'.repeat(70_000) })),
  'a fill for an order the system never sent': world =>
    world.connection.server!.sendForgedFill({
      type: 'fill',
      clientOrderId: 'NEVER-SENT-1',
      brokerOrderId: 'SIM-999',
      tradeId: 'SIM-T999',
      symbol: 'BTC-PERP',
      side: 'buy',
      quantity: new Decimal('0.5'),
      price: new Decimal('50000'),
      fee: new Decimal(0),
      liquidity: 'taker',
      at: world.clock.now().toISOString(),
    }),
};

function badFill(world: TradingWorld, override: Record<string, unknown>): string {
  const order = world.lastOrder();
  const report = { type: 'fill', clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId, tradeId: 'SIM-T900', symbol: order.symbol, side: 'buy', quantity: '0.1', price: '50000', fee: '0', liquidity: 'taker', at: world.clock.now().toISOString(), ...override };
  return JSON.stringify({ type: 'report', seq: 10_000, report });
}

for (const [message, send] of Object.entries(BAD_FRAMES)) {
  When(`the broker sends on the user channel ${message}`, async function (this: TradingWorld) {
    await this.reconciliationsSettled();
    this.seqMark = this.system.ledger.store.length;
    this.snapshotBeforeCrash = { position: this.system.state.position('BTC-PERP').netQuantity.toString(), cash: this.system.state.account().cash.toString() };
    send(this);
  });
}

Then('the message is refused as {string}', async function (this: TradingWorld, kind: string) {
  const refused = await this.waitForEvent(
    `a refused message of kind ${kind}`,
    e => (e.type === 'BrokerMessageRejected' || e.type === 'FillRejected') && e.payload.errorKind === kind,
    this.seqMark,
    4000,
  );
  expect(refused.payload).to.have.property('reason').that.is.a('string').and.not.empty;
});

Then('the trader\'s {symbol} position and cash are as they were', async function (this: TradingWorld, symbol: string) {
  await this.waitUntil('any resynchronisation to finish', () => true);
  expect({ position: this.system.state.position(symbol).netQuantity.toString(), cash: this.system.state.account().cash.toString() }).to.deep.equal(this.snapshotBeforeCrash);
  expect(this.system.state.account().cash.toString()).to.equal(this.broker.balance().cash.toString());
});

// ---- REST faults scripted at the broker ----

Given('the broker will answer the next {int} requests with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.connection.server!.failNextRequests(count, scriptedAnswer(answer), ORDERS);
});

Given('the broker will answer the next {int} position queries with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.seqMark = this.system.ledger.store.length;
  this.connection.server!.failNextRequests(count, scriptedAnswer(answer), { method: 'GET', pathPrefix: `${API_PREFIX}/positions` });
});

Given('the broker will answer the next {int} balance queries with {string}', function (this: TradingWorld, count: number, answer: string) {
  const match = { method: 'GET', pathPrefix: `${API_PREFIX}/balance` };
  for (let i = 0; i < count; i += 1) {
    if (/^\d{3} /.test(answer)) this.connection.server!.failNextRequests(1, scriptedAnswer(answer), match);
    else this.connection.server!.answerNextWithRaw(answer, 200, match);
  }
});

Given('the broker will carry out the next order but answer it with HTTP {int}', function (this: TradingWorld, status: number) {
  this.connection.server!.answerNextWithRaw(JSON.stringify({ code: 'INTERNAL', message: 'the order desk failed after booking the order' }), status, ORDERS);
});

Then('the gateway did not retry the {string}', function (this: TradingWorld, operation: string) {
  expect(eventsOf(this, 'BrokerRequestRetried').filter(e => e.payload.operation === operation)).to.deep.equal([]);
});

Given('the broker will answer the next {int} cancel-all requests with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.connection.server!.failNextRequests(count, scriptedAnswer(answer), { method: 'POST', pathPrefix: `${API_PREFIX}/orders/cancel-all` });
});

Given('the broker will answer the next order with {string}', function (this: TradingWorld, body: string) {
  this.connection.server!.answerNextWithRaw(body, 200, ORDERS);
});

Given('the broker allows {int} requests at once per key, refilled at {int} a second', function (this: TradingWorld, capacity: number, perSecond: number) {
  this.connection.server!.setRateLimit({ capacity, refillPerSecond: perSecond });
});

Given('the trader\'s request quota is used up', async function (this: TradingWorld) {
  const server = this.connection.server!;
  while (!server.httpLog.some(r => r.status === 429)) {
    await this.gateway.balance().catch(() => undefined);
  }
});

Given('the broker is in maintenance for the next {int} second(s)', function (this: TradingWorld, seconds: number) {
  this.connection.server!.setStatus('maintenance', seconds);
});

When('the broker\'s maintenance ends', function (this: TradingWorld) {
  this.connection.server!.setStatus('normal');
});

Then('the broker\'s status endpoint says {string}', async function (this: TradingWorld, status: string) {
  expect((await this.connection.wire.status()).status).to.equal(status);
});

// ---- credentials ----

const WRONG_SECRET = 'not-the-broker-secret';

const CREDENTIALS: Record<string, (world: TradingWorld) => [string, string, number]> = {
  'with a wrong secret': () => [TRADER_KEY, WRONG_SECRET, 0],
  'with a key the broker does not know': world => ['stolen-key', world.apiSecret, 0],
  'with a clock 61 seconds ahead': world => [TRADER_KEY, world.apiSecret, 61_000],
  'with a read-only key': world => ['read-only-key', world.apiSecret, 0],
};

for (const [text, credentials] of Object.entries(CREDENTIALS)) {
  Given(`the trading system signs its requests ${text}`, async function (this: TradingWorld) {
    const [key, secret, skewMs] = credentials(this);
    await this.restartWithGateway(async connection => {
      await connection.useCredentials(key, secret);
      connection.wire.setClockSkew(skewMs);
    });
  });
}

Then('the API secret appears nowhere in the logs or the event log', function (this: TradingWorld) {
  const secrets = [this.apiSecret, WRONG_SECRET];
  const everything = [...this.logLines, JSON.stringify(this.system.events), JSON.stringify(this.connection.server!.httpLog)].join('\n');
  for (const secret of secrets) expect(everything).to.not.include(secret);
});

Then('the API secret cannot be worked out from the seed printed for the run', function (this: TradingWorld) {
  const secret = this.connection.apiSecret;
  expect(secret, 'the secret names the seed').to.not.include(String(this.seed));
  // 32 bytes from the system's random source: nothing printed in the report leads to it.
  expect(secret).to.match(/^[0-9a-f]{64}$/);
});

When('someone replays the trader\'s signed order request', async function (this: TradingWorld) {
  // Exactly the bytes the trading system sent, as an attacker on the network would have captured them.
  const captured = this.connection.server!.capturedOrderRequest();
  expect(JSON.parse(captured.body).clientOrderId).to.equal(this.lastOrder().clientOrderId);
  this.replayAnswer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: this.connection.server!.port, path: captured.path, method: 'POST', headers: { 'content-type': 'application/json', ...captured.headers } },
      response => {
        let text = '';
        response.on('data', chunk => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('error', reject);
    request.end(captured.body);
  });
});

Then('the replay is refused with {string}', function (this: TradingWorld, answer: string) {
  const { status, code } = scriptedAnswer(answer);
  expect(this.replayAnswer?.status).to.equal(status);
  expect(JSON.parse(this.replayAnswer?.body ?? '{}').code).to.equal(code);
});

// ---- what the broker answered and what the gateway did ----

Then('the gateway retried the {string} after {string}, waiting at least {figure} ms as Retry-After asked', function (this: TradingWorld, operation: string, kind: string, ms: Decimal) {
  const retries = eventsOf(this, 'BrokerRequestRetried').filter(e => e.payload.operation === operation && e.payload.errorKind === kind);
  expect(retries, 'retries').to.not.have.length(0);
  for (const retry of retries) expect(retry.payload.delayMs).to.be.at.least(ms.toNumber());
});

Then('the gateway retried the {string} {int} times, waiting at least {figure} ms each as Retry-After asked', function (this: TradingWorld, operation: string, times: number, ms: Decimal) {
  const retries = eventsOf(this, 'BrokerRequestRetried').filter(e => e.payload.operation === operation);
  expect(retries.map(r => r.payload.attempt)).to.deep.equal(Array.from({ length: times }, (_, i) => i + 1));
  for (const retry of retries) expect(retry.payload.delayMs).to.be.at.least(ms.toNumber());
});

Then('the broker answered {string} with {int} requests left in the quota', function (this: TradingWorld, answer: string, remaining: number) {
  const { status, code } = scriptedAnswer(answer);
  const refused = this.connection.server!.httpLog.filter(r => r.status === status && r.code === code);
  expect(refused, `${answer} answers`).to.not.have.length(0);
  expect(refused.every(r => r.remaining === remaining)).to.equal(true);
});

Then('the broker has exactly {int} order(s) for the client order id of the last order', function (this: TradingWorld, count: number) {
  const id = this.lastOrder().clientOrderId;
  expect(this.broker.allOrders().filter(o => o.clientOrderId === id)).to.have.length(count);
});

Then('the broker received the order request once', function (this: TradingWorld) {
  const id = this.lastOrder().clientOrderId;
  expect(this.broker.requests.filter(r => r.action === 'place' && r.clientOrderId === id)).to.have.length(1);
  expect(this.broker.allOrders().filter(o => o.clientOrderId === id)).to.have.length(1);
});

Then('the broker answered {int} order requests and none reached its order book', function (this: TradingWorld, count: number) {
  expect(this.connection.server!.httpLog.filter(r => r.method === 'POST' && r.path === `${API_PREFIX}/orders`)).to.have.length(count);
  expect(this.broker.requests.filter(r => r.action === 'place')).to.deep.equal([]);
  expect(this.broker.allOrders()).to.deep.equal([]);
});

Then('the error is recorded as {string} with HTTP status {int}', function (this: TradingWorld, kind: string, status: number) {
  const error = lastBrokerError(this);
  expect(error.payload.errorKind).to.equal(kind);
  expect(error.payload.httpStatus).to.equal(status);
});

Then('the error is recorded as {string}', async function (this: TradingWorld, kind: string) {
  const error = await waitFor(this, 'BrokerErrorRecorded', e => e.payload.errorKind === kind);
  expect(error.payload.path[0].layer).to.equal('broker gateway');
});

Then('the order is in flight after a {string} error', function (this: TradingWorld, kind: string) {
  const result = this.lastPlace;
  expect(result?.outcome).to.equal('in_flight');
  if (result?.outcome === 'in_flight') {
    expect(result.error.causeChain()).to.include(kind);
    expect(this.system.state.order(result.order.clientOrderId).status).to.equal('submitted');
  }
});

When('the system resolves its orders in flight', async function (this: TradingWorld) {
  await this.system.resolveInFlightOrders();
});

When('{duration} later the system resolves its orders in flight', async function (this: TradingWorld, ms: number) {
  this.clock.advance(ms);
  await this.system.resolveInFlightOrders();
});

Then('the order was sent again under the same client order id, signed {duration} after its first request', function (this: TradingWorld, ms: number) {
  const id = this.lastOrder().clientOrderId;
  const [submitted] = eventsOf(this, 'OrderSubmitted').filter(e => e.payload.clientOrderId === id);
  const resubmitted = eventsOf(this, 'OrderResubmitted').filter(e => e.payload.clientOrderId === id);
  expect(resubmitted.map(e => Date.parse(e.payload.signedAt!) - Date.parse(submitted.payload.signedAt!))).to.deep.equal([ms]);
});

Then('the order was resubmitted under the same client order id', function (this: TradingWorld) {
  const id = this.lastOrder().clientOrderId;
  expect(eventsOf(this, 'OrderResubmitted').map(e => e.payload.clientOrderId)).to.deep.equal([id]);
  expect(this.broker.requests.filter(r => r.action === 'place' && r.clientOrderId === id)).to.have.length(1);
});

// ---- the path through the layers ----

Then('the error\'s path through the layers reads:', function (this: TradingWorld, table: DataTable) {
  const path = lastBrokerError(this).payload.path;
  const expected = table.hashes();
  expect(path.map(p => p.layer)).to.deep.equal(expected.map(r => r.layer));
  expected.forEach((row, i) => expect(path[i].saw, row.layer).to.include(row.saw));
});

Then('the cause chain is {string} from the coordinator down to the broker gateway', function (this: TradingWorld, kind: string) {
  const result = this.lastPlace;
  if (!result || !('error' in result)) throw new Error('the last order has no error');
  expect(result.error.causeChain()).to.deep.equal([kind, kind, kind]);
  expect(result.error.message).to.match(/^coordinator: execution engine: broker SIM answered submit with HTTP/);
  expect(lastBrokerError(this).payload.causeChain).to.deep.equal([kind, kind, kind]);
});

Then('the error\'s path ends at the {string}', function (this: TradingWorld, layer: string) {
  const path = lastBrokerError(this).payload.path;
  expect(path[path.length - 1].layer).to.equal(layer);
});

Then('the {symbol} reconciliation was skipped after a {string} error', async function (this: TradingWorld, symbol: string, kind: string) {
  const skipped = await waitFor(this, 'ReconciliationSkipped', e => e.payload.symbol === symbol, this.seqMark);
  expect(skipped.payload.errorKind).to.equal(kind);
  expect(eventsOf(this, 'PositionReconciled').filter(e => e.seq > this.seqMark && e.payload.symbol === symbol)).to.deep.equal([]);
});

When('the positions are reconciled again', async function (this: TradingWorld) {
  await this.waitUntil('the fill to be applied', () => true);
  for (const symbol of this.system.state.positions.keys()) await this.system.reconciler.reconcile(symbol, 'scheduled');
});

When('the system reconciles the balance with the broker', async function (this: TradingWorld) {
  await this.system.reconcileBalance('scheduled');
});

When('the system reconciles the balance with the broker {int} times', async function (this: TradingWorld, times: number) {
  this.seqMark = this.system.ledger.store.length;
  for (let i = 0; i < times; i += 1) await this.system.reconcileBalance('scheduled');
});

Given('the broker debits {money} the system never heard of', function (this: TradingWorld, amount: Decimal) {
  this.broker.deposit(amount.neg());
});

Then('the balance is mismatched: {money} here, {money} at the broker', function (this: TradingWorld, local: Decimal, broker: Decimal) {
  const last = eventsOf(this, 'BalanceReconciled').pop();
  expect(last?.payload).to.include({ status: 'mismatched', localCash: local.toString(), brokerCash: broker.toString() });
  expect(this.system.state.account().cash.toString(), 'the local cash is not overwritten').to.equal(local.toString());
});

Then('the balance check is skipped and the cash stays at {money}', function (this: TradingWorld, cash: Decimal) {
  const last = eventsOf(this, 'BalanceReconciled').pop();
  expect(last?.payload.status).to.equal('skipped');
  expect(last?.payload.localCash).to.equal(cash.toString());
  expect(this.system.state.account().cash.toString()).to.equal(cash.toString());
});

Then('the balance matches the broker\'s at {money}', function (this: TradingWorld, cash: Decimal) {
  const last = eventsOf(this, 'BalanceReconciled').pop();
  expect(last?.payload).to.include({ status: 'matched', localCash: cash.toString(), brokerCash: cash.toString() });
});

Then('telemetry and the event log count the same broker errors:', async function (this: TradingWorld, table: DataTable) {
  await this.reconciliationsSettled().catch(() => undefined);
  const events = eventsOf(this, 'BrokerErrorRecorded');
  for (const row of table.hashes()) {
    const count = Number(row.count);
    expect(events.filter(e => e.payload.errorKind === row.kind), `${row.kind} events`).to.have.length(count);
    expect(this.system.telemetry.count(`broker.errors.${row.kind}`), `${row.kind} counter`).to.equal(count);
  }
  const counted = Object.entries(this.system.telemetry.counterSnapshot()).filter(([name]) => name.startsWith('broker.errors.'));
  expect(counted.reduce((total, [, n]) => total + n, 0)).to.equal(events.length);
});

Then('every broker error event names the broker, the operation, the kind and its cause chain', function (this: TradingWorld) {
  for (const event of eventsOf(this, 'BrokerErrorRecorded')) {
    expect(event.payload.broker).to.equal('SIM');
    expect(event.payload.operation).to.be.a('string').and.not.empty;
    expect(event.payload.causeChain[event.payload.causeChain.length - 1]).to.equal(event.payload.errorKind);
    expect(event.at).to.equal(this.clock.now().toISOString());
  }
});

Then('the log holds {int} broker error(s) of kind {string} with the code {string}', function (this: TradingWorld, count: number, kind: string, code: string) {
  const errors = eventsOf(this, 'BrokerErrorRecorded').filter(e => e.payload.errorKind === kind && e.payload.reasonCode === code);
  expect(errors).to.have.length(count);
});

// ---- fallback and degraded mode ----

Given('a fallback route {string} to the same broker account', function (this: TradingWorld, name: string) {
  expect(this.system.brokers.brokerNames()).to.deep.equal(['SIM', name]);
});

When('the trader buys {figure} {symbol} at market {int} times', async function (this: TradingWorld, quantity: Decimal, symbol: string, times: number) {
  this.seqMark = this.system.ledger.store.length;
  for (let i = 0; i < times; i += 1) await this.place({ symbol, side: 'buy', type: 'market', quantity: quantity.toString() });
});

Given('the fallback route will fail its next {int} position queries with {string}', function (this: TradingWorld, count: number, answer: string) {
  this.fallbackConnections[0].server!.failNextRequests(count, scriptedAnswer(answer), { method: 'GET', pathPrefix: `${API_PREFIX}/positions` });
});

Then('the synchronisation with {string} failed and the system did not switch to it', async function (this: TradingWorld, broker: string) {
  const failed = await waitFor(this, 'BrokerSyncFailed', e => e.payload.broker === broker, this.seqMark);
  expect(failed.payload.errorKind).to.equal('BrokerUnavailable');
  expect(eventsOf(this, 'BrokerSwitched')).to.deep.equal([]);
  expect(this.system.brokers.name).to.equal('SIM');
});

Then('broker {string} is marked unhealthy after {string}', async function (this: TradingWorld, broker: string, reason: string) {
  const change = await waitFor(this, 'BrokerHealthChanged', e => e.payload.broker === broker && !e.payload.healthy, this.seqMark);
  expect(change.payload.reason).to.equal(reason);
});

Then('the system synchronised with {string} before switching to it', async function (this: TradingWorld, broker: string) {
  const switched = await waitFor(this, 'BrokerSwitched', e => e.payload.to === broker, this.seqMark);
  const sync = eventsOf(this, 'StateSynchronised').filter(e => e.payload.broker === broker && e.seq < switched.seq && e.seq > this.seqMark);
  expect(sync, `a synchronisation with ${broker} before the switch`).to.have.length(1);
  expect(this.system.brokers.name).to.equal(broker);
});

Then('the order went through {string}', function (this: TradingWorld, broker: string) {
  const submitted = this.eventsFor(this.lastOrder().clientOrderId).find(e => e.type === 'OrderSubmitted');
  expect(submitted?.type === 'OrderSubmitted' && submitted.payload.broker).to.equal(broker);
  const route = [this.connection, ...this.fallbackConnections].find(c => c.gateway.name === broker);
  expect(route?.server?.httpLog.filter(r => r.method === 'POST' && r.path === `${API_PREFIX}/orders` && r.status === 200)).to.have.length(1);
});

Given('with no healthy broker the trading state becomes {word}', function (this: TradingWorld, state: string) {
  this.changeSettings({ degraded_trading_state: state });
});

Then('the system is in degraded mode with the trading state {word}', async function (this: TradingWorld, state: string) {
  const degraded = await waitFor(this, 'DegradedModeChanged', e => e.payload.active, this.seqMark);
  expect(degraded.payload.tradingState).to.equal(state);
  expect(this.system.state.settings.snapshot().trading_state).to.equal(state);
});

Then('the reducing order is let through the risk checks', function (this: TradingWorld) {
  const id = this.lastPlace && 'order' in this.lastPlace ? this.lastPlace.order.clientOrderId : '';
  expect(this.eventsFor(id).map(e => e.type)).to.include('RiskCheckPassed');
});

Then('the reducing order is rejected by the {string} check', function (this: TradingWorld, check: string) {
  const result = this.lastPlace;
  expect(result?.outcome === 'rejected' && result.stage).to.equal('risk');
  if (result?.outcome === 'rejected' && result.stage === 'risk') expect(result.decision.failed.map(r => r.check)).to.include(check);
});

When('{int} minute(s) pass(es) and the system checks its brokers', async function (this: TradingWorld, minutes: number) {
  this.seqMark = this.system.ledger.store.length;
  this.clock.advance(minutes * 60_000);
  this.mark('BTC-PERP', new Decimal(50_000));
  await this.system.checkBrokers();
});

Then('the system is still in degraded mode with the trading state {word}', function (this: TradingWorld, state: string) {
  expect(this.system.events.filter(e => e.seq > this.seqMark && e.type === 'DegradedModeChanged')).to.deep.equal([]);
  expect(this.system.brokers.isDegraded).to.equal(true);
  expect(this.system.state.settings.snapshot().trading_state).to.equal(state);
});

Then('the system is out of degraded mode with the trading state {word}', async function (this: TradingWorld, state: string) {
  await waitFor(this, 'DegradedModeChanged', e => !e.payload.active, this.seqMark);
  expect(this.system.state.settings.snapshot().trading_state).to.equal(state);
  const active = [this.connection, ...this.fallbackConnections].find(c => c.gateway.name === this.system.brokers.name)!;
  await this.waitUntil('the active broker\'s user channel to be open', () => active.wire.channelConnected);
});

Then('the new instance is still in degraded mode with the trading state {word}', function (this: TradingWorld, state: string) {
  expect(this.system.events.filter(e => e.seq > this.system.eventsReplayed && e.type === 'DegradedModeChanged')).to.deep.equal([]);
  expect(this.system.brokers.isDegraded, 'the restarted router knows it is degraded').to.equal(true);
  expect(this.system.state.settings.snapshot().trading_state).to.equal(state);
});

// ---- the fill history after a restart ----

When('while it is down the market trades {figure} {symbol} against the order {int} times', function (this: TradingWorld, quantity: Decimal, symbol: string, times: number) {
  expect(this.systemIsRunning, 'the trading system is down').to.equal(false);
  expect(this.broker.allOrders().find(o => o.clientOrderId === this.workingOrderId)?.symbol).to.equal(symbol);
  const server = this.connection.server!;
  this.httpLogMark = server.httpLogDropped + server.httpLog.length;
  for (let i = 0; i < times; i += 1) this.broker.tradeAgainst(this.workingOrderId!, quantity);
});

Then('the broker was asked for its fill history in {int} page(s) from cursor {int}', function (this: TradingWorld, pages: number, cursor: number) {
  const server = this.connection.server!;
  const asked = server.httpLog.slice(this.httpLogMark - server.httpLogDropped).filter(e => e.path.startsWith(`${API_PREFIX}/fills`));
  expect(asked.map(e => e.status)).to.deep.equal(Array(pages).fill(200));
  expect(asked[0]?.path).to.match(new RegExp(`[?&]since=${cursor}(&|$)`));
});
