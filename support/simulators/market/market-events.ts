import { TradingError } from '../../../domain/shared';
import type { MarketRegime } from './price-path';

const MINUTE_MS = 60_000;

/**
 * A flash crash shaped like 6 May 2010 (the CFTC-SEC account): a slow first leg, then most of the
 * fall within minutes as market makers withdraw, a 5-second pause at the low (CME's stop logic),
 * and a recovery of most of the fall over about 20 minutes.
 */
export interface FlashCrash {
  readonly kind: 'flash_crash';
  readonly symbol: string;
  /** The whole fall at the low, as a share of the price at the start (0.09 = 9 %). */
  readonly fall: number;
  /** The slower first leg's fall, and how long it takes. */
  readonly firstLegFall: number;
  readonly firstLegMs: number;
  /** From the first leg's end to the low. */
  readonly crashMs: number;
  /** The venue's pause at the low. */
  readonly pauseMs: number;
  /** The share of the fall won back by recoveryMs after the low. */
  readonly recoveredShare: number;
  readonly recoveryMs: number;
  /** Depth at the low as a share of normal (market makers withdrawn), and the spread's multiple there. */
  readonly lowLiquidity: number;
  readonly lowSpreadFactor: number;
}

/** The book's depth falls to a share of normal over overMs, then stays: for holdMs, or until lifted when null. */
export interface LiquidityDrain {
  readonly kind: 'liquidity_drain';
  readonly symbol: string;
  readonly toShare: number;
  readonly overMs: number;
  readonly holdMs: number | null;
}

/** The spread widens to factor times normal over overMs, then stays: for holdMs, or until lifted when null. */
export interface SpreadWidening {
  readonly kind: 'spread_widening';
  readonly symbol: string;
  readonly factor: number;
  readonly overMs: number;
  readonly holdMs: number | null;
}

/** The symbol's price path enters a regime at once and holds it. */
export interface RegimeChange {
  readonly kind: 'regime_change';
  readonly symbol: string;
  readonly to: MarketRegime;
}

/** An implied-volatility index moves from one value to another over overMs, and stays there. */
export interface ImpliedVolatilitySurge {
  readonly kind: 'implied_volatility_surge';
  readonly underlying: string;
  readonly from: number;
  readonly to: number;
  readonly overMs: number;
}

export type MarketEvent = FlashCrash | LiquidityDrain | SpreadWidening | RegimeChange | ImpliedVolatilitySurge;
export type MarketEventKind = MarketEvent['kind'];

/** What an event does to its symbol at a moment of its run; factors of 1 and nulls leave the market as it is. */
export interface MarketEventEffect {
  /** The price as a multiple of its level when the event began (before the path's own moves). */
  readonly priceFactor: number;
  readonly liquidityFactor: number;
  readonly spreadFactor: number;
  /** The venue has paused the symbol. */
  readonly paused: boolean;
  readonly regime: MarketRegime | null;
  readonly impliedVolatility: number | null;
}

const NO_EFFECT: MarketEventEffect = { priceFactor: 1, liquidityFactor: 1, spreadFactor: 1, paused: false, regime: null, impliedVolatility: null };

function invalid(message: string, details: Record<string, unknown>): TradingError {
  return new TradingError('InvalidInput', message, details);
}

function requireRange(event: string, field: string, value: number, min: number, max: number, openMin = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (openMin ? value > min : value >= min) && value <= max;
  if (!ok) throw invalid(`${event}: ${field} must be in ${openMin ? '(' : '['}${min}, ${max}], got ${String(value)}`, { event, field, value });
}

function requireSymbol(event: string, symbol: string): void {
  if (typeof symbol !== 'string' || symbol.trim() === '') throw invalid(`${event}: a symbol is needed`, { event });
}

const MAX_MS = 366 * 24 * 3_600_000;

/** Refuses an event whose figures make no sense, naming the figure. */
export function validateMarketEvent(event: MarketEvent): void {
  switch (event.kind) {
    case 'flash_crash':
      requireSymbol(event.kind, event.symbol);
      requireRange(event.kind, 'fall', event.fall, 0, 0.95, true);
      requireRange(event.kind, 'firstLegFall', event.firstLegFall, 0, event.fall);
      requireRange(event.kind, 'firstLegMs', event.firstLegMs, 0, MAX_MS);
      requireRange(event.kind, 'crashMs', event.crashMs, 0, MAX_MS, true);
      requireRange(event.kind, 'pauseMs', event.pauseMs, 0, MAX_MS);
      requireRange(event.kind, 'recoveredShare', event.recoveredShare, 0, 1);
      requireRange(event.kind, 'recoveryMs', event.recoveryMs, event.pauseMs, MAX_MS, true);
      requireRange(event.kind, 'lowLiquidity', event.lowLiquidity, 0, 1, true);
      requireRange(event.kind, 'lowSpreadFactor', event.lowSpreadFactor, 1, 1000);
      return;
    case 'liquidity_drain':
      requireSymbol(event.kind, event.symbol);
      requireRange(event.kind, 'toShare', event.toShare, 0, 1, true);
      requireRange(event.kind, 'overMs', event.overMs, 0, MAX_MS);
      if (event.holdMs !== null) requireRange(event.kind, 'holdMs', event.holdMs, 0, MAX_MS);
      return;
    case 'spread_widening':
      requireSymbol(event.kind, event.symbol);
      requireRange(event.kind, 'factor', event.factor, 0, 1000, true);
      requireRange(event.kind, 'overMs', event.overMs, 0, MAX_MS);
      if (event.holdMs !== null) requireRange(event.kind, 'holdMs', event.holdMs, 0, MAX_MS);
      return;
    case 'regime_change':
      requireSymbol(event.kind, event.symbol);
      if (event.to !== 'calm' && event.to !== 'stress') throw invalid(`regime_change: unknown regime ${String(event.to)}`, { to: event.to });
      return;
    case 'implied_volatility_surge':
      requireSymbol(event.kind, event.underlying);
      requireRange(event.kind, 'from', event.from, 0, 10, true);
      requireRange(event.kind, 'to', event.to, 0, 10, true);
      requireRange(event.kind, 'overMs', event.overMs, 0, MAX_MS);
      return;
    default:
      throw invalid(`unknown market event ${JSON.stringify((event as { kind?: unknown }).kind)}`, {});
  }
}

/** 6 May 2010's shape by default: 3 % over 10 minutes, 9 % at the low 5 minutes later, a 5 s pause, 75 % back 20 minutes after the low. */
export function flashCrash(options: { readonly symbol: string } & Partial<Omit<FlashCrash, 'kind' | 'symbol'>>): FlashCrash {
  const fall = options.fall ?? 0.09;
  const event: FlashCrash = {
    kind: 'flash_crash',
    symbol: options.symbol,
    fall,
    firstLegFall: options.firstLegFall ?? fall / 3,
    firstLegMs: options.firstLegMs ?? 10 * MINUTE_MS,
    crashMs: options.crashMs ?? 5 * MINUTE_MS,
    pauseMs: options.pauseMs ?? 5_000,
    recoveredShare: options.recoveredShare ?? 0.75,
    recoveryMs: options.recoveryMs ?? 20 * MINUTE_MS,
    lowLiquidity: options.lowLiquidity ?? 0.01,
    lowSpreadFactor: options.lowSpreadFactor ?? 10,
  };
  validateMarketEvent(event);
  return event;
}

export function liquidityDrain(options: { readonly symbol: string; readonly toShare: number; readonly overMs: number; readonly holdMs?: number | null }): LiquidityDrain {
  const event: LiquidityDrain = { kind: 'liquidity_drain', symbol: options.symbol, toShare: options.toShare, overMs: options.overMs, holdMs: options.holdMs ?? null };
  validateMarketEvent(event);
  return event;
}

export function spreadWidening(options: { readonly symbol: string; readonly factor: number; readonly overMs: number; readonly holdMs?: number | null }): SpreadWidening {
  const event: SpreadWidening = { kind: 'spread_widening', symbol: options.symbol, factor: options.factor, overMs: options.overMs, holdMs: options.holdMs ?? null };
  validateMarketEvent(event);
  return event;
}

export function regimeChange(options: { readonly symbol: string; readonly to: MarketRegime }): RegimeChange {
  const event: RegimeChange = { kind: 'regime_change', symbol: options.symbol, to: options.to };
  validateMarketEvent(event);
  return event;
}

export function impliedVolatilitySurge(options: { readonly underlying: string; readonly from: number; readonly to: number; readonly overMs: number }): ImpliedVolatilitySurge {
  const event: ImpliedVolatilitySurge = { kind: 'implied_volatility_surge', underlying: options.underlying, from: options.from, to: options.to, overMs: options.overMs };
  validateMarketEvent(event);
  return event;
}

/** The symbol an event acts on: the underlying for an implied-volatility index. */
export function eventSymbol(event: MarketEvent): string {
  return event.kind === 'implied_volatility_surge' ? event.underlying : event.symbol;
}

/** How long an event runs from its start; null: until lifted. */
export function eventDurationMs(event: MarketEvent): number | null {
  switch (event.kind) {
    case 'flash_crash':
      return flashCrashLow(event).atMs + event.recoveryMs;
    case 'liquidity_drain':
    case 'spread_widening':
      return event.holdMs === null ? null : event.overMs + event.holdMs;
    case 'regime_change':
      return 0;
    case 'implied_volatility_surge':
      return event.overMs;
  }
}

/** The instants (from the start) a step must land on so that nothing an event does is stepped over: start, low, end of the pause, end. */
export function eventMilestonesMs(event: MarketEvent): number[] {
  const milestones = [0];
  if (event.kind === 'flash_crash') {
    const low = flashCrashLow(event).atMs;
    milestones.push(low, low + event.pauseMs);
  }
  const duration = eventDurationMs(event);
  if (duration !== null) milestones.push(duration);
  return [...new Set(milestones)].sort((a, b) => a - b);
}

/** When the flash crash reaches its low (from its start) and the price there as a multiple of the start. */
export function flashCrashLow(crash: FlashCrash): { readonly atMs: number; readonly priceFactor: number } {
  return { atMs: crash.firstLegMs + crash.crashMs, priceFactor: 1 - crash.fall };
}

/** The share of the way through a ramp of ms at elapsed: 0 before, 1 at and after its end. */
function ramp(elapsedMs: number, ms: number): number {
  if (ms <= 0) return 1;
  return Math.min(1, Math.max(0, elapsedMs / ms));
}

/** The flash crash at elapsedMs from its start. */
export function flashCrashEffect(crash: FlashCrash, elapsedMs: number): MarketEventEffect {
  const low = flashCrashLow(crash);
  const pauseEnds = low.atMs + crash.pauseMs;
  let fallen: number;
  let withdrawn: number;
  if (elapsedMs < crash.firstLegMs) {
    // The seller's first leg: a steady decline.
    fallen = crash.firstLegFall * ramp(elapsedMs, crash.firstLegMs);
    withdrawn = fallen / crash.fall;
  } else if (elapsedMs < low.atMs) {
    // Market makers pull out and the fall accelerates into the low.
    const u = ramp(elapsedMs - crash.firstLegMs, crash.crashMs);
    fallen = crash.firstLegFall + (crash.fall - crash.firstLegFall) * u * u;
    withdrawn = fallen / crash.fall;
  } else if (elapsedMs < pauseEnds) {
    fallen = crash.fall;
    withdrawn = 1;
  } else {
    // Buyers come back fast at first, then more slowly; liquidity returns with them.
    const v = ramp(elapsedMs - pauseEnds, low.atMs + crash.recoveryMs - pauseEnds);
    const eased = 1 - (1 - v) * (1 - v);
    fallen = crash.fall * (1 - crash.recoveredShare * eased);
    withdrawn = 1 - eased;
  }
  return {
    ...NO_EFFECT,
    priceFactor: 1 - fallen,
    liquidityFactor: 1 - (1 - crash.lowLiquidity) * withdrawn,
    spreadFactor: 1 + (crash.lowSpreadFactor - 1) * withdrawn,
    paused: elapsedMs >= low.atMs && elapsedMs < pauseEnds,
  };
}

/** What an event does at elapsedMs from its start (a pure function of the two). */
export function eventEffect(event: MarketEvent, elapsedMs: number): MarketEventEffect {
  if (elapsedMs < 0) return NO_EFFECT;
  switch (event.kind) {
    case 'flash_crash':
      return flashCrashEffect(event, elapsedMs);
    case 'liquidity_drain':
      return { ...NO_EFFECT, liquidityFactor: 1 - (1 - event.toShare) * ramp(elapsedMs, event.overMs) };
    case 'spread_widening':
      return { ...NO_EFFECT, spreadFactor: 1 + (event.factor - 1) * ramp(elapsedMs, event.overMs) };
    case 'regime_change':
      return { ...NO_EFFECT, regime: event.to };
    case 'implied_volatility_surge':
      return { ...NO_EFFECT, impliedVolatility: event.from + (event.to - event.from) * ramp(elapsedMs, event.overMs) };
  }
}
