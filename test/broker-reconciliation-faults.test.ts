import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Decimal, TradingError, VirtualClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { BrokerGateway, BrokerHealthTracker, BrokerReport, BrokerRouter, NetworkBrokerGateway, brokerClockOffset } from '../domain/execution';
import { BrokerQuery, BrokerServer, BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';

const KEY = 'trader-key-0001';
const SECRET = 'trader-secret-Zq81';
const TRANSPORTS = ['in-process', 'wire'] as const;
type Transport = (typeof TRANSPORTS)[number];
type Hooks = { after: (fn: () => Promise<void> | void) => void };

const WAIT_MS = 2_000;
const RESTING_PRICE = new Decimal(49_500);

interface Rig {
  readonly transport: Transport;
  readonly core: BrokerSimulatorCore;
  readonly clock: VirtualClock;
  readonly gateway: BrokerGateway & { setClockSkew(ms: number): void };
  readonly server: BrokerServer | null;
  readonly reports: BrokerReport[];
  /** Place an order that rests on the book and wait for its acknowledgement. */
  rest(clientOrderId: string, quantity?: string): Promise<void>;
  /** Every report sent before this one has arrived once it returns: what did not arrive was never sent. */
  settleReports(): Promise<void>;
}

/** One funded broker with a book that does not cross a bid at 49,500, behind the transport given; a gateway that does not retry unless told. */
async function rig(t: Hooks, transport: Transport, options: { attempts?: number; receiveWindowMs?: number } = {}): Promise<Rig> {
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(new Decimal(100_000));
  core.setMark('BTC-PERP', new Decimal(50_000));
  core.setBook('BTC-PERP', 'asks', [{ price: new Decimal(51_000), quantity: new Decimal(1000) }]);
  core.setBook('BTC-PERP', 'bids', [{ price: new Decimal(49_000), quantity: new Decimal(1000) }]);
  const receiveWindowMs = options.receiveWindowMs ?? 5_000;
  let server: BrokerServer | null = null;
  let gateway: Rig['gateway'];
  if (transport === 'in-process') {
    gateway = new InProcessBrokerGateway(core, { receiveWindowMs });
  } else {
    server = new BrokerServer({ core, clock, credentials: [{ key: KEY, secret: SECRET, permissions: ['read', 'trade'] }], recvWindowMs: receiveWindowMs, heartbeatIntervalMs: 60_000 });
    await server.start();
    const wire = new NetworkBrokerGateway({ name: 'SIM', baseUrl: server.url, apiKey: KEY, apiSecret: SECRET, clock, random: () => 0.5, requestTimeoutMs: WAIT_MS, retry: { attempts: options.attempts ?? 1, baseDelayMs: 1 } });
    await wire.connect();
    gateway = wire;
  }
  const reports: BrokerReport[] = [];
  const waiters: { match: (r: BrokerReport) => boolean; resolve: () => void }[] = [];
  gateway.onReport(report => {
    reports.push(report);
    for (const waiter of waiters.filter(w => w.match(report))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  t.after(async () => {
    await gateway.close();
    await server?.stop();
  });
  const waitFor = (match: (r: BrokerReport) => boolean, what: string) =>
    reports.some(match)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${what} report within ${WAIT_MS} ms`)), WAIT_MS);
          waiters.push({ match, resolve: () => (clearTimeout(timer), resolve()) });
        });
  let markers = 0;
  const rest = async (clientOrderId: string, quantity = '0.5') => {
    await gateway.submit({ clientOrderId, symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: new Decimal(quantity), limitPrice: RESTING_PRICE, reduceOnly: false });
    await waitFor(r => r.type === 'acknowledged' && r.clientOrderId === clientOrderId, `acknowledgement of ${clientOrderId}`);
  };
  const settleReports = async () => {
    const id = `MARK-${++markers}`;
    await rest(id, '0.001');
    core.cancelSilently(id);
  };
  return { transport, core, clock, gateway, server, reports, rest, settleReports };
}

function isKind(kind: string, reasonCode?: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof TradingError, `expected a TradingError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    if (reasonCode) assert.equal(error.details.reasonCode, reasonCode, error.message);
    return true;
  };
}

const reportsFor = (r: Rig, clientOrderId: string) => r.reports.filter(report => report.clientOrderId === clientOrderId).map(report => report.type);
const positionOf = async (r: Rig) => (await r.gateway.positions()).find(p => p.symbol === 'BTC-PERP');
const cash = async (r: Rig) => (await r.gateway.balance()).cash.toString();
/** Fee at the maker rate the core charges by default (2 bps). */
const makerFee = (quantity: string, price: string) => new Decimal(quantity).times(price).times('0.0002').toDecimalPlaces(8);

for (const transport of TRANSPORTS) {
  // ---- the two reads ----

  test(`${transport}: the broker's clock, timed by the system's clock: no skew reads 0, a system clock running ahead reads as the broker behind`, async t => {
    const r = await rig(t, transport, { receiveWindowMs: 60_000 });
    const first = await r.gateway.brokerTime!();
    assert.equal(first.brokerTime.toISOString(), r.clock.now().toISOString(), 'the broker answers with its own clock');
    assert.deepEqual(brokerClockOffset(first), { offsetMs: 0, roundTripMs: 0 });
    r.clock.advance(90_000);
    r.gateway.setClockSkew(1_500);
    const skewed = await r.gateway.brokerTime!();
    assert.equal(skewed.brokerTime.toISOString(), r.clock.now().toISOString());
    assert.equal(skewed.sentAt.getTime(), r.clock.now().getTime() + 1_500, 'sent at the system\'s own (skewed) time');
    assert.equal(skewed.receivedAt.getTime(), r.clock.now().getTime() + 1_500);
    assert.deepEqual(brokerClockOffset(skewed), { offsetMs: -1_500, roundTripMs: 0 });
    r.gateway.setClockSkew(-700);
    assert.equal(brokerClockOffset(await r.gateway.brokerTime!()).offsetMs, 700, 'a system clock behind reads as the broker ahead');
  });

  test(`${transport}: a skew beyond the broker's receive window is refused as the signing check refuses it`, async t => {
    const r = await rig(t, transport, { receiveWindowMs: 5_000 });
    r.gateway.setClockSkew(5_001);
    await assert.rejects(r.gateway.brokerTime!(), isKind('Unauthorized', 'TIMESTAMP_OUTSIDE_WINDOW'));
    await assert.rejects(r.gateway.balance(), isKind('Unauthorized', 'TIMESTAMP_OUTSIDE_WINDOW'));
    r.gateway.setClockSkew(4_999);
    assert.equal(brokerClockOffset(await r.gateway.brokerTime!()).offsetMs, -4_999);
  });

  test(`${transport}: the leverage the broker holds: 5 on every listed symbol, then what the venue set`, async t => {
    const r = await rig(t, transport);
    const initial = await r.gateway.leverage!();
    assert.deepEqual(initial.map(l => l.symbol), DEFAULT_INSTRUMENTS.map(i => i.symbol));
    assert.ok(initial.every(l => l.leverage.eq(5)), JSON.stringify(initial));
    r.core.setLeverage('BTC-PERP', new Decimal('3'));
    r.core.setLeverage('ETH-PERP', new Decimal('12.5'));
    const changed = new Map((await r.gateway.leverage!()).map(l => [l.symbol, l.leverage.toString()]));
    assert.equal(changed.get('BTC-PERP'), '3');
    assert.equal(changed.get('ETH-PERP'), '12.5');
    assert.equal(changed.get('SOL-PERP'), '5');
    assert.throws(() => r.core.setLeverage('DOGE-PERP', new Decimal(2)), /unknown symbol/);
    assert.throws(() => r.core.setLeverage('BTC-PERP', new Decimal(0)), /greater than zero/);
  });

  // ---- fills the system is not told of ----

  test(`${transport}: fillSilently: the broker books the fill and keeps it in its history, and no report is sent`, async t => {
    const r = await rig(t, transport);
    await r.rest('A');
    const fill = r.core.fillSilently('A', new Decimal('0.2'));
    await r.settleReports();
    assert.deepEqual(reportsFor(r, 'A'), ['acknowledged'], 'no fill report');
    const order = await r.gateway.getOrder('A');
    assert.equal(order?.status, 'partially_filled');
    assert.equal(order?.filledQuantity.toString(), '0.2');
    assert.equal(order?.averageFillPrice.toString(), '49500');
    assert.equal((await positionOf(r))?.netQuantity.toString(), '0.2');
    assert.equal(await cash(r), new Decimal(100_000).minus(makerFee('0.2', '49500')).toString());
    const page = await r.gateway.fills(0, 100);
    assert.deepEqual(page.fills.map(f => f.tradeId), [fill.tradeId]);
    assert.equal(page.cursor, 1);
  });

  test(`${transport}: fillUnrecorded: order totals, position and cash count the fill; neither a report nor the history shows it`, async t => {
    const r = await rig(t, transport);
    await r.rest('A');
    r.core.fillUnrecorded('A', new Decimal('0.3'), new Decimal(49_000));
    await r.settleReports();
    assert.deepEqual(reportsFor(r, 'A'), ['acknowledged']);
    const order = await r.gateway.getOrder('A');
    assert.equal(order?.filledQuantity.toString(), '0.3');
    assert.equal(order?.averageFillPrice.toString(), '49000');
    assert.equal((await positionOf(r))?.averageEntryPrice.toString(), '49000');
    assert.equal(await cash(r), new Decimal(100_000).minus(makerFee('0.3', '49000')).toString());
    assert.deepEqual(await r.gateway.fills(0, 100), { fills: [], cursor: 0, more: false });
    assert.equal(r.core.fillHistory().length, 0);
  });

  test(`${transport}: cancelSilently: the order is cancelled at the broker, with no report`, async t => {
    const r = await rig(t, transport);
    await r.rest('A');
    r.core.cancelSilently('A');
    await r.settleReports();
    assert.deepEqual(reportsFor(r, 'A'), ['acknowledged']);
    assert.equal((await r.gateway.getOrder('A'))?.status, 'cancelled');
    assert.deepEqual((await r.gateway.openOrders()).map(o => o.clientOrderId), []);
    assert.throws(() => r.core.cancelSilently('A'), /is cancelled/);
  });

  test(`${transport}: forgetOrder: the broker no longer knows a working order`, async t => {
    const r = await rig(t, transport);
    await r.rest('A');
    await r.rest('B');
    r.core.forgetOrder('A');
    assert.equal(await r.gateway.getOrder('A'), undefined);
    assert.deepEqual((await r.gateway.openOrders()).map(o => o.clientOrderId), ['B']);
    assert.throws(() => r.core.forgetOrder('A'), /no order A/);
  });

  // ---- trades the venue takes back or changes ----

  test(`${transport}: bustTrade: the broker's books go back to before the fill, the history keeps a hole in its place, no report`, async t => {
    const r = await rig(t, transport);
    await r.rest('A');
    const first = r.core.tradeAgainst('A', new Decimal('0.2'));
    const second = r.core.tradeAgainst('A', new Decimal('0.1'), new Decimal(49_000));
    await r.settleReports();
    assert.deepEqual(reportsFor(r, 'A'), ['acknowledged', 'fill', 'fill'], 'the system was told of both fills');
    r.core.bustTrade(first.tradeId);
    await r.settleReports();
    assert.deepEqual(reportsFor(r, 'A'), ['acknowledged', 'fill', 'fill'], 'no report of the bust');
    const order = await r.gateway.getOrder('A');
    assert.equal(order?.filledQuantity.toString(), '0.1');
    assert.equal(order?.averageFillPrice.toString(), '49000');
    assert.equal(order?.status, 'partially_filled', 'a working order keeps working, the busted quantity open again');
    const position = await positionOf(r);
    assert.equal(position?.netQuantity.toString(), '0.1');
    assert.equal(position?.averageEntryPrice.toString(), '49000');
    assert.equal(await cash(r), new Decimal(100_000).minus(makerFee('0.1', '49000')).toString());
    for (let ask = 0; ask < 2; ask += 1) {
      const page = await r.gateway.fills(0, 100);
      assert.deepEqual(page.fills.map(f => f.tradeId), [second.tradeId], 'the busted trade left the history');
      assert.equal(page.cursor, 2, 'its place is kept: a hole that stays when asked again');
    }
    assert.deepEqual(await r.gateway.fills(2, 100), { fills: [], cursor: 2, more: false }, 'a reader past it is not moved');
    assert.throws(() => r.core.bustTrade(first.tradeId), /already busted/);
    assert.throws(() => r.core.bustTrade('SIM-T999'), /no trade/);
  });

  test(`${transport}: a busted fill of a filled order leaves it done (cancelled), never back on the book; busting its only fill flattens the position`, async t => {
    const r = await rig(t, transport);
    await r.rest('A', '0.2');
    const fill = r.core.tradeAgainst('A', new Decimal('0.2'));
    r.core.bustTrade(fill.tradeId);
    const order = await r.gateway.getOrder('A');
    assert.equal(order?.status, 'cancelled');
    assert.equal(order?.filledQuantity.toString(), '0');
    assert.equal(order?.averageFillPrice.toString(), '0');
    assert.deepEqual((await r.gateway.openOrders()).map(o => o.clientOrderId), []);
    assert.equal(await positionOf(r), undefined, 'flat, as before the fill');
    assert.equal(await cash(r), '100000');
  });

  test(`${transport}: correctTradePrice: the trade stands at the new price; order and position averages, fee and cash follow; the history shows it corrected`, async t => {
    const r = await rig(t, transport);
    await r.rest('A');
    const fill = r.core.tradeAgainst('A', new Decimal('0.2'));
    r.core.tradeAgainst('A', new Decimal('0.2'), new Decimal(49_000));
    await r.settleReports();
    const reported = r.reports.length;
    r.core.correctTradePrice(fill.tradeId, new Decimal(49_200));
    await r.settleReports();
    assert.equal(r.reports.filter(report => report.clientOrderId === 'A').length, 3, 'no report of the correction');
    assert.ok(r.reports.length > reported);
    const order = await r.gateway.getOrder('A');
    assert.equal(order?.averageFillPrice.toString(), '49100');
    assert.equal((await positionOf(r))?.averageEntryPrice.toString(), '49100');
    const fees = makerFee('0.2', '49200').plus(makerFee('0.2', '49000'));
    assert.equal(await cash(r), new Decimal(100_000).minus(fees).toString());
    const [corrected] = (await r.gateway.fills(0, 1)).fills;
    assert.equal(corrected.tradeId, fill.tradeId);
    assert.equal(corrected.price.toString(), '49200');
    assert.equal(corrected.fee.toString(), makerFee('0.2', '49200').toString());
    assert.throws(() => r.core.correctTradePrice(fill.tradeId, new Decimal(0)), /greater than zero/);
  });

  test(`${transport}: a correction after the position was partly closed moves the realized P&L with it`, async t => {
    const r = await rig(t, transport);
    await r.rest('A', '0.2');
    const open = r.core.tradeAgainst('A', new Decimal('0.2'), new Decimal(49_000));
    await r.gateway.submit({ clientOrderId: 'S', symbol: 'BTC-PERP', side: 'sell', type: 'limit', quantity: new Decimal('0.1'), limitPrice: new Decimal(52_000), reduceOnly: false });
    r.core.tradeAgainst('S', new Decimal('0.1'), new Decimal(50_000));
    const before = await positionOf(r);
    r.core.correctTradePrice(open.tradeId, new Decimal(48_000));
    const after = await positionOf(r);
    assert.equal(after?.netQuantity.toString(), '0.1');
    assert.equal(after?.averageEntryPrice.toString(), '48000');
    assert.equal(after?.realizedPnl.minus(before!.realizedPnl).toString(), new Decimal(100).plus(makerFee('0.2', '49000')).minus(makerFee('0.2', '48000')).toString(), '0.1 closed 1,000 further from entry, and a smaller fee');
  });

  test(`${transport}: adjustBalance: a credit and a debit the system did not book move the broker's cash`, async t => {
    const r = await rig(t, transport);
    r.core.adjustBalance(new Decimal('12.34'), 'fee rebate');
    r.core.adjustBalance(new Decimal('-20'), 'funding payment');
    assert.equal(await cash(r), '99992.34');
    assert.deepEqual(r.core.balanceAdjustments().map(a => [a.amount.toString(), a.reason]), [['12.34', 'fee rebate'], ['-20', 'funding payment']]);
    assert.throws(() => r.core.adjustBalance(new Decimal(0), 'nothing'), /non-zero/);
    assert.throws(() => r.core.adjustBalance(new Decimal(1), ' '), /reason/);
  });

  // ---- answers with holes and reads that fail ----

  test(`${transport}: omitFromNextFillsPage: one page leaves fills out of its middle but moves its cursor past them; asked again it is whole`, async t => {
    const r = await rig(t, transport);
    await r.rest('A');
    const tradeIds = [1, 2, 3, 4, 5].map(() => r.core.tradeAgainst('A', new Decimal('0.01')).tradeId);
    r.core.omitFromNextFillsPage(2);
    assert.equal(r.core.fills(0, 100).fills.length, 5, 'the books\' own view is whole and leaves the hole for the API');
    const holed = await r.gateway.fills(0, 100);
    assert.deepEqual(holed.fills.map(f => f.tradeId), [tradeIds[0], tradeIds[3], tradeIds[4]]);
    assert.equal(holed.cursor, 5, 'cursor - since is 5, but 3 fills came: a hole');
    assert.equal(holed.more, false);
    const whole = await r.gateway.fills(0, 100);
    assert.deepEqual(whole.fills.map(f => f.tradeId), tradeIds);
    assert.equal(whole.cursor, 5);
  });

  test(`${transport}: a scripted hole waits for a page with fills in it, and one larger than the page empties it but still moves the cursor`, async t => {
    const r = await rig(t, transport);
    r.core.omitFromNextFillsPage(3);
    assert.deepEqual(await r.gateway.fills(0, 100), { fills: [], cursor: 0, more: false });
    await r.rest('A');
    r.core.tradeAgainst('A', new Decimal('0.01'));
    r.core.tradeAgainst('A', new Decimal('0.01'));
    const holed = await r.gateway.fills(0, 100);
    assert.deepEqual(holed, { fills: [], cursor: 2, more: false });
    assert.equal((await r.gateway.fills(0, 100)).fills.length, 2);
  });

  test(`${transport}: failNext makes each broker read fail the times asked, as BrokerUnavailable (503), and then answer`, async t => {
    const r = await rig(t, transport);
    await r.rest('A');
    const reads: Record<BrokerQuery, () => Promise<unknown>> = {
      positions: () => r.gateway.positions(),
      balance: () => r.gateway.balance(),
      openOrders: () => r.gateway.openOrders(),
      fills: () => r.gateway.fills(0, 10),
      getOrder: () => r.gateway.getOrder('A'),
      leverage: () => r.gateway.leverage!(),
      time: () => r.gateway.brokerTime!(),
    };
    for (const [query, read] of Object.entries(reads) as [BrokerQuery, () => Promise<unknown>][]) {
      r.core.failNext(query, 2);
      await assert.rejects(read(), isKind('BrokerUnavailable', 'SERVICE_UNAVAILABLE'), `${query} first`);
      await assert.rejects(read(), isKind('BrokerUnavailable', 'SERVICE_UNAVAILABLE'), `${query} second`);
      await read();
    }
    if (r.server) assert.equal(r.server.httpLog.filter(e => e.status === 503).length, 14, 'each failure was a 503 on the wire');
    assert.deepEqual((await r.gateway.openOrders()).map(o => o.clientOrderId), ['A'], 'the books did not change');
  });

  test(`${transport}: failNext strikes only the read named and leaves the books' own view alone; rate-limited reads fail as RateLimited (429)`, async t => {
    const r = await rig(t, transport);
    r.core.failNext('positions', 1, 'rate-limited');
    assert.deepEqual(r.core.positions(), [], 'a scenario reading the books directly does not use the failure up');
    await r.gateway.balance();
    await r.rest('A');
    await assert.rejects(r.gateway.positions(), isKind('RateLimited', 'RATE_LIMITED'));
    await r.gateway.positions();
    assert.throws(() => r.core.failNext('balance', 0), /positive integer/);
  });
}

test('wire: a read that fails fewer times than the gateway retries is answered by the same call', async t => {
  const r = await rig(t, 'wire', { attempts: 3 });
  r.core.failNext('balance', 2);
  assert.equal(await cash(r), '100000');
  assert.deepEqual(r.server!.httpLog.filter(e => e.path.includes('/balance')).map(e => e.status), [503, 503, 200]);
});

// ---- strict decoding of the two answers ----

async function stubBroker(t: Hooks, answer: () => string): Promise<NetworkBrokerGateway> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(answer());
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const gw = new NetworkBrokerGateway({ name: 'SIM', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: KEY, apiSecret: SECRET, clock: new VirtualClock(), random: () => 0.5, requestTimeoutMs: WAIT_MS, retry: { attempts: 1, baseDelayMs: 1 } });
  t.after(async () => {
    await gw.close();
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
  });
  return gw;
}

test('wire: a time answer that is not exactly { time: ISO-8601 UTC instant } is a ProtocolError', async t => {
  let body = '';
  const gw = await stubBroker(t, () => body);
  body = '{"time":"2026-01-05T14:30:00.250Z"}';
  assert.equal((await gw.brokerTime()).brokerTime.toISOString(), '2026-01-05T14:30:00.250Z');
  for (const bad of ['{"time":"2026-02-30T14:30:00Z"}', '{"time":"2026-01-05 14:30:00"}', '{"time":1767623400000}', '{"time":"2026-01-05T14:30:00Z","zone":"UTC"}', '{}', '[]', 'not json']) {
    body = bad;
    await assert.rejects(gw.brokerTime(), isKind('ProtocolError'), bad);
  }
});

test('wire: a leverage answer with a bad, zero, negative or repeated leverage, or an unknown field, is a ProtocolError', async t => {
  let body = '';
  const gw = await stubBroker(t, () => body);
  body = '{"leverage":[{"symbol":"BTC-PERP","leverage":"5"},{"symbol":"ETH-PERP","leverage":"2.5"}]}';
  assert.deepEqual((await gw.leverage()).map(l => `${l.symbol} ${l.leverage}`), ['BTC-PERP 5', 'ETH-PERP 2.5']);
  const bad = [
    '{"leverage":[{"symbol":"BTC-PERP","leverage":"0"}]}',
    '{"leverage":[{"symbol":"BTC-PERP","leverage":"-5"}]}',
    '{"leverage":[{"symbol":"BTC-PERP","leverage":5}]}',
    '{"leverage":[{"symbol":"BTC-PERP","leverage":"5x"}]}',
    '{"leverage":[{"symbol":"","leverage":"5"}]}',
    '{"leverage":[{"symbol":"BTC-PERP","leverage":"5"},{"symbol":"BTC-PERP","leverage":"3"}]}',
    '{"leverage":[{"symbol":"BTC-PERP","leverage":"5","maxLeverage":"20"}]}',
    '{"leverage":{"BTC-PERP":"5"}}',
    '{"leverage":[],"account":"x"}',
  ];
  for (const text of bad) {
    body = text;
    await assert.rejects(gw.leverage(), isKind('ProtocolError'), text);
  }
});

// ---- the router passes both reads to the active broker ----

function router(brokers: BrokerGateway[], clock: VirtualClock): BrokerRouter {
  return new BrokerRouter({
    brokers,
    health: new BrokerHealthTracker({ clock }),
    hooks: { onHealthChange: () => undefined, synchronise: async () => undefined, onSwitch: () => undefined, onDegraded: () => undefined, onGatewayEvent: () => undefined },
  });
}

test('the broker router reads the active broker\'s clock and leverage; a broker that offers neither refuses without losing health', async t => {
  const r = await rig(t, 'in-process');
  r.gateway.setClockSkew(250);
  r.core.setLeverage('BTC-PERP', new Decimal(2));
  const routed = router([r.gateway], r.clock);
  assert.equal(brokerClockOffset(await routed.brokerTime()).offsetMs, -250);
  assert.equal((await routed.leverage()).find(l => l.symbol === 'BTC-PERP')?.leverage.toString(), '2');

  // A gateway of an older kind: every read of the port but the two new ones.
  const inner = new InProcessBrokerGateway(r.core);
  const plain: BrokerGateway = {
    name: 'PLAIN',
    submit: request => inner.submit(request),
    cancel: id => inner.cancel(id),
    replace: (id, change) => inner.replace(id, change),
    getOrder: id => inner.getOrder(id),
    openOrders: () => inner.openOrders(),
    positions: () => inner.positions(),
    balance: () => inner.balance(),
    fills: (since, limit) => inner.fills(since, limit),
    orderBook: symbol => inner.orderBook(symbol),
    cancelAll: () => inner.cancelAll(),
    onReport: listener => inner.onReport(listener),
    close: () => inner.close(),
  };
  t.after(() => inner.close());
  const bare = router([plain], r.clock);
  await assert.rejects(bare.brokerTime(), isKind('BrokerRejected', 'NOT_SUPPORTED'));
  await assert.rejects(bare.leverage(), isKind('BrokerRejected', 'NOT_SUPPORTED'));
  assert.equal(bare.health.isHealthy('PLAIN'), true);
});
