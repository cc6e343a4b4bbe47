import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closePreparationOrderId } from '../domain/market';
import type { TradingSystem } from '../domain/trading-system';
import { marketSystem, quote, until, ofType } from './fake-market-data';

const netQuantity = (system: TradingSystem, symbol: string) => system.state.position(symbol).netQuantity.toString();

/** Monday 2026-01-05 at 09:30 ET: a long position in SPY (flattened at the close) and in AAPL (carried), a day order and a good-till-cancelled one working in AAPL. */
async function tradingDay(t: Parameters<typeof marketSystem>[0]) {
  const env = marketSystem(t);
  await env.system.connectMarketData();
  quote(env, 'SPY', '100', 1);
  quote(env, 'AAPL', '100', 1);
  for (const symbol of ['SPY', 'AAPL']) {
    const bought = await env.system.coordinator.place({ symbol, side: 'buy', type: 'market', quantity: '100' });
    assert.equal(bought.outcome, 'accepted', JSON.stringify(bought.outcome === 'rejected' && bought.stage === 'risk' ? bought.decision.failed : bought));
  }
  await until(env.system, () => netQuantity(env.system, 'SPY') === '100' && netQuantity(env.system, 'AAPL') === '100');
  const day = await env.system.coordinator.place({ clientOrderId: 'DAY-1', symbol: 'AAPL', side: 'buy', type: 'limit', quantity: '10', limitPrice: '95' });
  const gtc = await env.system.coordinator.place({ clientOrderId: 'GTC-1', symbol: 'AAPL', side: 'buy', type: 'limit', quantity: '10', limitPrice: '95', timeInForce: 'gtc' });
  assert.deepEqual([day.outcome, gtc.outcome], ['accepted', 'accepted']);
  return env;
}

test('the session of the calendar is recorded once per change, not once per symbol', async t => {
  const env = marketSystem(t, '2026-01-05T14:29:00Z');
  await env.system.connectMarketData();
  env.source.heartbeat();
  env.clock.set('2026-01-05T14:30:00Z');
  env.source.heartbeat();
  env.source.heartbeat();
  assert.deepEqual(
    ofType(env.system, 'MarketSessionChanged').map(e => e.payload),
    [
      { calendar: 'us-equity', session: 'pre-market', tradingDay: '2026-01-05', localTime: '2026-01-05 09:29:00 EST' },
      { calendar: 'us-equity', session: 'regular', tradingDay: '2026-01-05', localTime: '2026-01-05 09:30:00 EST' },
    ],
  );
});

test('close preparation flattens SPY and carries AAPL; day orders expire at 16:00; each once a day across a restart', async t => {
  const env = await tradingDay(t);
  // 15:49:59: not yet.
  env.clock.set('2026-01-05T20:49:59Z');
  quote(env, 'SPY', '100', 2);
  quote(env, 'AAPL', '100', 2);
  assert.equal(ofType(env.system, 'ClosePreparationStarted').length, 0);
  // 15:50:00: the window opens on the feed's next message.
  env.clock.set('2026-01-05T20:50:00Z');
  env.source.heartbeat();
  assert.deepEqual(ofType(env.system, 'ClosePreparationStarted').map(e => e.payload), [
    { tradingDay: '2026-01-05', closesAt: '2026-01-05T21:00:00.000Z', flattened: ['SPY'], carried: ['AAPL'] },
  ]);
  await env.system.marketIdle();
  await until(env.system, () => netQuantity(env.system, 'SPY') === '0');
  const flattening = env.system.state.order(closePreparationOrderId('2026-01-05', 'SPY'));
  assert.equal(flattening.reduceOnly, true);
  assert.equal(flattening.type, 'market');
  assert.equal(netQuantity(env.system, 'AAPL'), '100', 'AAPL is carried overnight');
  // Inside the window no order may add exposure in an equity.
  const more = await env.system.coordinator.place({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: '1', limitPrice: '99' });
  assert.ok(more.outcome === 'rejected' && more.stage === 'risk' && more.decision.reasonCode === 'CLOSE_PREPARATION_NO_NEW_RISK');

  // 16:00:00: the day order expires, the good-till-cancelled one works on.
  env.clock.set('2026-01-05T21:00:00Z');
  env.source.heartbeat();
  assert.deepEqual(ofType(env.system, 'DayOrdersExpired').map(e => e.payload), [{ tradingDay: '2026-01-05', orders: ['DAY-1'] }]);
  await env.system.marketIdle();
  assert.equal(env.system.state.order('DAY-1').status, 'cancelled');
  assert.equal(env.system.state.order('DAY-1').reason, 'day order expired at the close');
  assert.equal(env.system.state.order('GTC-1').status, 'acknowledged');

  const restarted = env.reopen();
  await restarted.system.connectMarketData();
  env.clock.set('2026-01-05T21:01:00Z');
  restarted.source.heartbeat();
  await restarted.system.marketIdle();
  assert.equal(ofType(restarted.system, 'ClosePreparationStarted').length, 1);
  assert.equal(ofType(restarted.system, 'DayOrdersExpired').length, 1);
  assert.equal(ofType(restarted.system, 'MarketSessionChanged').filter(e => e.payload.session === 'after-hours').length, 1);
});

test('a restart inside the window after the preparation began does not flatten again', async t => {
  const env = await tradingDay(t);
  env.clock.set('2026-01-05T20:50:00Z');
  quote(env, 'SPY', '100', 2);
  await env.system.marketIdle();
  await until(env.system, () => netQuantity(env.system, 'SPY') === '0');
  const restarted = env.reopen();
  await restarted.system.connectMarketData();
  env.clock.set('2026-01-05T20:55:00Z');
  quote({ core: env.core, source: restarted.source }, 'SPY', '100', 1);
  await restarted.system.marketIdle();
  assert.equal(ofType(restarted.system, 'ClosePreparationStarted').length, 1);
  assert.equal(restarted.system.state.workingOrders().filter(o => o.symbol === 'SPY').length, 0);
});

test('with the halt policy "cancel" a halt cancels the working orders of the halted symbol; with "hold" they wait', async t => {
  const env = await tradingDay(t);
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'halted', reason: 'VENUE_HALT', at: env.source.at });
  await env.system.marketIdle();
  assert.equal(env.system.state.order('DAY-1').status, 'acknowledged', 'hold: the orders wait for the reopening');
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'open', reason: 'REOPENED', at: env.source.at });
  env.system.changeSettings({ halt_order_policy: 'cancel' }, 'risk officer', 'cancel on halts');
  env.source.send({ type: 'trading_status', symbol: 'AAPL', status: 'halted', reason: 'NEWS_PENDING', at: env.source.at });
  await env.system.marketIdle();
  assert.equal(env.system.state.order('DAY-1').status, 'cancelled');
  assert.equal(env.system.state.order('GTC-1').reason, 'halt: NEWS_PENDING');
});
