import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import { DEFAULT_INSTRUMENTS, Instrument, defineInstrument } from '../domain/model';
import { DEFAULT_SETTINGS, DecisionRow, RuntimeSettings, toRiskLimits } from '../domain/state';
import { CandidateOrder, RiskContext, effectiveLimits, marketSummary, runPreTradeChecks } from '../domain/risk';
import { MarketView, SessionInfo, calendarFor } from '../domain/market';

const d = (v: string | number) => new Decimal(v);
const aapl = DEFAULT_INSTRUMENTS.find(i => i.symbol === 'AAPL') as Instrument;
const btc = DEFAULT_INSTRUMENTS.find(i => i.symbol === 'BTC-PERP') as Instrument;

// Monday 2026-01-05: the regular session is 14:30Z-21:00Z (09:30-16:00 EST).
const REGULAR_OPEN = new Date('2026-01-05T14:30:00Z');
const REGULAR_CLOSE = new Date('2026-01-05T21:00:00Z');

function session(overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    session: 'regular',
    tradingDay: '2026-01-05',
    closedReason: null,
    holiday: null,
    earlyClose: false,
    regularOpen: REGULAR_OPEN,
    regularClose: REGULAR_CLOSE,
    nextChange: REGULAR_CLOSE,
    localTime: '2026-01-05 10:00:00 EST',
    ...overrides,
  };
}

const level = (price: string, quantity: string) => ({ price: d(price), quantity: d(quantity) });

function view(overrides: Partial<MarketView> = {}): MarketView {
  return {
    symbol: 'AAPL',
    session: session(),
    status: { status: 'open', reason: null, since: null, awaitingReopeningPrint: false },
    book: { bids: [level('100', '1000')], asks: [level('100', '1000')], seq: 1 },
    closePreparation: false,
    bands: null,
    realizedVolatility: null,
    impliedVolatility: null,
    regime: 'calm',
    regimeDriver: null,
    dailyVolatility: null,
    ...overrides,
  };
}

const buy = (quantity: string, type: 'market' | 'limit' = 'market', limitPrice?: string, extra: Partial<CandidateOrder> = {}): CandidateOrder => ({
  symbol: 'AAPL',
  side: 'buy',
  type,
  quantity: d(quantity),
  ...(limitPrice ? { limitPrice: d(limitPrice) } : {}),
  reduceOnly: false,
  ...extra,
});

function context(market: MarketView | null, order: CandidateOrder = buy('10'), overrides: Partial<RiskContext> = {}): RiskContext {
  return {
    order,
    instrument: aapl,
    limits: toRiskLimits(DEFAULT_SETTINGS),
    exposure: { positions: new Map([['AAPL', d(0)]]), working: [], marks: new Map([['AAPL', d(100)]]) },
    equity: d(100000),
    startOfDayEquity: d(100000),
    currency: 'USD',
    markAgeMs: 0,
    market,
    now: new Date('2026-01-05T15:00:00Z'),
    ...overrides,
  };
}

function rowOf(c: RiskContext, check: string): DecisionRow {
  const found = runPreTradeChecks(c).find(r => r.check === check);
  assert.ok(found, `no "${check}" row in ${runPreTradeChecks(c).map(r => r.check).join(', ')}`);
  return found;
}

const passes = (c: RiskContext, check: string) => assert.equal(rowOf(c, check).code, 'PASSED', JSON.stringify(rowOf(c, check)));
const refuses = (c: RiskContext, check: string, code: string) => assert.equal(rowOf(c, check).code, code, JSON.stringify(rowOf(c, check)));

const MARKET_ROWS = ['market session', 'trading halt', 'reopening print', 'close preparation', 'price band', 'spread', 'book depth share', 'expected slippage', 'volatility regime'];

test('without a market view no market check gives a row, so the decisions of a system without market data are as before', () => {
  const checks = runPreTradeChecks(context(null)).map(r => r.check);
  assert.deepEqual(checks.filter(c => MARKET_ROWS.includes(c)), []);
});

test('the market checks run after the trading state and reduce-only checks, before the exposure checks', () => {
  const checks = runPreTradeChecks(context(view(), buy('10', 'market', undefined, { reduceOnly: false }))).map(r => r.check);
  assert.ok(checks.indexOf('trading state') < checks.indexOf('market session'));
  assert.ok(checks.indexOf('volatility regime') < checks.indexOf('daily loss limit'));
});

test('a 24/7 perpetual with a book of 1,000 at the mark passes every market check for a few hundred units', () => {
  const continuous = view({ symbol: 'BTC-PERP', session: calendarFor('continuous').sessionAt(new Date('2026-01-05T14:30:00Z')) });
  const order: CandidateOrder = { symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: d('250'), reduceOnly: false };
  const rows = runPreTradeChecks(context(continuous, order, { instrument: btc, exposure: { positions: new Map(), working: [], marks: new Map([['BTC-PERP', d(100)]]) } }));
  const market = rows.filter(r => MARKET_ROWS.includes(r.check));
  assert.deepEqual(market.filter(r => !r.passed), []);
  // A 24/7 instrument has no close and no bands: those rows are absent.
  assert.deepEqual(market.map(r => r.check), ['market session', 'trading halt', 'reopening print', 'spread', 'book depth share', 'expected slippage', 'volatility regime']);
});

test('with no book yet the liquidity checks show "no book" and pass', () => {
  const c = context(view({ book: null }));
  for (const check of ['spread', 'book depth share', 'expected slippage']) {
    assert.equal(rowOf(c, check).observed, 'no book');
    passes(c, check);
  }
});

test('spread: exactly 50 bps passes, 50.01 bps is refused as too wide', () => {
  const at = (bid: string, ask: string) => context(view({ book: { bids: [level(bid, '1000')], asks: [level(ask, '1000')], seq: 1 } }));
  passes(at('99.75', '100.25'), 'spread');
  assert.equal(rowOf(at('99.75', '100.25'), 'spread').observed, '50.00 bps');
  refuses(at('99.74995', '100.25005'), 'spread', 'SPREAD_TOO_WIDE');
  assert.equal(rowOf(at('99.74995', '100.25005'), 'spread').observed, '50.01 bps');
  assert.equal(rowOf(at('99.74995', '100.25005'), 'spread').limitValue, '50');
});

test('an empty side of the book means no liquidity to take', () => {
  const c = context(view({ book: { bids: [level('100', '1000')], asks: [], seq: 1 } }));
  refuses(c, 'spread', 'NO_LIQUIDITY');
  refuses(c, 'book depth share', 'NO_LIQUIDITY');
  refuses(c, 'expected slippage', 'NO_LIQUIDITY');
});

test('book depth share: 25 % of the visible depth passes, one lot more is refused', () => {
  const book = { bids: [level('100', '400')], asks: [level('100', '300'), level('100.01', '100')], seq: 1 };
  passes(context(view({ book }), buy('100')), 'book depth share');
  assert.equal(rowOf(context(view({ book }), buy('100')), 'book depth share').observed, '25.00 % of 400 on the asks');
  refuses(context(view({ book }), buy('101')), 'book depth share', 'DEPTH_INSUFFICIENT');
});

test('expected slippage: half the spread plus the square-root impact at the guard passes, a step beyond is refused', () => {
  // V 10,000, daily volatility 2 %: 625 units are 6.25 % of the day, impact 2 % x 0.25 = 50 bps, spread 0.
  const thin = defineInstrument({ symbol: 'AAPL', kind: 'equity', tickSize: '0.01', lotSize: '1', minNotional: '1', luldTier: 1, dailyVolume: '10000' });
  const deep = view({ dailyVolatility: d('0.02'), book: { bids: [level('100', '100000')], asks: [level('100', '100000')], seq: 1 } });
  const at = (quantity: string) => context(deep, buy(quantity), { instrument: thin });
  passes(at('625'), 'expected slippage');
  assert.equal(rowOf(at('625'), 'expected slippage').observed, '50.00 bps');
  assert.equal(rowOf(at('625'), 'expected slippage').note, 'half spread 0.00 bps + impact 50.00 bps');
  refuses(at('626'), 'expected slippage', 'SLIPPAGE_EXCEEDS_GUARD');
});

test('a limit order resting in the book takes no liquidity; one crossing the best offer does', () => {
  const book = { bids: [level('99.99', '1000')], asks: [level('100.50', '10')], seq: 1 };
  const resting = context(view({ book }), buy('100', 'limit', '100.00'));
  for (const check of ['spread', 'book depth share', 'expected slippage']) {
    passes(resting, check);
    assert.equal(rowOf(resting, check).note, 'rests in the book: takes no liquidity');
  }
  refuses(context(view({ book }), buy('100', 'limit', '100.50')), 'book depth share', 'DEPTH_INSUFFICIENT');
});

test('pre-market at 09:29:59: a market order is refused, a limit order marked for extended hours passes; 09:30:00 regular passes', () => {
  const nyse = calendarFor('us-equity');
  const pre = view({ session: nyse.sessionAt(new Date('2026-01-05T14:29:59Z')) });
  assert.equal(pre.session.session, 'pre-market');
  refuses(context(pre, buy('10')), 'market session', 'ORDER_TYPE_NOT_ALLOWED_IN_SESSION');
  refuses(context(pre, buy('10', 'limit', '100')), 'market session', 'EXTENDED_HOURS_NOT_REQUESTED');
  passes(context(pre, buy('10', 'limit', '100', { extendedHours: true })), 'market session');
  const open = view({ session: nyse.sessionAt(new Date('2026-01-05T14:30:00Z')) });
  assert.equal(open.session.session, 'regular');
  passes(context(open, buy('10')), 'market session');
});

test('a closed market refuses every order, naming the holiday and when the next session starts', () => {
  const holiday = view({ session: calendarFor('us-equity').sessionAt(new Date('2026-01-19T15:00:00Z')) });
  const r = rowOf(context(holiday, buy('10', 'limit', '100', { extendedHours: true })), 'market session');
  assert.equal(r.code, 'MARKET_CLOSED');
  assert.match(r.observed, /holiday: Martin Luther King/);
  assert.match(r.limit, /2026-01-20 04:00:00 EST/);
});

test('a halt refuses with the code of its reason family and says since when', () => {
  const halted = (status: 'halted' | 'paused', reason: MarketView['status']['reason']) =>
    context(view({ status: { status, reason, since: '2026-01-05T15:00:00.000Z', awaitingReopeningPrint: true } }), buy('10', 'limit', '100'));
  refuses(halted('halted', 'VENUE_HALT'), 'trading halt', 'SYMBOL_HALTED');
  refuses(halted('halted', 'NEWS_PENDING'), 'trading halt', 'SYMBOL_HALTED');
  refuses(halted('halted', 'MARKET_WIDE_LEVEL_1'), 'trading halt', 'MARKET_WIDE_HALT');
  refuses(halted('paused', 'LULD_PAUSE'), 'trading halt', 'LULD_PAUSED');
  assert.equal(rowOf(halted('paused', 'LULD_PAUSE'), 'trading halt').observed, 'paused: LULD_PAUSE since 2026-01-05T15:00:00.000Z');
  passes(context(view()), 'trading halt');
});

test('before the reopening print a market order is refused, a limit order passes', () => {
  const waiting = view({ status: { status: 'open', reason: null, since: null, awaitingReopeningPrint: true } });
  refuses(context(waiting, buy('10')), 'reopening print', 'MARKET_ORDER_BEFORE_REOPENING_PRINT');
  passes(context(waiting, buy('10', 'limit', '100')), 'reopening print');
  passes(context(view(), buy('10')), 'reopening print');
});

test('close preparation: at 15:50:00 with 10 minutes an order adding exposure is refused, a reducing one passes; at 15:49:59 both pass', () => {
  const long = { positions: new Map([['AAPL', d(50)]]), working: [], marks: new Map([['AAPL', d(100)]]) };
  const at = (iso: string, order: CandidateOrder) => context(view(), order, { now: new Date(iso), exposure: long });
  const sell: CandidateOrder = { ...buy('50'), side: 'sell' };
  refuses(at('2026-01-05T20:50:00Z', buy('10')), 'close preparation', 'CLOSE_PREPARATION_NO_NEW_RISK');
  passes(at('2026-01-05T20:50:00Z', sell), 'close preparation');
  const r = rowOf(at('2026-01-05T20:50:00Z', buy('10')), 'close preparation');
  assert.equal(r.observed, '10.00 min to the close');
  assert.equal(r.limitValue, '10');
  passes(at('2026-01-05T20:49:59Z', buy('10')), 'close preparation');
});

test('a limit price outside the LULD bands is refused; at the band it passes', () => {
  const bands = { referencePrice: d(100), lower: d(95), upper: d(105), percent: d('0.05'), doubled: false };
  passes(context(view({ bands }), buy('10', 'limit', '105')), 'price band');
  refuses(context(view({ bands }), buy('10', 'limit', '105.01')), 'price band', 'PRICE_OUTSIDE_LULD_BAND');
  refuses(context(view({ bands }), { ...buy('10', 'limit', '94.99'), side: 'sell' }), 'price band', 'PRICE_OUTSIDE_LULD_BAND');
  assert.equal(rowOf(context(view({ bands }), buy('10', 'limit', '105.01')), 'price band').limit, '95.00 - 105.00 (5.0 % around 100.00)');
});

test('the stress regime halves the max leverage the leverage check holds the order to, and says why; the regime row never refuses', () => {
  const stressed = view({ regime: 'stress', regimeDriver: 'implied', impliedVolatility: d('0.62'), realizedVolatility: d('0.2') });
  const base = toRiskLimits(DEFAULT_SETTINGS);
  const { limits, tightening } = effectiveLimits(base, stressed);
  assert.equal(limits.maxLeverage.toString(), '2.5');
  assert.equal(limits.maxOrderNotional.toString(), '50000');
  // 3,000 units at 100 on 100,000 of equity: leverage 3x, inside 5x, outside 2.5x.
  const c = context(stressed, buy('3000', 'limit', '100'), { limits, tightening });
  refuses(c, 'max leverage', 'LEVERAGE_EXCEEDS_MAXIMUM');
  assert.equal(rowOf(c, 'max leverage').limit, '2.50x');
  assert.equal(rowOf(c, 'max leverage').note, 'tightened x0.5 for the stress regime (implied 62 %)');
  passes(c, 'volatility regime');
  assert.equal(rowOf(c, 'volatility regime').observed, 'stress (realized 20.0 %, implied 62.0 %)');
  assert.equal(effectiveLimits(base, view()).tightening, null);
});

test('the decision keeps the market it saw: session, status, regime, spread, the depth on the side taken and the volatilities', () => {
  const summary = marketSummary(buy('10'), view({ book: { bids: [level('99.75', '700')], asks: [level('100.25', '300'), level('100.3', '200')], seq: 4 }, impliedVolatility: d('0.18') }));
  const { localTime, priceBand, ...figures } = summary;
  assert.deepEqual(figures, { session: 'regular', status: 'open', haltReason: null, regime: 'calm', regimeDriver: null, bestBid: '99.75', bestAsk: '100.25', spreadBps: '50', depth: '500', impliedVolatility: '0.18', realizedVolatility: null });
  assert.equal(typeof localTime, 'string');
  assert.equal(priceBand === null || typeof priceBand === 'string', true);
});

test('market settings are validated: a halt policy is hold or cancel, a regime factor tightens, the regimes stay in order', () => {
  const settings = new RuntimeSettings();
  assert.deepEqual(settings.prepare({ halt_order_policy: 'cancel' }), { halt_order_policy: 'cancel' });
  assert.throws(() => settings.prepare({ halt_order_policy: 'drop' }), /must be one of hold, cancel/);
  assert.throws(() => settings.prepare({ regime_stress_limit_factor: '1.5' }), /factor lies above 0 and at most 1/);
  assert.throws(() => settings.prepare({ regime_elevated_volatility_pct: '60' }), /elevated from 60 % lies above stress from 50 %/);
  assert.throws(() => settings.prepare({ close_preparation_minutes: '2.5' }), /whole number of minutes/);
  assert.deepEqual(settings.prepare({ max_depth_share_pct: '400' }), { max_depth_share_pct: '400' });
  assert.throws(() => settings.prepare({ max_depth_share_pct: '1001' }), /more than 1000 % of the visible depth/);
});

test('a reduce-only exit is not refused for the book; the same sell without the flag, or a reduce-only order that would add, is', () => {
  const thin = view({ book: { bids: [level('100', '40')], asks: [level('100.05', '40')], seq: 3 } });
  const long = { exposure: { positions: new Map([['AAPL', d(100)]]), working: [], marks: new Map([['AAPL', d(100)]]) } };
  // 30 of 40 bid is 75 % of the depth, over the 25 % limit.
  const exit = context(thin, buy('30', 'market', undefined, { side: 'sell', reduceOnly: true }), long);
  for (const check of ['spread', 'book depth share', 'expected slippage']) {
    passes(exit, check);
    assert.match(rowOf(exit, check).note ?? '', /reduce-only: an exit is not refused for the book/);
  }
  refuses(context(thin, buy('30', 'market', undefined, { side: 'sell' }), long), 'book depth share', 'DEPTH_INSUFFICIENT');
  // With no position a reduce-only sell reduces nothing: judged by the book like any other.
  refuses(context(thin, buy('30', 'market', undefined, { side: 'sell', reduceOnly: true })), 'book depth share', 'DEPTH_INSUFFICIENT');
});
