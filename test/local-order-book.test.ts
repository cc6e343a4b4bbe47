import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, TradingError } from '../domain/shared';
import { BookSide, MarketDataMessage } from '../domain/market/market-data';
import { LocalOrderBook } from '../domain/market/local-order-book';

const AT = '2026-03-09T14:30:00.000Z';
type Snapshot = Extract<MarketDataMessage, { type: 'book_snapshot' }>;
type Delta = Extract<MarketDataMessage, { type: 'book_delta' }>;

const lv = (price: string, quantity: string) => ({ price: new Decimal(price), quantity: new Decimal(quantity) });

function snapshot(seq: number, bids: [string, string][], asks: [string, string][], symbol = 'AAPL'): Snapshot {
  return { type: 'book_snapshot', symbol, seq, bids: bids.map(([p, q]) => lv(p, q)), asks: asks.map(([p, q]) => lv(p, q)), at: AT };
}

function delta(seq: number, ...changes: [BookSide, string, string][]): Delta {
  return { type: 'book_delta', symbol: 'AAPL', seq, changes: changes.map(([side, p, q]) => ({ side, ...lv(p, q) })), at: AT };
}

/** A side as "price x quantity" text, best first. */
function side(book: LocalOrderBook, which: BookSide): string[] {
  return book.levels(which).map(l => `${l.price.toString()}x${l.quantity.toString()}`);
}

function opened(): LocalOrderBook {
  const book = new LocalOrderBook('AAPL');
  assert.deepEqual(book.apply(snapshot(10, [['189.23', '1200'], ['189.24', '300']], [['189.27', '100'], ['189.26', '50']])), { outcome: 'applied', seq: 10 });
  return book;
}

test('before its first snapshot a book is not usable and deltas are ignored', () => {
  const book = new LocalOrderBook('AAPL');
  assert.equal(book.synced, false);
  assert.equal(book.view(), null);
  assert.deepEqual(book.apply(delta(1, ['bid', '100', '1'])), { outcome: 'ignored', seq: 1 });
  assert.equal(book.view(), null);
});

test('a snapshot sets the book best first on each side, and the next deltas apply in turn', () => {
  const book = opened();
  assert.equal(book.synced, true);
  assert.deepEqual(side(book, 'bid'), ['189.24x300', '189.23x1200']);
  assert.deepEqual(side(book, 'ask'), ['189.26x50', '189.27x100']);
  assert.deepEqual(book.apply(delta(11, ['bid', '189.25', '200'], ['ask', '189.26', '20'])), { outcome: 'applied', seq: 11 });
  assert.deepEqual(book.apply(delta(12, ['ask', '189.255', '5'])), { outcome: 'applied', seq: 12 });
  const view = book.view();
  assert.ok(view);
  assert.equal(view.seq, 12);
  assert.deepEqual(view.bids.map(l => l.price.toString()), ['189.25', '189.24', '189.23']);
  assert.deepEqual(view.asks.map(l => `${l.price.toString()}x${l.quantity.toString()}`), ['189.255x5', '189.26x20', '189.27x100']);
});

test('a quantity of 0 removes the level; removing a level the book does not hold changes nothing', () => {
  const book = opened();
  book.apply(delta(11, ['bid', '189.24', '0'], ['ask', '189.30', '0']));
  assert.deepEqual(side(book, 'bid'), ['189.23x1200']);
  assert.deepEqual(side(book, 'ask'), ['189.26x50', '189.27x100']);
  // The same level written with a trailing zero is the same level.
  book.apply(delta(12, ['ask', '189.260', '0']));
  assert.deepEqual(side(book, 'ask'), ['189.27x100']);
});

test('a delta at or below the book seq was already applied: ignored, the book unchanged', () => {
  const book = opened();
  book.apply(delta(11, ['bid', '189.25', '200']));
  assert.deepEqual(book.apply(delta(11, ['bid', '189.25', '999'])), { outcome: 'ignored', seq: 11 });
  assert.deepEqual(book.apply(delta(9, ['bid', '189.20', '1'])), { outcome: 'ignored', seq: 9 });
  assert.deepEqual(side(book, 'bid'), ['189.25x200', '189.24x300', '189.23x1200']);
  assert.equal(book.view()?.seq, 11);
});

test('a jump in seq is a gap: the book is unusable, later deltas ignored, until a snapshot resynchronises it', () => {
  const book = opened();
  assert.deepEqual(book.apply(delta(13, ['bid', '189.25', '200'])), { outcome: 'gap', expected: 11, received: 13 });
  assert.equal(book.synced, false);
  assert.equal(book.view(), null);
  assert.deepEqual(book.levels('bid'), []);
  assert.deepEqual(book.apply(delta(14, ['bid', '189.25', '100'])), { outcome: 'ignored', seq: 14 });
  assert.deepEqual(book.apply(snapshot(14, [['189.25', '100']], [['189.26', '50']])), { outcome: 'applied', seq: 14 });
  assert.equal(book.synced, true);
  assert.deepEqual(book.apply(delta(15, ['ask', '189.26', '0'])), { outcome: 'applied', seq: 15 });
  assert.deepEqual(book.view(), { bids: [lv('189.25', '100')], asks: [], seq: 15 });
});

test('a snapshot older than the synced book is stale and ignored; one at or past it replaces the book', () => {
  const book = opened();
  book.apply(delta(11, ['bid', '189.25', '200']));
  assert.deepEqual(book.apply(snapshot(10, [['150', '1']], [])), { outcome: 'ignored', seq: 10 });
  assert.deepEqual(side(book, 'bid'), ['189.25x200', '189.24x300', '189.23x1200']);
  assert.deepEqual(book.apply(snapshot(11, [['189.25', '200']], [])), { outcome: 'applied', seq: 11 });
  assert.deepEqual(side(book, 'bid'), ['189.25x200']);
  assert.deepEqual(side(book, 'ask'), []);
  // After a gap any snapshot is the venue's word: it is all the book has.
  book.apply(delta(20, ['bid', '1', '1']));
  assert.deepEqual(book.apply(snapshot(5, [['100', '1']], [])), { outcome: 'applied', seq: 5 });
});

test('a crossed book is kept as sent and still read', () => {
  const book = opened();
  book.apply(delta(11, ['bid', '189.30', '10']));
  const view = book.view();
  assert.ok(view);
  assert.ok(view.bids[0].price.gt(view.asks[0].price));
});

test('messages no venue could send are refused and change nothing', () => {
  const book = opened();
  const before = book.view();
  const invalid = (run: () => unknown, what: string) =>
    assert.throws(run, (error: unknown) => error instanceof TradingError && error.kind === 'InvalidInput', what);
  invalid(() => book.apply(snapshot(11, [['100', '1']], [], 'MSFT')), 'another symbol');
  invalid(() => book.apply(delta(11, ['bid', '189.25', '200'], ['ask', '189.27', '-1'])), 'a negative quantity');
  invalid(() => book.apply(delta(11, ['bid', '0', '1'])), 'a zero price');
  invalid(() => book.apply(snapshot(11, [['100', '0']], [])), 'a snapshot level of nothing');
  invalid(() => book.apply(snapshot(11, [['100', '1'], ['100.0', '2']], [])), 'a snapshot level twice');
  assert.deepEqual(book.view(), before);
});
