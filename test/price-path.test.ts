import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, TradingError } from '../domain/shared';
import {
  CONTINUOUS_DAY_MS,
  PricePath,
  defaultRegimeModels,
  garchFor,
  garchNextVariance,
  longRunVolatility,
  stepSwitchProbability,
} from '../support/simulators/market';

const HULL = { omega: 0.000002, alpha: 0.13, beta: 0.86 };

function path(seed: number, regime: 'calm' | 'stress' = 'calm', holdRegime = false): PricePath {
  return new PricePath({ price: 100, random: new SeededRandom(seed), regime, holdRegime });
}

function prices(p: PricePath, steps: number, ms = 1000): number[] {
  const seen: number[] = [];
  for (let i = 0; i < steps; i += 1) {
    p.step(ms);
    seen.push(p.price);
  }
  return seen;
}

test('GARCH(1,1), Hull\'s example: long-run daily volatility 1.41 %, and 1.53 % the day after a 1 % return from 1.6 %', () => {
  assert.equal(longRunVolatility(HULL).toFixed(4), '0.0141');
  const next = garchNextVariance(HULL, 0.016 * 0.016, 0.01);
  assert.equal(Math.sqrt(next).toFixed(4), '0.0153');
});

test('omega from the long-run variance: 1 % daily vol with alpha + beta = 0.98 gives omega 2e-6', () => {
  const params = garchFor(0.01, 0.08, 0.9);
  assert.equal(params.omega.toExponential(3), '2.000e-6');
  assert.equal(longRunVolatility(params).toFixed(6), '0.010000');
});

test('a GARCH without a long-run variance (alpha + beta of 1) is refused', () => {
  assert.throws(() => longRunVolatility({ omega: 0.000002, alpha: 0.2, beta: 0.8 }), (e: unknown) => e instanceof TradingError && e.kind === 'InvalidInput');
});

test('the regimes revert to 12 % and 40 % a year', () => {
  const models = defaultRegimeModels(252);
  assert.equal((longRunVolatility(models.calm.garch) * Math.sqrt(252)).toFixed(4), '0.1200');
  assert.equal((longRunVolatility(models.stress.garch) * Math.sqrt(252)).toFixed(4), '0.4000');
  assert.equal(models.calm.jumps, null);
  assert.ok(models.stress.jumps && models.stress.jumps.meanJump <= -0.02 && models.stress.jumps.meanJump >= -0.08);
});

test('the daily switching chance scales to the step: a day of steps adds up to the daily figure', () => {
  const perSecond = stepSwitchProbability(0.01, 1000 / CONTINUOUS_DAY_MS);
  assert.ok(Math.abs(1 - Math.pow(1 - perSecond, 86_400) - 0.01) < 1e-12);
  assert.equal(stepSwitchProbability(0.05, 1).toFixed(12), '0.050000000000');
});

test('the same seed gives the same path, a different seed a different one', () => {
  const a = prices(path(7), 3600);
  const b = prices(path(7), 3600);
  const c = prices(path(8), 3600);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every(p => p > 0));
});

test('a calm path\'s realized volatility over a modelled day is near 12 % a year, a stressed one\'s far higher', () => {
  const realized = (p: PricePath): number => {
    const returns: number[] = [];
    for (let i = 0; i < 1440; i += 1) {
      p.step(60_000);
      returns.push(p.lastReturn);
    }
    const sumSquares = returns.reduce((s, r) => s + r * r, 0);
    return Math.sqrt(sumSquares * 365);
  };
  const calm = realized(path(11, 'calm', true));
  const stress = realized(path(11, 'stress', true));
  assert.ok(calm > 0.08 && calm < 0.17, `calm realized ${calm}`);
  assert.ok(stress > 0.3, `stress realized ${stress}`);
});

test('stress brings jumps: over ten modelled days some one-minute moves are beyond 1 %, none in calm', () => {
  const bigMoves = (p: PricePath): number => {
    let count = 0;
    for (let i = 0; i < 14_400; i += 1) {
      p.step(60_000);
      if (Math.abs(p.lastReturn) > 0.01) count += 1;
    }
    return count;
  };
  assert.equal(bigMoves(path(3, 'calm', true)), 0);
  assert.ok(bigMoves(path(3, 'stress', true)) >= 5);
});

test('a forced regime holds and sets the variance to its long-run level; the annualised figure follows', () => {
  const p = path(5);
  assert.equal(p.regime, 'calm');
  assert.equal(p.annualisedVolatility.toFixed(2), '0.12');
  p.setRegime('stress');
  assert.equal(p.regime, 'stress');
  assert.equal(p.annualisedVolatility.toFixed(2), '0.40');
  prices(p, 24 * 365, 3_600_000);
  assert.equal(p.regime, 'stress');
});

test('regimes switch at random when not held: a year of hours sees both', () => {
  const p = path(21);
  const seen = new Set<string>();
  for (let i = 0; i < 365 * 24; i += 1) {
    p.step(3_600_000);
    seen.add(p.regime);
  }
  assert.deepEqual([...seen].sort(), ['calm', 'stress']);
});

test('a shock moves the price by its share, is the last return, and raises the variance', () => {
  const p = path(9);
  p.step(1000);
  const before = p.price;
  const variance = p.variance;
  p.applyShock(-0.05);
  assert.equal((p.price / before).toFixed(12), '0.950000000000');
  assert.ok(p.variance > variance);
  p.step(0);
  assert.equal(p.lastReturn, 0);
  assert.throws(() => p.applyShock(-1), (e: unknown) => e instanceof TradingError && e.kind === 'InvalidInput');
});

test('a plain () => number generator drives the path as the seeded one does', () => {
  const rng = new SeededRandom(42);
  const a = prices(new PricePath({ price: 50, random: () => rng.next() }), 100);
  const b = prices(new PricePath({ price: 50, random: new SeededRandom(42) }), 100);
  assert.deepEqual(a, b);
});
