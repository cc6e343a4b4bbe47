import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal, SeededRandom, TradingError, VirtualClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { MARKET_WIDE } from '../domain/market';
import type { MarketDataMessage } from '../domain/market';
import { BrokerSimulatorCore } from '../support/simulators/broker';
import { MarketSimulator } from '../support/simulators/market';
import type { LuldState } from '../support/simulators/market/venue-luld';

const MINUTE = 60_000;
const d = (value: string | number): Decimal => new Decimal(value);
// Monday 5 January 2026 is on standard time: ET = UTC-5.
const ET_0935 = '2026-01-05T14:35:00.000Z';
const ET_0955 = '2026-01-05T14:55:00.000Z';

interface Rig {
  clock: VirtualClock;
  market: MarketSimulator;
  messages: MarketDataMessage[];
}

function rig(start: string): Rig {
  const clock = new VirtualClock(start);
  const broker = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const market = new MarketSimulator({ clock, random: new SeededRandom(42), broker, instruments: DEFAULT_INSTRUMENTS, depthJitter: 0 });
  const messages: MarketDataMessage[] = [];
  market.subscribe(m => messages.push(m));
  return { clock, market, messages };
}

/** Each symbol marked at its price every 10 s for 5 minutes: a reference one print barely moves. The last marks are 10 s old at the end. */
function steady(market: MarketSimulator, marks: Record<string, string>): void {
  for (let i = 0; i < 30; i += 1) {
    for (const [symbol, price] of Object.entries(marks)) market.setMark(symbol, d(price));
    market.advance(10_000);
  }
}

const statuses = (messages: readonly MarketDataMessage[]): string[] =>
  messages.flatMap(m => (m.type === 'trading_status' ? [`${m.symbol} ${m.status} ${m.reason} ${m.at}${m.reopeningPrice ? ` ${m.reopeningPrice.toString()}` : ''}`] : []));

function view(state: LuldState | null) {
  assert.ok(state, 'LULD covers the symbol');
  const { bands } = state;
  return {
    reference: state.referencePrice?.toString() ?? null,
    bands: bands ? `${bands.lower.toString()}-${bands.upper.toString()}${bands.doubled ? ' doubled' : ''}` : null,
    limitState: state.limitState,
    since: state.limitStateSince,
    pausedSince: state.pausedSince,
    pausedUntil: state.pausedUntil,
  };
}

test('a spike to the band held 15 s becomes a LULD pause, published on the step where the 15 s run out', () => {
  const { market, messages } = rig(ET_0955);
  steady(market, { AAPL: '100.00' });
  assert.deepEqual(view(market.luldState('AAPL')), { reference: '100', bands: '95-105', limitState: null, since: null, pausedSince: null, pausedUntil: null });
  // 10:00:00 ET: a print at the upper band starts a limit state; no status yet.
  market.setMark('AAPL', d('105.00'));
  assert.deepEqual(view(market.luldState('AAPL')), { reference: '100', bands: '95-105', limitState: 'limit up', since: '2026-01-05T15:00:00.000Z', pausedSince: null, pausedUntil: null });
  market.advance(14_999);
  assert.deepEqual(statuses(messages), []);
  market.advance(1);
  assert.deepEqual(statuses(messages), ['AAPL paused LULD_PAUSE 2026-01-05T15:00:15.000Z']);
  assert.deepEqual(view(market.luldState('AAPL')), { reference: null, bands: null, limitState: null, since: null, pausedSince: '2026-01-05T15:00:15.000Z', pausedUntil: '2026-01-05T15:05:15.000Z' });
  assert.ok(market.currentState().some(m => m.type === 'trading_status' && m.symbol === 'AAPL' && m.status === 'paused' && m.reason === 'LULD_PAUSE'));
});

test('a limit state that ran out between two calls is published on the next mark, before it, pausing from the 15th second', () => {
  const { clock, market, messages } = rig(ET_0955);
  steady(market, { MSFT: '400.00' });
  // Past the band: 5 % of 400 is 20, so 380 is the lower band and 379 beyond it.
  market.setMark('MSFT', d('379.00'));
  assert.equal(market.luldState('MSFT')?.limitState, 'limit down');
  clock.advance(20_000);
  const seen = messages.length;
  market.setMark('MSFT', d('378.00'));
  assert.deepEqual(messages.slice(seen).map(m => m.type), ['trading_status', 'mark', 'book_delta']);
  assert.deepEqual(statuses(messages), ['MSFT paused LULD_PAUSE 2026-01-05T15:00:20.000Z']);
  assert.deepEqual(view(market.luldState('MSFT')).pausedUntil, '2026-01-05T15:05:15.000Z');
});

test('held 14.9 s and back inside the band: the limit state ends and nothing pauses; a new one starts its own 15 s', () => {
  const { market, messages } = rig(ET_0955);
  steady(market, { AAPL: '100.00' });
  market.setMark('AAPL', d('105.00'));
  market.advance(14_900);
  market.setMark('AAPL', d('104.99'));
  assert.deepEqual(view(market.luldState('AAPL')), { reference: '100', bands: '95-105', limitState: null, since: null, pausedSince: null, pausedUntil: null });
  market.advance(5 * MINUTE);
  assert.deepEqual(statuses(messages), []);
  // The window has emptied meanwhile (no mark for 5 minutes), so the reference starts again from 104.99.
  market.setMark('AAPL', d('104.99'));
  market.setMark('AAPL', d('99.74'));
  assert.deepEqual(view(market.luldState('AAPL')), { reference: '104.99', bands: '99.75-110.23', limitState: 'limit down', since: '2026-01-05T15:05:14.900Z', pausedSince: null, pausedUntil: null });
  market.advance(15_000);
  assert.deepEqual(statuses(messages), ['AAPL paused LULD_PAUSE 2026-01-05T15:05:29.900Z']);
});

test('the pause reopens exactly 5 minutes after it began, the last mark as the reopening print, and the reference restarts from it', () => {
  const { market, messages } = rig(ET_0955);
  steady(market, { AAPL: '100.00' });
  market.setMark('AAPL', d('105.00'));
  market.advance(15_000);
  // A scenario's mark in the pause is published (the venue's last price) but moves no band.
  market.advance(MINUTE);
  market.setMark('AAPL', d('104.50'));
  assert.equal(market.luldState('AAPL')?.limitState, null);
  market.advance(4 * MINUTE - 1);
  assert.deepEqual(statuses(messages), ['AAPL paused LULD_PAUSE 2026-01-05T15:00:15.000Z']);
  market.advance(1);
  assert.deepEqual(statuses(messages), ['AAPL paused LULD_PAUSE 2026-01-05T15:00:15.000Z', 'AAPL open REOPENED 2026-01-05T15:05:15.000Z 104.5']);
  assert.ok(!market.currentState().some(m => m.type === 'trading_status'));
  // 5 % of 104.50 is 5.225: bands 99.28-109.72 around the reopening print, the prints at 100 forgotten.
  assert.deepEqual(view(market.luldState('AAPL')), { reference: '104.5', bands: '99.28-109.72', limitState: null, since: null, pausedSince: null, pausedUntil: null });
  market.setMark('AAPL', d('109.72'));
  assert.equal(market.luldState('AAPL')?.limitState, 'limit up');
});

test('a modelled symbol shocked to the band: a coarse step still lands on the pause and the reopening, and the path stands still between', () => {
  const { market, messages } = rig(ET_0955);
  market.model('AAPL', { price: d('200.00'), holdRegime: true });
  market.advance(5 * MINUTE);
  const reference = market.luldState('AAPL')!.referencePrice!;
  assert.ok(reference.minus(200).abs().lt(2), `the 5-minute reference ${reference.toString()} is near 200`);
  market.shock('AAPL', 0.08);
  const shocked = market.markOf('AAPL')!;
  assert.equal(market.luldState('AAPL')?.limitState, 'limit up');
  market.advance(10 * MINUTE, MINUTE);
  assert.deepEqual(statuses(messages), ['AAPL paused LULD_PAUSE 2026-01-05T15:00:15.000Z', `AAPL open REOPENED 2026-01-05T15:05:15.000Z ${shocked.toString()}`]);
  const marks = messages.filter(m => m.type === 'mark' && m.symbol === 'AAPL').map(m => m.at);
  assert.ok(!marks.some(at => at > '2026-01-05T15:00:00.000Z' && at < '2026-01-05T15:05:15.000Z'), 'no mark in the pause');
  // The step that reopens moves the path: its mark follows the reopening print.
  assert.ok(marks.includes('2026-01-05T15:05:15.000Z') && marks.some(at => at > '2026-01-05T15:05:15.000Z'), 'the path moves again after the reopening');
});

test('tier 1 above $3: the bands are doubled to 10 % at 09:40 ET and 5 % at 10:00 ET; tier 2 is 10 % at 10:00', () => {
  const open = rig(ET_0935);
  steady(open.market, { AAPL: '100.00' });
  assert.deepEqual(view(open.market.luldState('AAPL')).bands, '90-110 doubled');
  open.market.setMark('AAPL', d('109.99'));
  assert.equal(open.market.luldState('AAPL')?.limitState, null);
  open.market.setMark('AAPL', d('110.00'));
  assert.equal(open.market.luldState('AAPL')?.limitState, 'limit up');

  const later = rig(ET_0955);
  steady(later.market, { AAPL: '100.00', SMLC: '12.50' });
  assert.deepEqual(view(later.market.luldState('AAPL')).bands, '95-105');
  assert.equal(later.market.luldState('AAPL')?.bands?.percent.toString(), '0.05');
  later.market.setMark('AAPL', d('104.99'));
  assert.equal(later.market.luldState('AAPL')?.limitState, null);
  later.market.setMark('AAPL', d('105.00'));
  assert.equal(later.market.luldState('AAPL')?.limitState, 'limit up');
  assert.deepEqual(view(later.market.luldState('SMLC')).bands, '11.25-13.75');
});

test('a price with no mark in the 5 minutes before it starts a fresh reference: no limit state from a stale one', () => {
  // The last steady mark is at 09:59:50 ET; at 10:04:50 it has just left the window.
  const jumped = rig(ET_0955);
  steady(jumped.market, { AAPL: '100.00' });
  jumped.clock.advance(4 * MINUTE + 50_000);
  jumped.market.setMark('AAPL', d('120.00'));
  assert.deepEqual(view(jumped.market.luldState('AAPL')), { reference: '120', bands: '114-126', limitState: null, since: null, pausedSince: null, pausedUntil: null });
  // A millisecond earlier the mark at 10:04:50 is still in the window, and 120 is beyond its band.
  const inWindow = rig(ET_0955);
  steady(inWindow.market, { AAPL: '100.00' });
  inWindow.clock.advance(4 * MINUTE + 49_999);
  inWindow.market.setMark('AAPL', d('120.00'));
  assert.equal(view(inWindow.market.luldState('AAPL')).limitState, 'limit up');
});

test('a limit state left alone over a long jump of the clock: the next call publishes the pause and its reopening, and the next price starts afresh', () => {
  const { clock, market, messages } = rig(ET_0955);
  steady(market, { AAPL: '100.00' });
  market.setMark('AAPL', d('105.00'));
  // Nothing calls the venue until 10:12 ET: the pause ran 10:00:15-10:05:15 and its reopening print (105) is over 5 minutes old.
  clock.set('2026-01-05T15:12:00.000Z');
  const seen = messages.length;
  market.setMark('AAPL', d('120.00'));
  assert.deepEqual(messages.slice(seen).map(m => m.type), ['trading_status', 'trading_status', 'mark', 'book_delta']);
  assert.deepEqual(statuses(messages), ['AAPL paused LULD_PAUSE 2026-01-05T15:12:00.000Z', 'AAPL open REOPENED 2026-01-05T15:12:00.000Z 105']);
  assert.deepEqual(view(market.luldState('AAPL')), { reference: '120', bands: '114-126', limitState: null, since: null, pausedSince: null, pausedUntil: null });
});

test('outside regular hours there is no LULD; marking again after hours and the next morning starts afresh', () => {
  const { clock, market, messages } = rig('2026-01-05T20:00:00.000Z');
  steady(market, { AAPL: '100.00' });
  // 17:00 ET, after hours: a fall of 40 % is no limit state.
  clock.set('2026-01-05T22:00:00.000Z');
  market.setMark('AAPL', d('60.00'));
  market.advance(MINUTE);
  market.setMark('AAPL', d('60.00'));
  assert.deepEqual(view(market.luldState('AAPL')), { reference: null, bands: null, limitState: null, since: null, pausedSince: null, pausedUntil: null });
  // 09:00 ET the next day, pre-market: still none.
  clock.set('2026-01-06T14:00:00.000Z');
  market.setMark('AAPL', d('150.00'));
  market.advance(MINUTE);
  assert.equal(market.luldState('AAPL')?.bands, null);
  // 09:30 ET: the opening print is the reference (the doubled bands around it), not the pre-market price a minute before.
  clock.set('2026-01-06T14:29:00.000Z');
  market.setMark('AAPL', d('150.00'));
  clock.set('2026-01-06T14:30:00.000Z');
  market.setMark('AAPL', d('170.00'));
  assert.deepEqual(view(market.luldState('AAPL')), { reference: '170', bands: '153-187 doubled', limitState: null, since: null, pausedSince: null, pausedUntil: null });
  assert.deepEqual(statuses(messages), []);
});

test('a pause that runs past the close still reopens on time, a mark after hours as its reopening print', () => {
  const { market, messages } = rig('2026-01-05T20:52:45.000Z');
  steady(market, { AAPL: '100.00' });
  // 15:57:45 ET, in the closing period: tier 1 bands are doubled to 90-110.
  assert.equal(view(market.luldState('AAPL')).bands, '90-110 doubled');
  market.setMark('AAPL', d('110.00'));
  market.advance(3 * MINUTE + 15_000);
  market.setMark('AAPL', d('111.00'));
  market.advance(2 * MINUTE);
  assert.deepEqual(statuses(messages), ['AAPL paused LULD_PAUSE 2026-01-05T20:58:00.000Z', 'AAPL open REOPENED 2026-01-05T21:03:00.000Z 111']);
  assert.equal(market.luldState('AAPL')?.bands, null);
});

test('an index (SPX) and a perpetual (BTC-PERP) never pause, scripted or modelled', () => {
  const { market, messages } = rig(ET_0955);
  steady(market, { SPX: '5000.00', 'BTC-PERP': '50000' });
  market.setMark('SPX', d('6000.00'));
  market.setMark('BTC-PERP', d('60000'));
  market.advance(MINUTE);
  market.model('SPX', { price: d('5000.00') });
  market.model('ETH-PERP', { price: d(3000) });
  market.shock('SPX', -0.2);
  market.shock('ETH-PERP', 0.3);
  market.advance(MINUTE);
  assert.deepEqual(statuses(messages), []);
  assert.equal(market.luldState('SPX'), null);
  assert.equal(market.luldState('BTC-PERP'), null);
  assert.throws(() => market.luldState('DOGE-PERP'), (e: unknown) => e instanceof TradingError && e.kind === 'UnknownInstrument');
});

test('manual halts and reopenings still work: a halt ends a limit state, and only the pause LULD began is LULD\'s to reopen', () => {
  const { market, messages } = rig(ET_0955);
  steady(market, { AAPL: '100.00', MSFT: '400.00', SPY: '500.00' });
  // A news halt in a limit state: no LULD pause, and the halt stays until reopened by hand.
  market.setMark('AAPL', d('105.00'));
  market.halt('AAPL', 'NEWS_PENDING');
  // A LULD pause ended early by hand: no second reopening 5 minutes on.
  market.setMark('MSFT', d('420.00'));
  // A LULD pause another halt took over: it is not LULD's to reopen.
  market.setMark('SPY', d('525.00'));
  market.advance(15_000);
  market.halt('SPY', 'VENUE_HALT');
  market.reopen('MSFT', d('410.00'));
  market.advance(10 * MINUTE);
  assert.deepEqual(statuses(messages), [
    'AAPL halted NEWS_PENDING 2026-01-05T15:00:00.000Z',
    'MSFT paused LULD_PAUSE 2026-01-05T15:00:15.000Z',
    'SPY paused LULD_PAUSE 2026-01-05T15:00:15.000Z',
    'SPY halted VENUE_HALT 2026-01-05T15:00:15.000Z',
    'MSFT open REOPENED 2026-01-05T15:00:15.000Z 410',
  ]);
  assert.deepEqual(market.currentState().flatMap(m => (m.type === 'trading_status' ? [`${m.symbol} ${m.reason}`] : [])), ['AAPL NEWS_PENDING', 'SPY VENUE_HALT']);
  market.reopen('AAPL', d('101.00'));
  assert.equal(statuses(messages).at(-1), 'AAPL open REOPENED 2026-01-05T15:10:15.000Z 101');
  // A market-wide halt ends limit states too; the reopening starts afresh from the next price.
  market.setMark('AAPL', d('101.00'));
  market.setMark('AAPL', d('95.95'));
  assert.equal(market.luldState('AAPL')?.limitState, 'limit down');
  market.halt(MARKET_WIDE, 'MARKET_WIDE_LEVEL_1');
  market.advance(15 * MINUTE);
  market.reopen(MARKET_WIDE);
  market.setMark('AAPL', d('95.95'));
  assert.deepEqual(view(market.luldState('AAPL')), { reference: '95.95', bands: '91.16-100.74', limitState: null, since: null, pausedSince: null, pausedUntil: null });
  assert.equal(statuses(messages).filter(s => s.includes('LULD_PAUSE')).length, 2);
});
