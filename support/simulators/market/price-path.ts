import { SeededRandom, TradingError } from '../../../domain/shared';

/** The state a simulated market is in: quiet, or stressed (high volatility, jumps, wide and thin books). */
export type MarketRegime = 'calm' | 'stress';

/** Where the model's randomness comes from: the scenario's seeded generator, or any uniform draw on [0, 1). */
export type RandomSource = SeededRandom | (() => number);

/** GARCH(1,1) on daily returns: next variance = omega + alpha x return^2 + beta x variance. */
export interface GarchParameters {
  readonly omega: number;
  readonly alpha: number;
  readonly beta: number;
}

/** Merton jumps: a Poisson count a day, each a log-normal move whose mean is meanJump (-0.03 = a 3 % fall). */
export interface JumpParameters {
  readonly perDay: number;
  readonly meanJump: number;
  /** Standard deviation of the jump's log return. */
  readonly jumpVolatility: number;
}

export interface RegimeModel {
  readonly garch: GarchParameters;
  readonly jumps: JumpParameters | null;
}

/** Daily probabilities of leaving each regime. */
export interface RegimeSwitching {
  readonly calmToStress: number;
  readonly stressToCalm: number;
}

export const TRADING_DAYS_PER_YEAR = 252;
export const CALENDAR_DAYS_PER_YEAR = 365;
/** A US equity's trading day is its regular session (09:30-16:00); a 24/7 venue's is the whole day. */
export const US_EQUITY_DAY_MS = 6.5 * 3_600_000;
export const CONTINUOUS_DAY_MS = 24 * 3_600_000;

export const CALM_ANNUAL_VOLATILITY = 0.12;
export const STRESS_ANNUAL_VOLATILITY = 0.4;
export const DEFAULT_REGIME_SWITCHING: RegimeSwitching = { calmToStress: 0.01, stressToCalm: 0.05 };
export const DEFAULT_STRESS_JUMPS: JumpParameters = { perDay: 3, meanJump: -0.03, jumpVolatility: 0.02 };

function invalid(message: string, details: Record<string, unknown>): TradingError {
  return new TradingError('InvalidInput', message, details);
}

function requireFinite(field: string, value: number, min: number, max = Number.POSITIVE_INFINITY): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`${field} must be a number in [${min}, ${max}], got ${String(value)}`, { field, value });
  }
}

function requireGarch(params: GarchParameters): void {
  requireFinite('omega', params.omega, 0);
  requireFinite('alpha', params.alpha, 0);
  requireFinite('beta', params.beta, 0);
  // alpha + beta of 1 or more has no long-run variance: the model would explode.
  if (params.alpha + params.beta >= 1) throw invalid(`alpha + beta must be below 1, got ${params.alpha + params.beta}`, { ...params });
}

/** One GARCH(1,1) update on daily figures (Hull): omega + alpha x lastReturn^2 + beta x variance. */
export function garchNextVariance(params: GarchParameters, variance: number, lastReturn: number): number {
  return params.omega + params.alpha * lastReturn * lastReturn + params.beta * variance;
}

/** The variance GARCH(1,1) reverts to: omega / (1 - alpha - beta). */
export function longRunVariance(params: GarchParameters): number {
  requireGarch(params);
  return params.omega / (1 - params.alpha - params.beta);
}

/** The daily volatility GARCH(1,1) reverts to: sqrt(omega / (1 - alpha - beta)). */
export function longRunVolatility(params: GarchParameters): number {
  return Math.sqrt(longRunVariance(params));
}

/** GARCH parameters that revert to a given daily volatility: omega = long-run variance x (1 - alpha - beta). */
export function garchFor(dailyVolatility: number, alpha: number, beta: number): GarchParameters {
  requireFinite('dailyVolatility', dailyVolatility, 0);
  const params = { omega: dailyVolatility * dailyVolatility * (1 - alpha - beta), alpha, beta };
  requireGarch(params);
  return params;
}

/** The calm (12 %) and stress (40 %) regimes for a venue with this many trading days a year; jumps only in stress. */
export function defaultRegimeModels(daysPerYear: number = TRADING_DAYS_PER_YEAR): Record<MarketRegime, RegimeModel> {
  const root = Math.sqrt(daysPerYear);
  return {
    calm: { garch: garchFor(CALM_ANNUAL_VOLATILITY / root, 0.06, 0.92), jumps: null },
    stress: { garch: garchFor(STRESS_ANNUAL_VOLATILITY / root, 0.1, 0.88), jumps: DEFAULT_STRESS_JUMPS },
  };
}

/** Chance of a switch within a step dayFraction of a day long, given the daily chance. */
export function stepSwitchProbability(dailyProbability: number, dayFraction: number): number {
  return 1 - Math.pow(1 - dailyProbability, dayFraction);
}

export interface PricePathOptions {
  readonly price: number;
  readonly random: RandomSource;
  readonly regime?: MarketRegime;
  /** Keep the starting regime until setRegime says otherwise (no random switching). */
  readonly holdRegime?: boolean;
  /** The length of a model day on the virtual clock, and trading days a year (for the annualised figure). */
  readonly dayMs?: number;
  readonly daysPerYear?: number;
  readonly regimes?: Partial<Record<MarketRegime, RegimeModel>>;
  readonly switching?: RegimeSwitching;
}

/**
 * A seeded log-normal price path on virtual time: GARCH(1,1) variance per regime, calm/stress
 * regime switching, and Merton jumps in stress. Figures are daily; a step of ms takes
 * ms / dayMs of a day, so the same seed gives the same path whatever reads it.
 */
export class PricePath {
  private readonly draw: () => number;
  private readonly models: Record<MarketRegime, RegimeModel>;
  private readonly switching: RegimeSwitching;
  readonly dayMs: number;
  readonly daysPerYear: number;
  private currentPrice: number;
  private priorPrice: number;
  private currentRegime: MarketRegime;
  private dailyVariance: number;
  private held: boolean;
  private elapsed = 0;

  constructor(options: PricePathOptions) {
    requireFinite('price', options.price, Number.MIN_VALUE);
    this.dayMs = options.dayMs ?? CONTINUOUS_DAY_MS;
    this.daysPerYear = options.daysPerYear ?? CALENDAR_DAYS_PER_YEAR;
    requireFinite('dayMs', this.dayMs, 1);
    requireFinite('daysPerYear', this.daysPerYear, 1);
    const defaults = defaultRegimeModels(this.daysPerYear);
    this.models = { calm: options.regimes?.calm ?? defaults.calm, stress: options.regimes?.stress ?? defaults.stress };
    for (const model of Object.values(this.models)) {
      requireGarch(model.garch);
      if (model.jumps) {
        requireFinite('jumps.perDay', model.jumps.perDay, 0);
        requireFinite('jumps.meanJump', model.jumps.meanJump, -0.99, 10);
        requireFinite('jumps.jumpVolatility', model.jumps.jumpVolatility, 0);
      }
    }
    this.switching = options.switching ?? DEFAULT_REGIME_SWITCHING;
    requireFinite('switching.calmToStress', this.switching.calmToStress, 0, 1);
    requireFinite('switching.stressToCalm', this.switching.stressToCalm, 0, 1);
    const random = options.random;
    this.draw = typeof random === 'function' ? random : () => random.next();
    this.currentPrice = options.price;
    this.priorPrice = options.price;
    this.currentRegime = options.regime ?? 'calm';
    this.dailyVariance = longRunVariance(this.models[this.currentRegime].garch);
    this.held = options.holdRegime ?? false;
  }

  get price(): number {
    return this.currentPrice;
  }

  get regime(): MarketRegime {
    return this.currentRegime;
  }

  /** The daily variance in force (GARCH's h). */
  get variance(): number {
    return this.dailyVariance;
  }

  /** The volatility in force, annualised: sqrt(daily variance x trading days a year). */
  get annualisedVolatility(): number {
    return Math.sqrt(this.dailyVariance * this.daysPerYear);
  }

  /** The log return of the last step, shocks applied since included. */
  get lastReturn(): number {
    return Math.log(this.currentPrice / this.priorPrice);
  }

  /** Model time the path has been stepped through. */
  get elapsedMs(): number {
    return this.elapsed;
  }

  get regimeHeld(): boolean {
    return this.held;
  }

  /** Advance the path by ms of model time; steps longer than a day are taken a day at a time. */
  step(ms: number): void {
    requireFinite('step ms', ms, 0);
    this.priorPrice = this.currentPrice;
    let remaining = ms;
    while (remaining > 0) {
      const chunk = Math.min(remaining, this.dayMs);
      this.stepWithinDay(chunk / this.dayMs);
      remaining -= chunk;
    }
    this.elapsed += ms;
  }

  /** Force a regime: the variance starts from its long-run level; held unless told otherwise. */
  setRegime(regime: MarketRegime, hold = true): void {
    if (regime !== 'calm' && regime !== 'stress') throw invalid(`unknown regime ${String(regime)}`, { regime });
    this.held = hold;
    if (regime !== this.currentRegime) this.enter(regime);
  }

  /** Let the regime switch at random again. */
  releaseRegime(): void {
    this.held = false;
  }

  /** Move the price by a share at once (-0.05 = a 5 % fall); the move feeds the variance as a return would. */
  applyShock(share: number): void {
    requireFinite('shock', share, -0.99, 100);
    const logReturn = Math.log1p(share);
    this.currentPrice *= 1 + share;
    this.dailyVariance += this.models[this.currentRegime].garch.alpha * logReturn * logReturn;
  }

  private stepWithinDay(dayFraction: number): void {
    if (!this.held) {
      const leave = this.currentRegime === 'calm' ? this.switching.calmToStress : this.switching.stressToCalm;
      if (this.draw() < stepSwitchProbability(leave, dayFraction)) this.enter(this.currentRegime === 'calm' ? 'stress' : 'calm');
    }
    const model = this.models[this.currentRegime];
    const variance = this.dailyVariance;
    const diffusion = Math.sqrt(variance * dayFraction) * this.normal();
    let jumps = 0;
    let compensator = 0;
    if (model.jumps && model.jumps.perDay > 0) {
      const { perDay, meanJump, jumpVolatility } = model.jumps;
      // The log jump's mean is chosen so that a jump's mean price move is meanJump.
      const logMean = Math.log1p(meanJump) - (jumpVolatility * jumpVolatility) / 2;
      const count = this.poisson(perDay * dayFraction);
      for (let i = 0; i < count; i += 1) jumps += logMean + jumpVolatility * this.normal();
      // Merton's compensator: jumps add no drift to the expected price.
      compensator = perDay * meanJump * dayFraction;
    }
    const logReturn = -(variance * dayFraction) / 2 - compensator + diffusion + jumps;
    this.currentPrice *= Math.exp(logReturn);
    // GARCH on daily figures, taken dayFraction of the way: the step's return scaled to a day's.
    const dailyReturn = logReturn / Math.sqrt(dayFraction);
    this.dailyVariance = variance + dayFraction * (garchNextVariance(model.garch, variance, dailyReturn) - variance);
  }

  private enter(regime: MarketRegime): void {
    this.currentRegime = regime;
    this.dailyVariance = longRunVariance(this.models[regime].garch);
  }

  private normal(): number {
    // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const u = 1 - this.draw();
    const v = this.draw();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  private poisson(mean: number): number {
    // Knuth's method: the means here are a small fraction of one.
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.draw();
    while (product > limit) {
      count += 1;
      product *= this.draw();
    }
    return count;
  }
}
