import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, SeededRandom, TradingError, VirtualClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { BookSide, MarketDataFeedEvent, MarketDataMessage, MarketDataSource } from '../domain/market/market-data';
import { BookApplyOutcome, LocalOrderBook } from '../domain/market/local-order-book';
import { marketDataUrl } from '../domain/market/market-data-protocol';
import { NetworkMarketDataFeed } from '../domain/market/market-data-channel';
import { BrokerCredential, BrokerServer, BrokerSimulatorCore } from '../support/simulators/broker';
import { FaultProxy } from '../support/simulators/network';
import { VenueMarketFeed } from '../support/simulators/market/venue-feed';
import { MarketDataChannelServer } from '../support/simulators/market/market-data-channel-server';
import { InProcessMarketData } from '../support/simulators/market/in-process-market-data';
import { ConditionWaiters } from '../support/condition-waiters';

const TRADER: BrokerCredential = { key: 'trader-key-0001', secret: 'trader-secret-Zq81', permissions: ['read', 'trade'] };
const WAIT_MS = 5000;
const d = (text: string) => new Decimal(text);

type Snapshot = Extract<MarketDataMessage, { type: 'book_snapshot' }>;

/** A venue publishing what a test tells it to: two books it keeps itself, numbered from 100. */
class FakeVenue implements VenueMarketFeed {
  private readonly listeners = new Set<(message: MarketDataMessage) => void>();
  private readonly books = new Map<string, LocalOrderBook>();

  constructor(private readonly clock: VirtualClock) {
    for (const [symbol, bid, ask] of [['AAPL', '189.24', '189.26'], ['MSFT', '410.1', '410.2']] as const) {
      const book = new LocalOrderBook(symbol);
      book.apply({ type: 'book_snapshot', symbol, seq: 100, bids: [{ price: d(bid), quantity: d('300') }], asks: [{ price: d(ask), quantity: d('200') }], at: this.at() });
      this.books.set(symbol, book);
    }
  }

  subscribe(listener: (message: MarketDataMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  currentState(): MarketDataMessage[] {
    return [
      { type: 'prior_close', symbol: 'AAPL', price: d('188.5'), tradingDay: '2026-03-06', at: this.at() },
      { type: 'mark', symbol: 'AAPL', price: d('189.25'), at: this.at() },
      this.bookSnapshot('AAPL'),
      this.bookSnapshot('MSFT'),
      { type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'REOPENED', reopeningPrice: d('189'), at: this.at() },
      { type: 'implied_volatility', underlying: 'SPX', value: d('0.18'), at: this.at() },
    ];
  }

  bookSnapshot(symbol: string): Snapshot {
    const view = this.books.get(symbol)?.view();
    if (!view) throw new Error(`no book ${symbol}`);
    return { type: 'book_snapshot', symbol, seq: view.seq, bids: view.bids, asks: view.asks, at: this.at() };
  }

  /** One level changes: the next delta of that book. */
  changeLevel(symbol: string, side: BookSide, price: string, quantity: string): number {
    const book = this.books.get(symbol);
    const seq = (book?.view()?.seq ?? 0) + 1;
    const delta: MarketDataMessage = { type: 'book_delta', symbol, seq, changes: [{ side, price: d(price), quantity: d(quantity) }], at: this.at() };
    book?.apply(delta);
    this.publish(delta);
    return seq;
  }

  mark(symbol: string, price: string): void {
    this.publish({ type: 'mark', symbol, price: d(price), at: this.at() });
  }

  publish(message: MarketDataMessage): void {
    for (const listener of [...this.listeners]) listener(message);
  }

  private at(): string {
    return this.clock.now().toISOString();
  }
}

/** What a source delivered, and the system's books as the trading system keeps them: a gap asks for a snapshot. */
class Recorder {
  readonly messages: MarketDataMessage[] = [];
  readonly events: MarketDataFeedEvent[] = [];
  readonly outcomes: (BookApplyOutcome & { symbol: string })[] = [];
  readonly books = new Map<string, LocalOrderBook>();
  private readonly waiters = new ConditionWaiters();

  constructor(source: MarketDataSource) {
    source.onMessage(message => {
      this.messages.push(message);
      if (message.type === 'book_snapshot' || message.type === 'book_delta') {
        const book = this.books.get(message.symbol) ?? new LocalOrderBook(message.symbol);
        this.books.set(message.symbol, book);
        const outcome = book.apply(message);
        this.outcomes.push({ ...outcome, symbol: message.symbol });
        if (outcome.outcome === 'gap') source.requestSnapshot(message.symbol).catch(() => undefined);
      }
      this.waiters.changed();
    });
    source.onFeedEvent(event => {
      this.events.push(event);
      this.waiters.changed();
    });
  }

  until(what: string, holds: () => boolean): Promise<void> {
    return this.waiters.until(holds, WAIT_MS, () => new Error(`timed out waiting for ${what}; messages: ${this.messages.map(m => m.type).join(', ')}; events: ${JSON.stringify(this.events)}`));
  }

  /** Everything but heartbeats, each as plain JSON. */
  content(from = 0): unknown[] {
    return this.messages.slice(from).filter(m => m.type !== 'heartbeat').map(plain);
  }

  marks(): string[] {
    return this.messages.flatMap(m => (m.type === 'mark' ? [m.price.toString()] : []));
  }

  eventTypes(): string[] {
    return this.events.map(e => e.type);
  }

  bookSeq(symbol: string): number | null {
    return this.books.get(symbol)?.view()?.seq ?? null;
  }
}

/** Polls a condition every loop turn, for venue-side counters that raise no event. */
function poll(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setImmediate(check);
    };
    check();
  });
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (v instanceof Decimal ? v.toString() : v)));
}

/** The faults a scenario scripts, the same on both transports. */
interface VenueFaults {
  dropNextBookDelta(symbol?: string): void;
  stall(): void;
  resume(): void;
  dropConnections(): void;
  sendRawFrame(text: string): void;
  readonly messagesSent: number;
  readonly snapshotRequests: number;
}

interface Transport {
  readonly venue: FakeVenue;
  readonly source: MarketDataSource;
  readonly faults: VenueFaults;
  /** The heartbeat the wire ends the initial state with: the in-process source has none. */
  readonly initialStateEndsWithHeartbeat: boolean;
  /** Resolves once the venue holds the channel a connect() opens. */
  channelOpen(): Promise<void>;
  /** The network between breaks every connection (the proxy resets them); in process, the connection drops. */
  resetNetwork(): void;
}

interface WireTransport extends Transport {
  readonly server: BrokerServer;
  readonly channel: MarketDataChannelServer;
  readonly proxy: FaultProxy;
}

type After = { after: (fn: () => Promise<void>) => void };

async function onTheWire(t: After, options: { heartbeatIntervalMs?: number; livenessTimeoutMs?: number; reconnectAttempts?: number } = {}): Promise<WireTransport> {
  const clock = new VirtualClock('2026-03-09T14:30:00.000Z');
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const server = new BrokerServer({ core, clock, credentials: [TRADER], heartbeatIntervalMs: options.heartbeatIntervalMs ?? 60_000 });
  const venue = new FakeVenue(clock);
  const channel = server.attachMarketData(venue);
  await server.start();
  const random = new SeededRandom(7);
  const proxy = new FaultProxy({ name: 'market data', upstreamHost: '127.0.0.1', upstreamPort: server.port, random: () => random.next() });
  await proxy.start();
  const source = new NetworkMarketDataFeed({
    name: 'venue market data',
    url: marketDataUrl(`http://127.0.0.1:${proxy.port}`),
    reconnectAttempts: options.reconnectAttempts ?? 5,
    reconnectBaseDelayMs: 10,
    random: () => random.next(),
    ...(options.livenessTimeoutMs !== undefined ? { livenessTimeoutMs: options.livenessTimeoutMs } : {}),
  });
  t.after(async () => {
    await source.close();
    await proxy.stop();
    await server.stop();
  });
  const channelOpen = () => poll('the channel to open at the venue', () => channel.openChannels === 1);
  return { venue, source, faults: channel, initialStateEndsWithHeartbeat: true, channelOpen, resetNetwork: () => proxy.resetConnections(), server, channel, proxy };
}

async function inProcess(t: After): Promise<Transport> {
  const venue = new FakeVenue(new VirtualClock('2026-03-09T14:30:00.000Z'));
  const source = new InProcessMarketData({ name: 'venue market data', feed: venue });
  t.after(() => source.close());
  return { venue, source, faults: source, initialStateEndsWithHeartbeat: false, channelOpen: () => Promise.resolve(), resetNetwork: () => source.dropConnections() };
}

const TRANSPORTS: ReadonlyArray<readonly [string, (t: After) => Promise<Transport>]> = [
  ['on the wire through the fault proxy', t => onTheWire(t)],
  ['in process', inProcess],
];

for (const [transport, open] of TRANSPORTS) {
  test(`${transport}: connect() resolves with the initial state delivered, then live messages arrive in order`, async t => {
    const h = await open(t);
    const seen = new Recorder(h.source);
    await h.source.connect();
    assert.deepEqual(seen.content(), h.venue.currentState().map(plain));
    assert.equal(seen.messages[seen.messages.length - 1].type === 'heartbeat', h.initialStateEndsWithHeartbeat);
    assert.deepEqual(seen.events, [{ type: 'connected', attempt: 1 }]);
    assert.equal(seen.bookSeq('AAPL'), 100);

    const from = seen.messages.length;
    h.venue.mark('AAPL', '189.3');
    h.venue.changeLevel('AAPL', 'bid', '189.25', '40');
    h.venue.changeLevel('MSFT', 'ask', '410.2', '0');
    h.venue.mark('AAPL', '189.31');
    await seen.until('the four live messages', () => seen.content(from).length === 4);
    assert.deepEqual(seen.content(from).map(m => (m as { type: string }).type), ['mark', 'book_delta', 'book_delta', 'mark']);
    assert.deepEqual(seen.marks().slice(-2), ['189.3', '189.31']);
    const venueBook = h.venue.bookSnapshot('AAPL');
    assert.deepEqual(plain(seen.books.get('AAPL')?.view()), plain({ bids: venueBook.bids, asks: venueBook.asks, seq: 101 }));
    assert.deepEqual(seen.books.get('MSFT')?.levels('ask'), []);
  });

  test(`${transport}: a dropped delta is a jump in the book's numbering, and a requested snapshot repairs the book`, async t => {
    const h = await open(t);
    const seen = new Recorder(h.source);
    await h.source.connect();
    h.faults.dropNextBookDelta('AAPL');
    h.venue.changeLevel('MSFT', 'bid', '410', '5');
    h.venue.changeLevel('AAPL', 'bid', '189.2', '10');
    h.venue.changeLevel('AAPL', 'bid', '189.21', '20');
    await seen.until('the AAPL book resynchronised at 102', () => seen.bookSeq('AAPL') === 102);
    const aapl = seen.outcomes.filter(o => o.symbol === 'AAPL').slice(1);
    assert.deepEqual(aapl, [{ outcome: 'gap', expected: 101, received: 102, symbol: 'AAPL' }, { outcome: 'applied', seq: 102, symbol: 'AAPL' }]);
    assert.equal(seen.bookSeq('MSFT'), 101, 'the other book never missed a delta');
    // The repaired book holds the lost level too, and takes the next delta.
    h.venue.changeLevel('AAPL', 'ask', '189.26', '0');
    await seen.until('delta 103', () => seen.bookSeq('AAPL') === 103);
    assert.deepEqual(plain(seen.books.get('AAPL')?.levels('bid')), plain(h.venue.bookSnapshot('AAPL').bids));
    assert.deepEqual(seen.books.get('AAPL')?.levels('ask'), []);
  });

  test(`${transport}: a broken connection is reconnected and the initial state arrives again`, async t => {
    const h = await open(t);
    const seen = new Recorder(h.source);
    await h.source.connect();
    h.venue.changeLevel('AAPL', 'bid', '189.2', '10');
    await seen.until('delta 101', () => seen.bookSeq('AAPL') === 101);
    for (const [cause, breakIt] of [['the network resets', () => h.resetNetwork()], ['the venue drops its connections', () => h.faults.dropConnections()]] as const) {
      const connections = seen.eventTypes().filter(type => type === 'connected').length;
      const from = seen.messages.length;
      breakIt();
      await seen.until(`a reconnect after ${cause}`, () => seen.eventTypes().filter(type => type === 'connected').length === connections + 1);
      assert.deepEqual(seen.eventTypes().slice(-2), ['lost', 'connected'], cause);
      assert.deepEqual(seen.content(from), h.venue.currentState().map(plain), `${cause}: the initial state again`);
    }
    h.venue.changeLevel('AAPL', 'bid', '189.2', '0');
    await seen.until('delta 102 after the reconnects', () => seen.bookSeq('AAPL') === 102);
  });

  test(`${transport}: nothing arrives while the venue stalls; after it, a snapshot repairs the book it left behind`, async t => {
    const h = await open(t);
    const seen = new Recorder(h.source);
    await h.source.connect();
    const from = seen.messages.length;
    const sent = h.faults.messagesSent;
    h.faults.stall();
    h.venue.mark('AAPL', '200');
    h.venue.changeLevel('AAPL', 'bid', '189.2', '10');
    h.faults.sendRawFrame('{"type":"heartbeat","at":"2026-03-09T14:30:00Z"}');
    await h.source.requestSnapshot('MSFT');
    await poll('the venue to receive the snapshot request', () => h.faults.snapshotRequests === 1);
    assert.equal(h.faults.messagesSent, sent, 'nothing left the venue while stalled');
    h.faults.resume();
    h.venue.mark('AAPL', '201');
    h.venue.changeLevel('AAPL', 'bid', '189.21', '20');
    await seen.until('the AAPL book repaired at 102', () => seen.bookSeq('AAPL') === 102);
    // The channel is in order, so what came after the resume shows nothing from the stall came at all.
    const label = (m: MarketDataMessage) => (m.type === 'mark' ? `mark ${m.price.toString()}` : m.type === 'book_delta' || m.type === 'book_snapshot' ? `${m.type} ${m.symbol} ${m.seq}` : m.type);
    assert.deepEqual(seen.messages.slice(from).filter(m => m.type !== 'heartbeat').map(label), ['mark 201', 'book_delta AAPL 102', 'book_snapshot AAPL 102']);
    assert.deepEqual(seen.outcomes.slice(-2).map(o => o.outcome), ['gap', 'applied']);
    assert.deepEqual(seen.marks().slice(-1), ['201']);
    assert.ok(!seen.marks().includes('200'));
    assert.deepEqual(seen.outcomes.filter(o => o.symbol === 'AAPL').slice(1), [{ outcome: 'gap', expected: 101, received: 102, symbol: 'AAPL' }, { outcome: 'applied', seq: 102, symbol: 'AAPL' }]);
  });

  test(`${transport}: a channel opened during a stall gets its initial state, and connects, when the stall ends`, async t => {
    const h = await open(t);
    const seen = new Recorder(h.source);
    h.faults.stall();
    const connecting = h.source.connect();
    await h.channelOpen();
    h.venue.mark('AAPL', '200');
    assert.equal(h.faults.messagesSent, 0);
    assert.deepEqual(seen.messages, []);
    h.faults.resume();
    await connecting;
    assert.deepEqual(seen.content(), h.venue.currentState().map(plain));
    assert.deepEqual(seen.eventTypes(), ['connected']);
  });

  test(`${transport}: a frame that does not decode is rejected, the channel stays up and later messages arrive`, async t => {
    const h = await open(t);
    const seen = new Recorder(h.source);
    await h.source.connect();
    h.faults.sendRawFrame('{"type":"mark","symbol":"AAPL","price":"1,5","at":"2026-03-09T14:30:00Z"}');
    h.faults.sendRawFrame('{"type":"book_delta","symbol":"AAPL","seq":101,"changes":[');
    h.venue.mark('AAPL', '192');
    await seen.until('the mark after the garbled frames', () => seen.marks().includes('192'));
    const rejected = seen.events.filter(e => e.type === 'message_rejected');
    assert.equal(rejected.length, 2);
    assert.match(rejected[0].type === 'message_rejected' ? rejected[0].reason : '', /price/);
    assert.deepEqual(seen.eventTypes(), ['connected', 'message_rejected', 'message_rejected']);
    assert.equal(seen.bookSeq('AAPL'), 100, 'the garbled delta changed no book');
  });
}

test('on the wire: a stalled venue trips the liveness watchdog; after the stall the channel connects again', async t => {
  const h = await onTheWire(t, { heartbeatIntervalMs: 20, livenessTimeoutMs: 300, reconnectAttempts: 50 });
  const seen = new Recorder(h.source);
  await h.source.connect();
  await seen.until('a periodic heartbeat', () => seen.messages.filter(m => m.type === 'heartbeat').length >= 2);
  h.faults.stall();
  await seen.until('the loss', () => seen.eventTypes().includes('lost'));
  const lost = seen.events.find(e => e.type === 'lost');
  assert.match(lost?.type === 'lost' ? lost.reason : '', /nothing received for 300 ms/);
  const from = seen.messages.length;
  h.faults.resume();
  await seen.until('the reconnect', () => seen.eventTypes().filter(type => type === 'connected').length === 2);
  assert.deepEqual(seen.content(from).slice(0, h.venue.currentState().length), h.venue.currentState().map(plain));
});

test('on the wire: stopping the broker closes the market data channels; after a restart the channel is back', async t => {
  const h = await onTheWire(t);
  const seen = new Recorder(h.source);
  await h.source.connect();
  assert.equal(h.channel.openChannels, 1);
  await h.server.restart();
  await seen.until('the reconnect after the restart', () => seen.eventTypes().filter(type => type === 'connected').length === 2);
  assert.deepEqual(seen.eventTypes(), ['connected', 'lost', 'connected']);
  assert.equal(h.channel.openChannels, 1);
  h.venue.mark('AAPL', '193');
  await seen.until('a live message after the restart', () => seen.marks().includes('193'));
});

test('on the wire: connect() rejects when no venue answers, after its attempts, and leaves nothing running', async t => {
  const h = await onTheWire(t, { reconnectAttempts: 2 });
  const seen = new Recorder(h.source);
  await h.proxy.down();
  await assert.rejects(h.source.connect(), (error: unknown) => error instanceof TradingError && error.kind === 'BrokerUnavailable' && /2 attempts/.test(error.message));
  assert.deepEqual(seen.eventTypes(), ['gave_up']);
});

test('on the wire: a broker without market data refuses the channel; a bad snapshot request is refused before it is sent', async t => {
  const clock = new VirtualClock();
  const server = new BrokerServer({ core: new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS }), clock, credentials: [TRADER] });
  await server.start();
  const source = new NetworkMarketDataFeed({ name: 'venue', url: marketDataUrl(server.url), reconnectAttempts: 1, reconnectBaseDelayMs: 10, random: () => 0.5 });
  t.after(async () => {
    await source.close();
    await server.stop();
  });
  await assert.rejects(source.connect(), (error: unknown) => error instanceof TradingError && /HTTP 404/.test(error.message));
  await assert.rejects(source.requestSnapshot(''), (error: unknown) => error instanceof TradingError && error.kind === 'InvalidInput');
  await assert.rejects(source.requestSnapshot('AAPL'), (error: unknown) => error instanceof TradingError && error.kind === 'BrokerUnavailable');
  assert.throws(() => new NetworkMarketDataFeed({ name: 'venue', url: marketDataUrl(server.url), reconnectAttempts: 0, reconnectBaseDelayMs: 10, random: () => 0.5 }), /reconnectAttempts/);
});

test('on the wire: a snapshot request for a symbol the venue does not list gets no answer, and the channel goes on', async t => {
  const h = await onTheWire(t);
  const seen = new Recorder(h.source);
  await h.source.connect();
  await h.source.requestSnapshot('NOPE');
  await h.source.requestSnapshot('MSFT');
  await seen.until('the MSFT snapshot', () => seen.messages.filter(m => m.type === 'book_snapshot' && m.symbol === 'MSFT').length === 2);
  assert.ok(!seen.messages.some(m => m.type === 'book_snapshot' && m.symbol === 'NOPE'));
  assert.deepEqual(seen.eventTypes(), ['connected']);
});

for (const [transport, open] of TRANSPORTS) {
  test(`${transport}: close() while connecting rejects the connect and delivers nothing more`, async t => {
    const h = await open(t);
    const seen = new Recorder(h.source);
    h.faults.stall();
    const connecting = h.source.connect();
    await h.channelOpen();
    await h.source.close();
    await assert.rejects(connecting, (error: unknown) => error instanceof TradingError && error.kind === 'BrokerUnavailable');
    h.faults.resume();
    h.venue.mark('AAPL', '200');
    // A turn of the loop: every microtask an in-process delivery would use has run.
    await new Promise(resolve => setImmediate(resolve));
    assert.deepEqual(seen.messages, []);
    assert.deepEqual(seen.events, []);
  });
}
