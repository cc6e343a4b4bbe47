import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import { MARKET_WIDE } from '../domain/market';
import type { TradingSystem } from '../domain/trading-system';
import { levels, marketSystem, quote, ofType } from './fake-market-data';

const d = (v: string) => new Decimal(v);
const limitBuy = (symbol: string, quantity: string, price: string) => ({ symbol, side: 'buy', type: 'limit', quantity, limitPrice: price });

async function rejectionCode(system: TradingSystem, order: Parameters<TradingSystem['coordinator']['place']>[0]): Promise<string> {
  const result = await system.coordinator.place(order);
  if (result.outcome === 'rejected' && result.stage === 'risk') return result.decision.reasonCode;
  return result.outcome;
}

test('a gap in a book is recorded, a snapshot is asked for, and the next snapshot resynchronises the book', async t => {
  const env = marketSystem(t);
  await env.system.connectMarketData();
  env.source.snapshot('AAPL', 1, levels(['99.99', '500']), levels(['100.01', '500']));
  env.source.send({ type: 'book_delta', symbol: 'AAPL', seq: 2, changes: [{ side: 'ask', price: d('100.01'), quantity: d('400') }], at: env.source.at });
  assert.equal(env.system.marketView('AAPL')?.book?.asks[0].quantity.toString(), '400');
  env.source.send({ type: 'book_delta', symbol: 'AAPL', seq: 4, changes: [{ side: 'ask', price: d('100.01'), quantity: d('300') }], at: env.source.at });
  assert.deepEqual(
    ofType(env.system, 'MarketDataGap').map(e => e.payload),
    [{ symbol: 'AAPL', expected: 3, received: 4 }],
  );
  assert.deepEqual(env.source.snapshotRequests, ['AAPL']);
  assert.equal(env.system.marketView('AAPL')?.book, null, 'a book with a gap is not used');
  // Deltas after the gap change nothing and ask for nothing more.
  env.source.send({ type: 'book_delta', symbol: 'AAPL', seq: 5, changes: [], at: env.source.at });
  assert.equal(ofType(env.system, 'MarketDataGap').length, 1);
  env.source.snapshot('AAPL', 5, levels(['99.98', '800']), levels(['100.02', '800']));
  assert.deepEqual(ofType(env.system, 'MarketBookResynchronised').map(e => e.payload), [{ symbol: 'AAPL', seq: 5 }]);
  assert.equal(env.system.marketView('AAPL')?.book?.seq, 5);
});

test('a halt refuses orders for the symbol, survives a restart, and the reopening message lifts it', async t => {
  const env = marketSystem(t);
  await env.system.connectMarketData();
  quote(env, 'AAPL', '100', 1);
  quote(env, 'MSFT', '300', 1);
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'halted', reason: 'NEWS_PENDING', at: env.source.at });
  assert.equal(await rejectionCode(env.system, limitBuy('AAPL', '10', '100')), 'SYMBOL_HALTED');
  assert.equal(await rejectionCode(env.system, limitBuy('MSFT', '10', '300')), 'accepted', 'another symbol trades on');

  const restarted = env.reopen();
  await restarted.system.connectMarketData();
  quote({ core: env.core, source: restarted.source }, 'AAPL', '100', 1);
  assert.equal(restarted.system.marketView('AAPL')?.status.status, 'halted', 'the halt is in the log');
  assert.equal(await rejectionCode(restarted.system, limitBuy('AAPL', '10', '100')), 'SYMBOL_HALTED');
  // The venue's current state repeats the halt on connect: nothing new is recorded.
  restarted.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'halted', reason: 'NEWS_PENDING', at: restarted.source.at });
  assert.equal(ofType(restarted.system, 'MarketStatusChanged').length, 1);

  restarted.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'REOPENED', reopeningPrice: d('101'), at: restarted.source.at });
  const reopened = restarted.system.marketView('AAPL');
  assert.equal(reopened?.status.status, 'open');
  assert.equal(reopened?.status.awaitingReopeningPrint, false);
  assert.equal(await rejectionCode(restarted.system, limitBuy('AAPL', '10', '100')), 'accepted');
});

test('after a halt market orders wait for a reopening that carries the reopening print; limit orders do not', async t => {
  const env = marketSystem(t);
  await env.system.connectMarketData();
  quote(env, 'AAPL', '100', 1);
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'paused', reason: 'LULD_PAUSE', at: env.source.at });
  assert.equal(await rejectionCode(env.system, { symbol: 'AAPL', side: 'buy', type: 'market', quantity: '10' }), 'LULD_PAUSED');
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'REOPENED', at: env.source.at });
  assert.equal(await rejectionCode(env.system, { symbol: 'AAPL', side: 'buy', type: 'market', quantity: '10' }), 'MARKET_ORDER_BEFORE_REOPENING_PRINT');
  assert.equal(await rejectionCode(env.system, limitBuy('AAPL', '10', '99')), 'accepted');
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'REOPENED', reopeningPrice: d('100'), at: env.source.at });
  assert.equal(await rejectionCode(env.system, { symbol: 'AAPL', side: 'buy', type: 'market', quantity: '10' }), 'accepted');
});

test('at the open a market order waits for the first mark of the regular session', async t => {
  const env = marketSystem(t, '2026-01-05T14:29:45Z');
  await env.system.connectMarketData();
  quote(env, 'AAPL', '100', 1);
  env.clock.set('2026-01-05T14:30:00Z');
  env.source.heartbeat();
  assert.equal(env.system.marketView('AAPL')?.status.awaitingReopeningPrint, true);
  assert.equal(await rejectionCode(env.system, { symbol: 'AAPL', side: 'buy', type: 'market', quantity: '10' }), 'MARKET_ORDER_BEFORE_REOPENING_PRINT');
  env.source.mark('AAPL', '100.05');
  assert.equal(await rejectionCode(env.system, { symbol: 'AAPL', side: 'buy', type: 'market', quantity: '10' }), 'accepted');
});

test('a 7 % fall of the index at 15:24:59 halts every US equity until the market-wide reopening, not at the end of the 15 minutes; level 1 once a day', async t => {
  const env = marketSystem(t, '2026-01-05T20:20:00Z');
  await env.system.connectMarketData();
  env.source.send({ type: 'prior_close', symbol: 'SPX', price: d('5000'), tradingDay: '2026-01-02', at: env.source.at });
  quote(env, 'AAPL', '100', 1);
  quote(env, 'BTC-PERP', '50000', 1);
  env.clock.set('2026-01-05T20:24:59Z');
  quote(env, 'AAPL', '100', 2);
  env.source.mark('SPX', '4650');
  const [trigger] = ofType(env.system, 'MarketWideBreakerTriggered');
  assert.deepEqual(trigger?.payload, {
    level: 1,
    decline: '0.07',
    halts: true,
    haltEnds: '2026-01-05T20:39:59.000Z',
    tradingDay: '2026-01-05',
    index: 'SPX',
    indexLevel: '4650',
    priorClose: '5000',
  });
  assert.equal(env.system.marketView('AAPL')?.status.reason, 'MARKET_WIDE_LEVEL_1');
  assert.equal(await rejectionCode(env.system, limitBuy('AAPL', '10', '100')), 'MARKET_WIDE_HALT');
  assert.equal(env.system.marketView('BTC-PERP')?.status.status, 'open', 'a 24/7 perpetual does not halt');
  // Lower again the same day: level 1 has triggered already.
  env.source.mark('SPX', '4640');
  assert.equal(ofType(env.system, 'MarketWideBreakerTriggered').length, 1);
  // The timer alone does not reopen.
  env.clock.set('2026-01-05T20:41:00Z');
  env.source.heartbeat();
  assert.equal(env.system.marketView('AAPL')?.status.status, 'halted');
  env.source.send({ type: 'trading_status', symbol: MARKET_WIDE, status: 'open', reason: 'REOPENED', at: env.source.at });
  assert.equal(env.system.marketView('AAPL')?.status.status, 'open');
  quote(env, 'AAPL', '100', 3);
  assert.equal(await rejectionCode(env.system, limitBuy('AAPL', '10', '100')), 'accepted');
});

test('the same fall at 15:25:00 reaches level 1 without halting', async t => {
  const env = marketSystem(t, '2026-01-05T20:20:00Z');
  await env.system.connectMarketData();
  env.source.send({ type: 'prior_close', symbol: 'SPX', price: d('5000'), tradingDay: '2026-01-02', at: env.source.at });
  quote(env, 'AAPL', '100', 1);
  env.clock.set('2026-01-05T20:25:00Z');
  env.source.mark('SPX', '4650');
  assert.deepEqual(ofType(env.system, 'MarketWideBreakerTriggered').map(e => e.payload.halts), [false]);
  assert.equal(ofType(env.system, 'MarketStatusChanged').length, 0);
  assert.equal(env.system.marketView('AAPL')?.status.status, 'open');
});

test('an implied-volatility surge puts the market in stress and tightens the leverage the order is held to', async t => {
  const env = marketSystem(t);
  await env.system.connectMarketData();
  quote(env, 'AAPL', '100', 1);
  env.source.send({ type: 'implied_volatility', underlying: 'VIX', value: d('0.62'), at: env.source.at });
  env.source.send({ type: 'implied_volatility', underlying: 'VIX', value: d('0.62'), at: env.source.at });
  assert.equal(ofType(env.system, 'ImpliedVolatilityUpdated').length, 1, 'an unchanged value is not recorded again');
  const market = env.system.marketView('AAPL');
  assert.equal(market?.regime, 'stress');
  assert.equal(market?.regimeDriver, 'implied');
  const result = await env.system.coordinator.place(limitBuy('AAPL', '3000', '100'));
  assert.equal(result.outcome, 'rejected');
  if (result.outcome !== 'rejected' || result.stage !== 'risk') return;
  const leverage = result.decision.rows.find(r => r.check === 'max leverage');
  assert.equal(leverage?.passed, false);
  assert.equal(leverage?.limit, '2.50x');
  assert.equal(leverage?.note, 'tightened x0.5 for the stress regime (implied 62 %)');
  const [rejected] = ofType(env.system, 'OrderRejected');
  assert.ok(rejected?.type === 'OrderRejected' && rejected.payload.stage === 'risk');
  assert.deepEqual(rejected.payload.market, {
    session: 'regular',
    localTime: '2026-01-05 09:30:00 EST',
    status: 'open',
    haltReason: null,
    regime: 'stress',
    regimeDriver: 'implied',
    bestBid: '100',
    bestAsk: '100',
    priceBand: '90.00 - 110.00 (10.0 %, doubled around 100.00)',
    spreadBps: '0',
    depth: '100000',
    impliedVolatility: '0.62',
    realizedVolatility: null,
  });
});

test('a mark in the state sent on reconnect that the log already holds adds no event; a new price does, and so does a live repeat', async t => {
  const env = marketSystem(t);
  await env.system.connectMarketData();
  quote(env, 'AAPL', '100', 1);
  const before = ofType(env.system, 'MarkPriceUpdated').length;
  const restarted = env.reopen([
    { type: 'mark', symbol: 'AAPL', price: d('100'), at: env.source.at },
    { type: 'mark', symbol: 'MSFT', price: d('300'), at: env.source.at },
    { type: 'book_snapshot', symbol: 'AAPL', seq: 1, bids: levels(['100', '100']), asks: levels(['100', '100']), at: env.source.at },
  ]);
  await restarted.system.connectMarketData();
  const marks = ofType(restarted.system, 'MarkPriceUpdated');
  assert.equal(marks.length, before + 1);
  assert.deepEqual(marks[marks.length - 1].payload, { symbol: 'MSFT', price: '300' });
  restarted.source.mark('AAPL', '100');
  assert.equal(ofType(restarted.system, 'MarkPriceUpdated').length, before + 2, 'after the connection the same price is a fresh mark');
});

test('orders carry time in force and extended hours, checked at the edge; equities default to day orders', async t => {
  const env = marketSystem(t);
  await env.system.connectMarketData();
  quote(env, 'AAPL', '100', 1);
  const bad = await env.system.coordinator.place({ ...limitBuy('AAPL', '1', '99'), timeInForce: 'ioc' });
  assert.equal(bad.outcome, 'rejected');
  assert.ok(bad.outcome === 'rejected' && bad.stage === 'input' && /time in force must be day or gtc/.test(bad.error.message));
  const flag = await env.system.coordinator.place({ ...limitBuy('AAPL', '1', '99'), extendedHours: 'yes' as unknown as boolean });
  assert.ok(flag.outcome === 'rejected' && flag.stage === 'input' && flag.error.details.field === 'extendedHours');
  const placed = await env.system.coordinator.place(limitBuy('AAPL', '1', '99'));
  assert.equal(placed.outcome, 'accepted');
  assert.ok(placed.outcome === 'accepted');
  assert.equal(placed.order.timeInForce, 'day');
  assert.equal(placed.order.extendedHours, false);
  const requested = ofType(env.system, 'OrderRequested').pop();
  assert.ok(requested?.type === 'OrderRequested');
  assert.equal(requested.payload.timeInForce, 'day');
  quote(env, 'BTC-PERP', '50000', 1);
  const perp = await env.system.coordinator.place(limitBuy('BTC-PERP', '0.01', '49000'));
  assert.ok(perp.outcome === 'accepted');
  assert.equal(perp.order.timeInForce, 'gtc');
});

test('the LULD reference follows the five-minute mean only once it has moved 1 %, as the venue keeps it; a reopening print starts it again', async t => {
  // 10:00 New York: tier 1, 5 % bands, not doubled.
  const env = marketSystem(t, '2026-01-05T15:00:00Z');
  await env.system.connectMarketData();
  const bands = () => {
    const b = env.system.marketView('AAPL')?.bands;
    return b ? `${b.lower} - ${b.upper}` : 'none';
  };
  env.source.mark('AAPL', '200');
  assert.equal(bands(), '190 - 210');
  // Marks at 201 move the mean by less than 1 % for a while: the bands stand.
  env.clock.advance(1000);
  env.source.mark('AAPL', '201');
  assert.equal(bands(), '190 - 210', 'a mean of 200 before this mark');
  env.clock.advance(1000);
  env.source.mark('AAPL', '203');
  assert.equal(bands(), '190 - 210', 'a mean of 200.5: 0.25 % from 200');
  env.clock.advance(1000);
  env.source.mark('AAPL', '206');
  // The mean of 200, 201 and 203 is 201.333...: 0.67 %, still inside 1 %.
  assert.equal(bands(), '190 - 210');
  env.clock.advance(1000);
  env.source.mark('AAPL', '206');
  // The mean of 200, 201, 203, 206 is 202.5: 1.25 % from 200, the reference moves to it.
  assert.equal(bands(), '192.38 - 212.62', 'on the tick grid, inside: 192.375 up, 212.625 down');
  // A reopening print starts the reference again from the print.
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'paused', reason: 'LULD_PAUSE', at: env.source.at });
  env.clock.advance(300_000);
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'REOPENED', reopeningPrice: d('220'), at: env.source.at });
  assert.equal(bands(), '209 - 231');
});
