import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import {
  calendarFor,
  evaluateMarketWideBreaker,
  LimitUpLimitDown,
  luldBands,
  luldReferencePrice,
  MarketWideLevel,
  PriceBandView,
} from '../domain/market';

const nyse = calendarFor('us-equity');
const d = (text: string): Decimal => new Decimal(text);
// Monday 9 March 2026 is on daylight time: ET = UTC-4. Friday 27 November 2026 (an early close) is on standard time: ET = UTC-5.
const ET_0900 = '2026-03-09T13:00:00.000Z';
const ET_1200 = '2026-03-09T16:00:00.000Z';

function errorKind(kind: string) {
  return (error: Error & { kind?: string }) => error.kind === kind;
}

function breaker(indexLevel: string, at: string, triggered: MarketWideLevel[] = []) {
  return evaluateMarketWideBreaker({ priorClose: d('5000'), indexLevel: d(indexLevel), at: new Date(at), triggeredToday: new Set(triggered), calendar: nyse });
}

function summary(decision: ReturnType<typeof breaker>) {
  const { haltEnds } = decision;
  return { level: decision.level, decline: decision.decline.toString(), halts: decision.halts, haltEnds: haltEnds instanceof Date ? haltEnds.toISOString() : haltEnds };
}

test('market-wide breakers: each level is reached at its threshold exactly, not a hundredth of a percent before', () => {
  assert.deepEqual(summary(breaker('5100', ET_1200)), { level: null, decline: '0', halts: false, haltEnds: null });
  assert.deepEqual(summary(breaker('4650.5', ET_1200)), { level: null, decline: '0.0699', halts: false, haltEnds: null });
  assert.deepEqual(summary(breaker('4650', ET_1200)), { level: 1, decline: '0.07', halts: true, haltEnds: '2026-03-09T16:15:00.000Z' });
  assert.deepEqual(summary(breaker('4350.5', ET_1200)), { level: 1, decline: '0.1299', halts: true, haltEnds: '2026-03-09T16:15:00.000Z' });
  assert.deepEqual(summary(breaker('4350', ET_1200)), { level: 2, decline: '0.13', halts: true, haltEnds: '2026-03-09T16:15:00.000Z' });
  assert.deepEqual(summary(breaker('4000.5', ET_1200)), { level: 2, decline: '0.1999', halts: true, haltEnds: '2026-03-09T16:15:00.000Z' });
  assert.deepEqual(summary(breaker('4000', ET_1200)), { level: 3, decline: '0.2', halts: true, haltEnds: 'end of day' });
});

test('market-wide breakers: levels 1 and 2 halt before 15:25 ET and are only recorded from 15:25', () => {
  assert.deepEqual(summary(breaker('4650', '2026-03-09T19:24:59.000Z')), { level: 1, decline: '0.07', halts: true, haltEnds: '2026-03-09T19:39:59.000Z' });
  assert.deepEqual(summary(breaker('4650', '2026-03-09T19:25:00.000Z')), { level: 1, decline: '0.07', halts: false, haltEnds: null });
  assert.deepEqual(summary(breaker('4350', '2026-03-09T19:25:00.000Z')), { level: 2, decline: '0.13', halts: false, haltEnds: null });
  // Level 3 closes the market for the day whenever it is reached.
  assert.deepEqual(summary(breaker('4000', '2026-03-09T19:50:00.000Z')), { level: 3, decline: '0.2', halts: true, haltEnds: 'end of day' });
  // On an early-close day the cut-off is 35 minutes before 13:00: 12:25 ET.
  assert.equal(breaker('4650', '2026-11-27T17:24:59.000Z').halts, true);
  assert.deepEqual(summary(breaker('4650', '2026-11-27T17:25:00.000Z')), { level: 1, decline: '0.07', halts: false, haltEnds: null });
});

test('market-wide breakers: each level once a day, and never below one already reached', () => {
  assert.equal(breaker('4600', ET_1200, [1]).level, null);
  assert.equal(breaker('4300', ET_1200, [1]).level, 2);
  // Level 2 already triggered: a fall that reaches only level 1 (or level 2 again) triggers nothing.
  assert.equal(breaker('4600', ET_1200, [2]).level, null);
  assert.equal(breaker('4300', ET_1200, [2]).level, null);
  assert.deepEqual(summary(breaker('3900', '2026-03-09T19:30:00.000Z', [1, 2])), { level: 3, decline: '0.22', halts: true, haltEnds: 'end of day' });
  assert.equal(breaker('3900', ET_1200, [3]).level, null);
});

test('market-wide breakers watch the regular session only', () => {
  assert.deepEqual(summary(breaker('3750', ET_0900)), { level: null, decline: '0.25', halts: false, haltEnds: null });
  assert.equal(breaker('3750', '2026-03-09T20:00:00.000Z').level, null);
  assert.equal(breaker('3750', '2026-03-07T16:00:00.000Z').level, null);
});

test('market-wide breakers refuse a bad prior close, a negative level and a 24/7 calendar', () => {
  const base = { indexLevel: d('4000'), at: new Date(ET_1200), triggeredToday: new Set<MarketWideLevel>(), calendar: nyse };
  assert.throws(() => evaluateMarketWideBreaker({ ...base, priorClose: d('0') }), errorKind('InvalidInput'));
  assert.throws(() => evaluateMarketWideBreaker({ ...base, priorClose: d('5000'), indexLevel: d('-1') }), errorKind('InvalidInput'));
  assert.throws(() => evaluateMarketWideBreaker({ ...base, priorClose: d('NaN') }), errorKind('InvalidInput'));
  assert.throws(() => evaluateMarketWideBreaker({ ...base, priorClose: d('5000'), calendar: calendarFor('continuous') }), errorKind('InvalidInput'));
});

test('the LULD reference price is the mean of the prices in (t - 5 min, t]', () => {
  const t = Date.parse(ET_1200);
  const samples = [
    { price: d('90'), atMs: t - 300_000 },
    { price: d('100'), atMs: t - 299_999 },
    { price: d('101'), atMs: t - 60_000 },
    { price: d('102.5'), atMs: t },
    { price: d('200'), atMs: t + 1 },
  ];
  assert.equal(luldReferencePrice(samples, t)?.toString(), '101.1666666666666666666666666666666666667');
  assert.equal(luldReferencePrice(samples.slice(0, 1), t), null);
  assert.equal(luldReferencePrice([], t), null);
});

function bands(reference: string, tier: 1 | 2, at: string) {
  const view: PriceBandView = luldBands(d(reference), tier, new Date(at), nyse);
  return { lower: view.lower.toString(), upper: view.upper.toString(), percent: view.percent.toString(), doubled: view.doubled };
}

test('LULD bands by tier and price, on the cent and never wider than the rule', () => {
  assert.deepEqual(bands('100', 1, ET_1200), { lower: '95', upper: '105', percent: '0.05', doubled: false });
  assert.deepEqual(bands('100', 2, ET_1200), { lower: '90', upper: '110', percent: '0.1', doubled: false });
  assert.deepEqual(bands('3.01', 1, ET_1200), { lower: '2.86', upper: '3.16', percent: '0.05', doubled: false });
  assert.deepEqual(bands('3', 1, ET_1200), { lower: '2.4', upper: '3.6', percent: '0.2', doubled: false });
  assert.deepEqual(bands('2', 2, ET_1200), { lower: '1.6', upper: '2.4', percent: '0.2', doubled: false });
  assert.deepEqual(bands('0.75', 2, ET_1200), { lower: '0.6', upper: '0.9', percent: '0.2', doubled: false });
  // Under $0.75: the lesser of $0.15 and 75 %; on $0.50 that is $0.15, an effective 30 %.
  assert.deepEqual(bands('0.5', 2, ET_1200), { lower: '0.35', upper: '0.65', percent: '0.3', doubled: false });
  assert.deepEqual(bands('0.1', 2, ET_1200), { lower: '0.03', upper: '0.17', percent: '0.75', doubled: false });
  // 5 % of 33.33 is 1.6665: 31.6635 rounds up to 31.67, 34.9965 down to 34.99.
  assert.deepEqual(bands('33.33', 1, ET_1200), { lower: '31.67', upper: '34.99', percent: '0.05', doubled: false });
  assert.throws(() => luldBands(d('0'), 1, new Date(ET_1200), nyse), errorKind('InvalidInput'));
  assert.throws(() => luldBands(d('100'), 3 as 1, new Date(ET_1200), nyse), errorKind('InvalidInput'));
});

test('LULD bands double 09:30-09:45 ET for all, and 15:35-16:00 ET for tier 1 and tier 2 at $3 or below', () => {
  assert.deepEqual(bands('100', 1, '2026-03-09T13:35:00.000Z'), { lower: '90', upper: '110', percent: '0.1', doubled: true });
  assert.equal(bands('100', 2, '2026-03-09T13:30:00.000Z').doubled, true);
  assert.equal(bands('100', 1, '2026-03-09T13:44:59.999Z').doubled, true);
  assert.equal(bands('100', 1, '2026-03-09T13:45:00.000Z').doubled, false);
  assert.deepEqual(bands('0.5', 2, '2026-03-09T13:35:00.000Z'), { lower: '0.2', upper: '0.8', percent: '0.6', doubled: true });
  // Doubled under $0.75, the band can pass zero: the lower band stops at zero.
  assert.deepEqual(bands('0.1', 2, '2026-03-09T13:35:00.000Z'), { lower: '0', upper: '0.25', percent: '1.5', doubled: true });

  assert.equal(bands('100', 1, '2026-03-09T19:34:59.999Z').doubled, false);
  assert.deepEqual(bands('100', 1, '2026-03-09T19:35:00.000Z'), { lower: '90', upper: '110', percent: '0.1', doubled: true });
  assert.deepEqual(bands('5', 2, '2026-03-09T19:40:00.000Z'), { lower: '4.5', upper: '5.5', percent: '0.1', doubled: false });
  assert.deepEqual(bands('2.5', 2, '2026-03-09T19:40:00.000Z'), { lower: '1.5', upper: '3.5', percent: '0.4', doubled: true });
  assert.equal(bands('3', 2, '2026-03-09T19:40:00.000Z').doubled, true);
  // Outside the regular session nothing doubles; on an early close the last 25 minutes run to 13:00.
  assert.equal(bands('100', 1, '2026-03-09T20:00:00.000Z').doubled, false);
  assert.equal(bands('100', 1, '2026-11-27T17:34:59.000Z').doubled, false);
  assert.equal(bands('100', 1, '2026-11-27T17:35:00.000Z').doubled, true);
});

const T = Date.parse(ET_1200);

/** A symbol that traded at 100 every second for the five minutes up to T, so one print barely moves the mean. */
function steadyAt100(tier: 1 | 2 = 1): LimitUpLimitDown {
  const luld = new LimitUpLimitDown(tier, nyse);
  for (let ms = T - 300_000; ms <= T; ms += 1000) luld.observe(d('100'), ms);
  return luld;
}

function reading(luld: LimitUpLimitDown, at: number, price?: string) {
  const r = price === undefined ? luld.at(at) : luld.observe(d(price), at);
  return { status: r.status, sinceMs: r.sinceMs === null ? null : r.sinceMs - T, pauseEndsMs: r.pauseEndsMs === null ? null : r.pauseEndsMs - T, bands: r.bands && `${r.bands.lower.toString()}-${r.bands.upper.toString()}` };
}

test('LULD: a price at a band starts a limit state; held 15 s it becomes a 5-minute pause, 14.999 s is not enough', () => {
  const luld = steadyAt100();
  assert.deepEqual(reading(luld, T + 1000, '104.99'), { status: 'normal', sinceMs: null, pauseEndsMs: null, bands: '95-105' });
  assert.deepEqual(reading(luld, T + 2000, '105'), { status: 'limit up', sinceMs: 2000, pauseEndsMs: null, bands: '95-105' });
  assert.deepEqual(reading(luld, T + 3000, '105.2'), { status: 'limit up', sinceMs: 2000, pauseEndsMs: null, bands: '95-105' });
  assert.deepEqual(reading(luld, T + 16_999), { status: 'limit up', sinceMs: 2000, pauseEndsMs: null, bands: '95-105' });
  assert.deepEqual(reading(luld, T + 17_000), { status: 'paused', sinceMs: 17_000, pauseEndsMs: 317_000, bands: null });
  // Prices during the pause change nothing and do not feed the reference.
  assert.deepEqual(reading(luld, T + 60_000, '150'), { status: 'paused', sinceMs: 17_000, pauseEndsMs: 317_000, bands: null });
  assert.deepEqual(reading(luld, T + 400_000), { status: 'paused', sinceMs: 17_000, pauseEndsMs: 317_000, bands: null });
});

test('LULD: a pause becomes due while no price arrives, at 15 s from the start of the limit state', () => {
  const luld = steadyAt100();
  luld.observe(d('95'), T + 1000);
  assert.deepEqual(reading(luld, T + 30_000, '90'), { status: 'paused', sinceMs: 16_000, pauseEndsMs: 316_000, bands: null });
});

test('LULD: a price back inside the bands clears the limit state, and a new one starts its own 15 s', () => {
  const luld = steadyAt100();
  assert.deepEqual(reading(luld, T + 1000, '95'), { status: 'limit down', sinceMs: 1000, pauseEndsMs: null, bands: '95-105' });
  assert.deepEqual(reading(luld, T + 10_000, '95.01'), { status: 'normal', sinceMs: null, pauseEndsMs: null, bands: '95-105' });
  assert.deepEqual(reading(luld, T + 12_000, '94'), { status: 'limit down', sinceMs: 12_000, pauseEndsMs: null, bands: '95-105' });
  assert.equal(luld.at(T + 26_999).status, 'limit down');
  assert.equal(luld.at(T + 27_000).status, 'paused');
  // A limit up straight after a limit down is a new limit state.
  const other = steadyAt100();
  other.observe(d('95'), T + 1000);
  assert.deepEqual(reading(other, T + 5000, '105'), { status: 'limit up', sinceMs: 5000, pauseEndsMs: null, bands: '95-105' });
});

test('LULD: the pause ends with the reopening print, which restarts the reference window', () => {
  const luld = steadyAt100();
  luld.observe(d('105'), T + 1000);
  assert.equal(luld.at(T + 16_000).status, 'paused');
  // Not before the five minutes are up, and the refusal leaves the pause as it was.
  assert.throws(() => luld.reopen(d('104'), T + 315_999), errorKind('InvalidInput'));
  assert.equal(luld.at(T + 315_999).status, 'paused');
  luld.reopen(d('104'), T + 316_000);
  assert.equal(luld.referencePrice?.toString(), '104');
  // 5 % of 104 is 5.20: bands 98.80-109.20 around the reopening print alone, the prints at 100 before the pause forgotten.
  assert.deepEqual(reading(luld, T + 317_000, '109.2'), { status: 'limit up', sinceMs: 317_000, pauseEndsMs: null, bands: '98.8-109.2' });
  assert.throws(() => steadyAt100().reopen(d('100'), T + 1000), errorKind('IllegalTransition'));
});

test('LULD: the bands follow the 5-minute mean once it has moved 1 % from the reference', () => {
  const luld = new LimitUpLimitDown(1, nyse);
  luld.observe(d('100'), T);
  luld.observe(d('100.5'), T + 1000);
  luld.observe(d('102'), T + 2000);
  // Mean of 100, 100.5 and 102 is 100.8333: under 1 % from 100, the bands stay.
  assert.equal(reading(luld, T + 3000, '102').bands, '95-105');
  assert.equal(luld.referencePrice?.toString(), '100');
  // Mean of 100, 100.5, 102 and 102 is 101.125: 1.125 % on, the bands move to 96.07-106.18.
  assert.equal(reading(luld, T + 4000, '102').bands, '96.07-106.18');
  assert.equal(luld.referencePrice?.toString(), '101.125');
  // With no price for five minutes the window empties and the reference in force stays.
  assert.equal(reading(luld, T + 400_000).bands, '96.07-106.18');
});

test('LULD applies in the regular session only: before 09:30 prices feed the reference but start no limit state', () => {
  const pre = Date.parse(ET_0900);
  const luld = new LimitUpLimitDown(1, nyse);
  assert.deepEqual(luld.observe(d('100'), pre), { status: 'normal', sinceMs: null, pauseEndsMs: null, bands: null });
  assert.equal(luld.observe(d('120'), pre + 1000).status, 'normal');
  assert.equal(luld.at(pre + 60_000).status, 'normal');
  // A 24/7 calendar applies them around the clock.
  const allDay = new LimitUpLimitDown(2, calendarFor('continuous'));
  allDay.observe(d('100'), Date.parse('2026-03-07T03:00:00.000Z'));
  assert.equal(allDay.observe(d('111'), Date.parse('2026-03-07T03:00:01.000Z')).status, 'limit up');
});

test('LULD refuses bad prices and time running backwards, and keeps its state', () => {
  const luld = steadyAt100();
  luld.observe(d('105'), T + 1000);
  assert.throws(() => luld.observe(d('0'), T + 2000), errorKind('InvalidInput'));
  assert.throws(() => luld.observe(d('-1'), T + 2000), errorKind('InvalidInput'));
  assert.throws(() => luld.observe(d('100'), T + 500), errorKind('InvalidInput'));
  assert.throws(() => luld.at(Number.NaN), errorKind('InvalidInput'));
  assert.deepEqual(reading(luld, T + 2000), { status: 'limit up', sinceMs: 1000, pauseEndsMs: null, bands: '95-105' });
  assert.throws(() => new LimitUpLimitDown(3 as 1, nyse), errorKind('InvalidInput'));
});
