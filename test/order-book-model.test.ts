import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, TradingError, isMultipleOf, sum } from '../domain/shared';
import type { PriceLevel } from '../domain/market';
import { BookModelInput, buildOrderBook } from '../support/simulators/market';

const AAPL: BookModelInput = { mid: new Decimal('200.003'), tickSize: new Decimal('0.01'), lotSize: new Decimal('1'), baseSpreadBps: 1, depthPerLevel: new Decimal(25_000) };
const BTC: BookModelInput = { mid: new Decimal('50000.3'), tickSize: new Decimal('0.5'), lotSize: new Decimal('0.001'), baseSpreadBps: 1, depthPerLevel: new Decimal(10) };

const text = (levels: readonly PriceLevel[]): string[] => levels.map(l => `${l.quantity.toString()}@${l.price.toString()}`);
const spreadBps = (input: BookModelInput): number => {
  const book = buildOrderBook(input);
  return book.asks[0].price.minus(book.bids[0].price).div(input.mid).times(10_000).toNumber();
};

test('calm: five levels a side, a 1 bp spread on the tick grid around the mid, the base depth at each level', () => {
  const book = buildOrderBook(AAPL);
  assert.deepEqual(text(book.bids), ['25000@199.99', '25000@199.97', '25000@199.95', '25000@199.93', '25000@199.91']);
  assert.deepEqual(text(book.asks), ['25000@200.01', '25000@200.03', '25000@200.05', '25000@200.07', '25000@200.09']);
});

test('a liquid name whose bps are under a tick trades at a one-tick spread', () => {
  const book = buildOrderBook({ ...AAPL, mid: new Decimal('20.004') });
  assert.equal(book.asks[0].price.minus(book.bids[0].price).toString(), '0.01');
  assert.ok(book.bids[0].price.lte(new Decimal('20.004')) && book.asks[0].price.gte(new Decimal('20.004')));
});

test('stress: the spread ten times wider and the depth a fifth of calm; the factors can be set', () => {
  const calm = buildOrderBook(BTC);
  const stress = buildOrderBook({ ...BTC, regime: 'stress' });
  assert.equal(calm.asks[0].price.minus(calm.bids[0].price).toString(), '5');
  assert.equal(stress.asks[0].price.minus(stress.bids[0].price).toString(), '50');
  assert.equal(sum(calm.bids.map(l => l.quantity)).toString(), '50');
  assert.equal(sum(stress.bids.map(l => l.quantity)).toString(), '10');
  const harsher = buildOrderBook({ ...BTC, regime: 'stress', stress: { spreadMultiplier: 20, depthMultiplier: 0.1 } });
  assert.equal(harsher.asks[0].price.minus(harsher.bids[0].price).toString(), '100');
  assert.equal(harsher.asks[0].quantity.toString(), '1');
});

test('event factors multiply on top: depth at 1 % and the spread x10, never under one lot', () => {
  const crash = buildOrderBook({ ...BTC, liquidityFactor: 0.01, spreadFactor: 10 });
  assert.deepEqual(text(crash.bids).slice(0, 2), ['0.1@49975.5', '0.1@49925.5']);
  assert.deepEqual(text(crash.asks).slice(0, 2), ['0.1@50025.5', '0.1@50075.5']);
  const dry = buildOrderBook({ ...AAPL, liquidityFactor: 0.00001 });
  assert.ok(dry.bids.every(l => l.quantity.eq(1)));
});

test('per-level noise scales each level and rounds down to the lot', () => {
  const book = buildOrderBook({ ...BTC, levels: 2, levelQuantityFactors: { bids: [1.23456, 0.5], asks: [0.99999] } });
  assert.deepEqual(text(book.bids), ['12.345@49998', '5@49993']);
  assert.deepEqual(text(book.asks), ['9.999@50003', '10@50008']);
});

test('whatever the mid, spread and factors: prices on the tick grid, quantities on the lot grid, never crossed, best first', () => {
  for (let i = 0; i < 500; i += 1) {
    const mid = new Decimal(0.37 + i * 13.731);
    const input: BookModelInput = { ...BTC, mid, tickSize: new Decimal(i % 2 ? '0.05' : '0.5'), baseSpreadBps: (i % 7) * 3, regime: i % 3 ? 'calm' : 'stress', spreadFactor: 1 + (i % 5), liquidityFactor: 1 / (1 + (i % 11)) };
    const book = buildOrderBook(input);
    assert.ok(book.bids.length > 0 || mid.lt(1));
    for (const level of [...book.bids, ...book.asks]) {
      assert.ok(isMultipleOf(level.price, input.tickSize), `price ${level.price} off the grid`);
      assert.ok(isMultipleOf(level.quantity, input.lotSize) && level.quantity.gte(input.lotSize));
      assert.ok(level.price.gt(0));
    }
    if (book.bids.length > 0) assert.ok(book.bids[0].price.lt(book.asks[0].price));
    for (let k = 1; k < book.bids.length; k += 1) assert.ok(book.bids[k].price.lt(book.bids[k - 1].price));
    for (let k = 1; k < book.asks.length; k += 1) assert.ok(book.asks[k].price.gt(book.asks[k - 1].price));
  }
});

test('a wider base spread in bps gives a wider book: a small cap at 100 bps', () => {
  assert.ok(spreadBps({ ...AAPL, baseSpreadBps: 100 }) > 99 && spreadBps({ ...AAPL, baseSpreadBps: 100 }) < 101);
  assert.ok(spreadBps(AAPL) < 1.5);
});

test('bad input is refused with a clear error', () => {
  const refused = (input: BookModelInput): void => assert.throws(() => buildOrderBook(input), (e: unknown) => e instanceof TradingError && e.kind === 'InvalidInput');
  refused({ ...AAPL, mid: new Decimal(0) });
  refused({ ...AAPL, levels: 0 });
  refused({ ...AAPL, liquidityFactor: -1 });
  refused({ ...AAPL, baseSpreadBps: Number.NaN });
  refused({ ...AAPL, tickSize: new Decimal(0) });
});
