import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Decimal, SeededRandom, TradingError, VirtualClock, isMultipleOf } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { MARKET_WIDE } from '../domain/market';
import type { MarketDataMessage, PriceLevel } from '../domain/market';
import { BrokerSimulatorCore } from '../support/simulators/broker';
import {
  MarketSimulator,
  VenueMarketFeed,
  flashCrash,
  impliedVolatilitySurge,
  liquidityDrain,
  regimeChange,
  spreadWidening,
} from '../support/simulators/market';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const START = '2026-01-05T14:30:00.000Z';
const d = (value: string | number): Decimal => new Decimal(value);

interface Rig {
  clock: VirtualClock;
  broker: BrokerSimulatorCore;
  market: MarketSimulator;
  messages: MarketDataMessage[];
}

function rig(seed: number): Rig {
  const clock = new VirtualClock(START);
  const broker = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const market = new MarketSimulator({ clock, random: new SeededRandom(seed), broker, instruments: DEFAULT_INSTRUMENTS });
  const messages: MarketDataMessage[] = [];
  market.subscribe(m => messages.push(m));
  return { clock, broker, market, messages };
}

function modelledHour(seed: number): string[] {
  const { market, messages } = rig(seed);
  market.model('BTC-PERP', { price: d(50_000) });
  market.model('AAPL', { price: d('200.00') });
  market.model('SPX', { price: d('5000.00') });
  market.advance(HOUR);
  return messages.map(m => JSON.stringify(m));
}

const text = (levels: readonly PriceLevel[]): string[] => levels.map(l => `${l.quantity.toString()}@${l.price.toString()}`);
const of = <T extends MarketDataMessage['type']>(messages: readonly MarketDataMessage[], type: T): Extract<MarketDataMessage, { type: T }>[] =>
  messages.filter((m): m is Extract<MarketDataMessage, { type: T }> => m.type === type);

/** A subscriber's copy of the books: a snapshot, then each delta applied in turn, its seq checked. */
class ReplicaBooks {
  private readonly books = new Map<string, { seq: number; bids: Map<string, PriceLevel>; asks: Map<string, PriceLevel> }>();

  constructor(state: readonly MarketDataMessage[]) {
    for (const message of state) this.apply(message);
  }

  apply(message: MarketDataMessage): void {
    if (message.type === 'book_snapshot') {
      const side = (levels: readonly PriceLevel[]) => new Map(levels.map(l => [l.price.toString(), l]));
      this.books.set(message.symbol, { seq: message.seq, bids: side(message.bids), asks: side(message.asks) });
    } else if (message.type === 'book_delta') {
      const book = this.books.get(message.symbol) ?? { seq: 0, bids: new Map(), asks: new Map() };
      assert.equal(message.seq, book.seq + 1, `${message.symbol}: delta ${message.seq} after ${book.seq}`);
      book.seq = message.seq;
      for (const change of message.changes) {
        const side = change.side === 'bid' ? book.bids : book.asks;
        if (change.quantity.isZero()) {
          assert.ok(side.delete(change.price.toString()), `${message.symbol}: removes ${change.side} ${change.price} it never had`);
        } else {
          side.set(change.price.toString(), { price: change.price, quantity: change.quantity });
        }
      }
      this.books.set(message.symbol, book);
    }
  }

  book(symbol: string): { seq: number; bids: string[]; asks: string[] } {
    const book = this.books.get(symbol);
    if (!book) return { seq: 0, bids: [], asks: [] };
    return {
      seq: book.seq,
      bids: text([...book.bids.values()].sort((a, b) => b.price.cmp(a.price))),
      asks: text([...book.asks.values()].sort((a, b) => a.price.cmp(b.price))),
    };
  }
}

const published = (feed: VenueMarketFeed, symbol: string) => {
  const snapshot = feed.bookSnapshot(symbol);
  return { seq: snapshot.seq, bids: text(snapshot.bids), asks: text(snapshot.asks) };
};

test('the same seed publishes the same messages over a modelled hour; another seed different ones', () => {
  const a = modelledHour(20260105);
  const b = modelledHour(20260105);
  const c = modelledHour(20260106);
  assert.ok(a.length > 3 * 3600);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('deltas applied to the snapshot rebuild the published book at every step, numbered one by one; the broker holds the same book', () => {
  const { market, broker, messages } = rig(7);
  market.model('BTC-PERP', { price: d(50_000) });
  market.model('SMLC', { price: d('12.50') });
  market.setMark('ETH-PERP', d(3_000));
  const replica = new ReplicaBooks(market.currentState());
  let late: ReplicaBooks | null = null;
  let lateFrom = 0;
  market.schedule(flashCrash({ symbol: 'BTC-PERP' }), 5 * MINUTE);
  market.schedule(spreadWidening({ symbol: 'SMLC', factor: 4, overMs: 10 * MINUTE }));
  let steps = 0;
  const seen = messages.length;
  market.subscribe(message => {
    replica.apply(message);
    late?.apply(message);
    // The broker has the book before the message that describes it goes out.
    if (message.type === 'book_delta') {
      const core = broker.book(message.symbol);
      const { bids, asks } = replica.book(message.symbol);
      assert.deepEqual({ bids: text(core.bids), asks: text(core.asks) }, { bids, asks }, `${message.symbol}: broker when delta ${message.seq} arrives`);
    }
    if (message.type !== 'heartbeat') return;
    steps += 1;
    for (const symbol of ['BTC-PERP', 'SMLC', 'ETH-PERP']) {
      assert.deepEqual(replica.book(symbol), published(market, symbol), `${symbol} at step ${steps}`);
      const core = broker.book(symbol);
      const view = market.bookOf(symbol);
      assert.deepEqual({ bids: text(core.bids), asks: text(core.asks) }, { bids: text(view.bids), asks: text(view.asks) }, `${symbol}: broker at step ${steps}`);
    }
    if (late) assert.deepEqual(late.book('BTC-PERP'), published(market, 'BTC-PERP'));
    // A subscriber that connects half-way starts from the snapshot and keeps up too.
    if (steps === 1200) {
      late = new ReplicaBooks(market.currentState());
      lateFrom = market.bookSnapshot('BTC-PERP').seq;
    }
  });
  market.advance(45 * MINUTE);
  assert.ok(steps >= 45 * 60);
  const deltas = of(messages.slice(seen), 'book_delta').filter(m => m.symbol === 'BTC-PERP');
  assert.deepEqual(deltas.map(m => m.seq), deltas.map((_, i) => deltas[0].seq + i));
  assert.ok(market.bookSnapshot('BTC-PERP').seq > lateFrom);
  // Every published price and quantity sits on the instrument's grid.
  for (const message of messages) {
    if (message.type !== 'book_delta' || message.symbol !== 'BTC-PERP') continue;
    for (const change of message.changes) {
      assert.ok(isMultipleOf(change.price, d('0.5')) && isMultipleOf(change.quantity, d('0.001')));
    }
  }
});

test('a flash crash: the low about 9 % down, the venue\'s 5 s pause there, and a book thinned to about 1 % of normal', () => {
  const { market, messages } = rig(11);
  market.model('BTC-PERP', { price: d(50_000), holdRegime: true });
  const normalDepth = market.depth('BTC-PERP', 'bid');
  market.schedule(flashCrash({ symbol: 'BTC-PERP' }));
  market.advance(15 * MINUTE);
  const low = market.markOf('BTC-PERP')!;
  const fall = d(1).minus(low.div(50_000)).toNumber();
  assert.ok(fall > 0.08 && fall < 0.1, `fell ${fall}`);
  const paused = of(messages, 'trading_status');
  assert.equal(paused.length, 1);
  assert.deepEqual({ ...paused[0] }, { type: 'trading_status', symbol: 'BTC-PERP', status: 'paused', reason: 'VENUE_HALT', at: '2026-01-05T14:45:00.000Z' });
  // The low is published before the pause it brings.
  const lastMark = of(messages, 'mark').at(-1)!;
  assert.ok(messages.indexOf(lastMark) < messages.indexOf(paused[0]));
  assert.ok(market.depth('BTC-PERP', 'bid').lt(normalDepth.times('0.02')));
  assert.ok(market.spreadBps('BTC-PERP')!.gt(5));
  assert.ok(market.currentState().some(m => m.type === 'trading_status' && m.status === 'paused'));
  // Nothing moves while paused.
  const marksBefore = of(messages, 'mark').length;
  market.advance(4_000);
  assert.equal(of(messages, 'mark').length, marksBefore);
  market.advance(1_000);
  const reopened = of(messages, 'trading_status')[1];
  assert.equal(reopened.status, 'open');
  assert.equal(reopened.reason, 'REOPENED');
  assert.equal(reopened.at, '2026-01-05T14:45:05.000Z');
  assert.equal(reopened.reopeningPrice!.toString(), low.toString());
  assert.ok(!market.currentState().some(m => m.type === 'trading_status'));
  // 20 minutes after the low most of the fall is back.
  market.advance(20 * MINUTE - 5_000);
  const recovered = market.markOf('BTC-PERP')!.minus(low).div(d(50_000).minus(low)).toNumber();
  assert.ok(recovered > 0.6 && recovered < 0.9, `recovered ${recovered}`);
});

test('after a flash crash\'s low a market order fills at the thin book\'s prices, and a large one fills in part, the rest cancelled', () => {
  const { market, broker } = rig(11);
  broker.deposit(d(100_000_000));
  market.model('BTC-PERP', { price: d(50_000), holdRegime: true });
  market.schedule(flashCrash({ symbol: 'BTC-PERP' }));
  market.advance(15 * MINUTE + 6_000);
  const bids = market.bookOf('BTC-PERP').bids;
  const small = bids[0].quantity.plus(bids[1].quantity.div(2)).toNearest(d('0.001'), Decimal.ROUND_DOWN);
  const fillsBefore = broker.fillHistory().length;
  const sold = broker.placeOrder({ clientOrderId: 'CO-1', symbol: 'BTC-PERP', side: 'sell', type: 'market', quantity: small, reduceOnly: false }).order;
  const fills = broker.fillHistory().slice(fillsBefore);
  assert.equal(sold.status, 'filled');
  assert.deepEqual(fills.map(f => `${f.quantity}@${f.price}`), [`${bids[0].quantity}@${bids[0].price}`, `${small.minus(bids[0].quantity)}@${bids[1].price}`]);
  assert.ok(sold.averageFillPrice.lt(bids[0].price), 'slippage: the average is below the best bid');
  const shown = market.depth('BTC-PERP', 'bid');
  const large = broker.placeOrder({ clientOrderId: 'CO-2', symbol: 'BTC-PERP', side: 'sell', type: 'market', quantity: d(5), reduceOnly: false }).order;
  assert.equal(large.status, 'cancelled');
  assert.equal(large.filledQuantity.toString(), shown.minus(small).toString());
  assert.ok(large.filledQuantity.lt(d(1)), `a thin book: ${large.filledQuantity} filled of 5`);
  assert.ok(large.averageFillPrice.lt(bids[2].price));
  // The market makers' next quotes replace what was taken.
  market.advance(1_000);
  assert.ok(broker.book('BTC-PERP').bids.length === 5);
});

test('a scripted mark keeps the book scenarios have always had: 1000 at the mark on each side, or the bids given', () => {
  const { market, broker, messages } = rig(1);
  market.setMark('BTC-PERP', d(50_000));
  assert.deepEqual(broker.book('BTC-PERP'), { bids: [{ price: d(50_000), quantity: d(1000) }], asks: [{ price: d(50_000), quantity: d(1000) }] });
  assert.equal(market.markOf('BTC-PERP')!.toString(), '50000');
  assert.deepEqual(messages.map(m => m.type), ['mark', 'book_delta']);
  const delta = of(messages, 'book_delta')[0];
  assert.equal(delta.seq, 1);
  assert.deepEqual(delta.changes.map(c => `${c.side} ${c.quantity}@${c.price}`), ['bid 1000@50000', 'ask 1000@50000']);
  // The same mark again: the book did not change, so no book message.
  market.setMark('BTC-PERP', d(50_000));
  assert.deepEqual(messages.map(m => m.type), ['mark', 'book_delta', 'mark']);
  market.setMark('BTC-PERP', d(49_000), { bids: [{ price: d(48_900), quantity: d('0.3') }, { price: d(48_950), quantity: d('0.2') }] });
  assert.deepEqual(broker.book('BTC-PERP'), {
    bids: [{ price: d(48_950), quantity: d('0.2') }, { price: d(48_900), quantity: d('0.3') }],
    asks: [{ price: d(49_000), quantity: d(1000) }],
  });
  const second = of(messages, 'book_delta')[1];
  assert.equal(second.seq, 2);
  assert.deepEqual(second.changes.map(c => `${c.side} ${c.quantity}@${c.price}`), ['bid 0.2@48950', 'bid 0.3@48900', 'bid 0@50000', 'ask 1000@49000', 'ask 0@50000']);
  assert.deepEqual(published(market, 'BTC-PERP'), { seq: 2, bids: ['0.2@48950', '0.3@48900'], asks: ['1000@49000'] });
});

test('bad scripted input is refused and changes nothing', () => {
  const { market, broker, messages } = rig(1);
  market.setMark('BTC-PERP', d(50_000));
  const before = messages.length;
  const refused = (kind: string, call: () => unknown): void => assert.throws(call, (e: unknown) => e instanceof TradingError && e.kind === kind);
  refused('InvalidInput', () => market.setMark('BTC-PERP', d('50000.25')));
  refused('InvalidInput', () => market.setMark('BTC-PERP', d(49_000), { bids: [{ price: d(48_000), quantity: d('0.0001') }] }));
  refused('InvalidInput', () => market.setMark('BTC-PERP', d(-1)));
  refused('UnknownInstrument', () => market.setMark('DOGE-PERP', d(1)));
  refused('InvalidInput', () => market.schedule(flashCrash({ symbol: 'BTC-PERP' })));
  refused('InvalidInput', () => market.reopen('BTC-PERP', d(50_000)));
  refused('InvalidInput', () => market.setPriorClose('SPX', d('5000.00'), '2026-02-30'));
  refused('InvalidInput', () => market.model('AAPL', { price: d(200), levels: 0 }));
  refused('InvalidInput', () => market.advance(-1));
  assert.equal(messages.length, before);
  assert.equal(broker.book('BTC-PERP').bids[0].price.toString(), '50000');
  assert.equal(market.regimeOf('AAPL'), null);
});

test('stress gives a wider spread and a thinner book than calm on the same seed', () => {
  const calm = rig(5);
  const stress = rig(5);
  calm.market.model('AAPL', { price: d('200.00'), regime: 'calm', holdRegime: true });
  stress.market.model('AAPL', { price: d('200.00'), regime: 'stress', holdRegime: true });
  for (let minute = 0; minute < 30; minute += 1) {
    calm.market.advance(MINUTE);
    stress.market.advance(MINUTE);
    assert.ok(stress.market.spreadBps('AAPL')!.gt(calm.market.spreadBps('AAPL')!.times(5)), `minute ${minute}`);
    assert.ok(stress.market.depth('AAPL', 'ask').lt(calm.market.depth('AAPL', 'ask').times('0.4')), `minute ${minute}`);
  }
  assert.equal(calm.market.regimeOf('AAPL'), 'calm');
  assert.equal(stress.market.regimeOf('AAPL'), 'stress');
  assert.ok(stress.market.modelState('AAPL')!.annualisedVolatility > calm.market.modelState('AAPL')!.annualisedVolatility * 2);
});

test('a regime change, a liquidity drain that stays until lifted, and a spread widening act on the next steps', () => {
  const { market } = rig(3);
  market.model('ETH-PERP', { price: d(3_000), holdRegime: true, depthPerLevel: d(100) });
  market.advance(1_000);
  const normal = market.depth('ETH-PERP', 'bid');
  const drain = market.schedule(liquidityDrain({ symbol: 'ETH-PERP', toShare: 0.1, overMs: 10 * MINUTE }));
  market.advance(10 * MINUTE);
  assert.ok(market.depth('ETH-PERP', 'bid').lt(normal.times('0.15')));
  market.advance(HOUR);
  assert.ok(market.depth('ETH-PERP', 'bid').lt(normal.times('0.15')), 'the drain stays');
  assert.equal(market.lift(drain.id), true);
  market.advance(1_000);
  assert.ok(market.depth('ETH-PERP', 'bid').gt(normal.times('0.7')));
  const spread = market.spreadBps('ETH-PERP')!;
  market.schedule(spreadWidening({ symbol: 'ETH-PERP', factor: 6, overMs: MINUTE }));
  market.advance(MINUTE);
  assert.ok(market.spreadBps('ETH-PERP')!.gt(spread.times(4)));
  market.schedule(regimeChange({ symbol: 'ETH-PERP', to: 'stress' }));
  assert.equal(market.regimeOf('ETH-PERP'), 'calm');
  market.advance(1_000);
  assert.equal(market.regimeOf('ETH-PERP'), 'stress');
});

test('an implied-volatility surge publishes the index as it rises, on a 0.0001 grid, and the state keeps the last value', () => {
  const { market, messages } = rig(2);
  market.setImpliedVolatility('VIX', d('0.18'));
  market.schedule(impliedVolatilitySurge({ underlying: 'VIX', from: 0.18, to: 0.45, overMs: 10 * MINUTE }));
  market.advance(10 * MINUTE, 10_000);
  const values = of(messages, 'implied_volatility').map(m => m.value.toString());
  assert.equal(values[0], '0.18');
  assert.equal(values.at(-1), '0.45');
  assert.equal(values.length, 61);
  assert.ok(of(messages, 'implied_volatility').every(m => m.value.decimalPlaces() <= 4));
  assert.deepEqual(market.currentState().filter(m => m.type === 'implied_volatility').map(m => m.type === 'implied_volatility' && m.value.toString()), ['0.45']);
});

test('halts and reopenings: a halted symbol stands still, the reopening print moves it, and the state lists what is not open', () => {
  const { market, messages } = rig(4);
  market.model('AAPL', { price: d('200.00') });
  market.model('SPX', { price: d('5000.00') });
  market.model('BTC-PERP', { price: d(50_000) });
  market.setPriorClose('SPX', d('5100.00'), '2026-01-02');
  market.halt('AAPL', 'LULD_PAUSE');
  const halted = market.markOf('AAPL')!;
  market.advance(MINUTE);
  assert.equal(market.markOf('AAPL')!.toString(), halted.toString());
  assert.ok(!market.markOf('BTC-PERP')!.eq(50_000));
  const state = market.currentState();
  assert.deepEqual(state.map(m => m.type), ['prior_close', 'mark', 'mark', 'mark', 'book_snapshot', 'book_snapshot', 'trading_status']);
  assert.equal(state.find(m => m.type === 'trading_status' && m.status === 'paused' && m.reason === 'LULD_PAUSE')?.type, 'trading_status');
  market.reopen('AAPL', d('195.50'));
  const last = messages.slice(-3);
  assert.deepEqual(last.map(m => m.type), ['trading_status', 'mark', 'book_delta']);
  assert.equal(last[0].type === 'trading_status' && last[0].reopeningPrice?.toString(), '195.5');
  assert.equal(market.markOf('AAPL')!.toString(), '195.5');
  // A market-wide halt stops every US equity and the index, not the 24/7 perpetuals.
  market.halt(MARKET_WIDE, 'MARKET_WIDE_LEVEL_1');
  const spx = market.markOf('SPX')!;
  const btc = market.markOf('BTC-PERP')!;
  market.advance(15 * MINUTE);
  assert.equal(market.markOf('SPX')!.toString(), spx.toString());
  assert.ok(!market.markOf('BTC-PERP')!.eq(btc));
  market.reopen(MARKET_WIDE);
  market.advance(MINUTE);
  assert.ok(!market.markOf('SPX')!.eq(spx));
});

test('an index is modelled as a mark only: no book', () => {
  const { market, messages } = rig(6);
  market.model('SPX', { price: d('5000.00') });
  market.advance(MINUTE);
  assert.equal(of(messages, 'book_delta').length, 0);
  assert.ok(of(messages, 'mark').length >= 60);
  assert.deepEqual(market.bookOf('SPX'), { bids: [], asks: [] });
});

test('throughput: book updates a second over a modelled hour of six symbols', () => {
  const { market } = rig(99);
  for (const [symbol, price] of [['BTC-PERP', '50000'], ['ETH-PERP', '3000'], ['SOL-PERP', '150'], ['AAPL', '200'], ['MSFT', '400'], ['SPY', '500']] as const) {
    market.model(symbol, { price: d(price) });
  }
  const before = market.bookDeltasPublished;
  const started = performance.now();
  market.advance(HOUR);
  const seconds = (performance.now() - started) / 1000;
  const deltas = market.bookDeltasPublished - before;
  assert.ok(deltas > 6 * 3000);
  console.log(`market simulator: ${deltas} book deltas (${market.messagesPublished} messages) in ${seconds.toFixed(2)} s: ${Math.round(deltas / seconds)} book updates a second`);
});

test('a coarse one-minute step still lands on the flash crash\'s low and the end of its 5 s pause', () => {
  const { market, messages } = rig(11);
  market.model('BTC-PERP', { price: d(50_000), holdRegime: true });
  market.schedule(flashCrash({ symbol: 'BTC-PERP' }));
  market.advance(20 * MINUTE, MINUTE);
  assert.deepEqual(of(messages, 'trading_status').map(m => `${m.status} ${m.reason} ${m.at}`), [
    'paused VENUE_HALT 2026-01-05T14:45:00.000Z',
    'open REOPENED 2026-01-05T14:45:05.000Z',
  ]);
  assert.equal(of(messages, 'heartbeat').at(-1)!.at, '2026-01-05T14:50:00.000Z');
});
