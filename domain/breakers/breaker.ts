import { Decimal, InvalidNumberError, parseDecimal, TradingError } from '../shared';
import { BreakerLevel, RiskLimits, TradingState, StateProjection, BreakerReadingPayload, stricterTradingState } from '../state';
import { PricePoint } from './volatility';

export type { BreakerLevel };

/** Whether a breaker trips when its figure rises to a level (a loss) or falls to it (a buffer). */
export type BreakerDirection = 'above' | 'below';
/** The trading state a critical breaker asks for. */
export type BreakerResponse = Exclude<TradingState, 'ACTIVE'>;
/** What a critical breaker does with the positions that breach: nothing, close them, or cut them back to the warning level. */
export type LiquidationMode = 'none' | 'close' | 'excess';

/** Everything a breaker may read: one consistent snapshot of the live state, taken in one synchronous step. */
export interface BreakerSnapshot {
  readonly now: Date;
  readonly state: StateProjection;
  readonly settings: Readonly<Record<string, string>>;
  readonly limits: RiskLimits;
  readonly equity: Decimal;
  /** The mark prices seen per symbol, oldest first. */
  prices(symbol: string): readonly PricePoint[];
  /** The last price of each minute among them, oldest first (minuteCloses of the prices). */
  minuteCloses(symbol: string): readonly PricePoint[];
  /** The log returns between consecutive minute closes, oldest first. */
  minuteReturns(symbol: string): readonly Decimal[];
  /** Average pairwise correlation of the symbols held now, and its values over the lookback. */
  readonly averageCorrelation: Decimal | null;
  readonly correlationLookback: readonly Decimal[];
}

/** A position a critical breaker wants reduced, and by how much (absolute quantity). */
export interface BreachingPosition {
  readonly symbol: string;
  readonly quantity: Decimal;
}

export interface BreakerReading {
  readonly observed: Decimal;
  readonly warning: Decimal;
  readonly critical: Decimal;
  /** An optional third level at which the response is HALTED rather than the breaker's usual one. */
  readonly halt?: Decimal;
  readonly subject?: string;
  readonly breaching?: readonly BreachingPosition[];
}

export interface BreakerDefinition {
  readonly name: string;
  /** What the figure is, in words and unit: "loss since the start of the day (USD)". */
  readonly measure: string;
  readonly direction: BreakerDirection;
  readonly response: BreakerResponse;
  readonly liquidation: LiquidationMode;
  /** The figure as a person reads it. */
  format(value: Decimal): string;
  /** Null when there is nothing to measure (no positions, too few prices). */
  read(snapshot: BreakerSnapshot): BreakerReading | null;
}

function reached(value: Decimal, level: Decimal, direction: BreakerDirection): boolean {
  return direction === 'above' ? value.gte(level) : value.lte(level);
}

/** A limit counts as reached at exactly the limit, as the pre-trade checks count it. */
export function levelOf(reading: BreakerReading, direction: BreakerDirection): BreakerLevel {
  if (reached(reading.observed, reading.critical, direction)) return 'critical';
  if (reached(reading.observed, reading.warning, direction)) return 'warning';
  return 'normal';
}

/** The level a reading reached (or, back at normal, the warning level it came back under). */
export function limitFor(reading: BreakerReading, level: BreakerLevel): Decimal {
  return level === 'critical' ? reading.critical : reading.warning;
}

/** A reading as the breaker events record it; with nothing to measure, zeros and the words for it. */
export function readingPayload(definition: BreakerDefinition, reading: BreakerReading | null, level: BreakerLevel): BreakerReadingPayload {
  if (!reading) return { breaker: definition.name, level, observed: '0', limit: '0', observedText: 'nothing to measure', limitText: '' };
  const limit = limitFor(reading, level);
  return {
    breaker: definition.name,
    level,
    observed: reading.observed.toString(),
    limit: limit.toString(),
    observedText: definition.format(reading.observed),
    limitText: definition.format(limit),
    ...(reading.subject ? { subject: reading.subject } : {}),
  };
}

export function responseFor(definition: BreakerDefinition, reading: BreakerReading): BreakerResponse {
  if (reading.halt && reached(reading.observed, reading.halt, definition.direction)) return 'HALTED';
  return definition.response;
}

/** The stricter of two trading states: two breakers at once leave the stricter one in force. */
export const stricterState = stricterTradingState;

const NAME = /^[a-z][a-z0-9 -]{1,39}$/;

/** Thresholds from the edge: decimal strings, finite, not negative, and ordered the way the breaker trips. */
export function parseThresholds(name: string, warning: string, critical: string, direction: BreakerDirection): { warning: Decimal; critical: Decimal } {
  if (!NAME.test(name)) throw new TradingError('InvalidBreaker', `breaker name ${JSON.stringify(name)} must be 2-40 lower-case letters, digits, spaces or -`, { field: 'name' });
  const parse = (text: string, field: string) => {
    let value: Decimal;
    try {
      value = parseDecimal(text, `${field} level`);
    } catch (error) {
      if (!(error instanceof InvalidNumberError)) throw error;
      throw new TradingError('InvalidBreaker', `breaker ${name}: ${field} level ${JSON.stringify(text)} is not a decimal number: ${error.reason}`, { field, input: text }, { cause: error });
    }
    if (value.lt(0)) throw new TradingError('InvalidBreaker', `breaker ${name}: ${field} level ${text} must not be negative`, { field });
    return value;
  };
  const w = parse(warning, 'warning');
  const c = parse(critical, 'critical');
  if (direction === 'above' ? w.gt(c) : w.lt(c)) {
    throw new TradingError('InvalidBreaker', `breaker ${name}: the warning level ${warning} must come before the critical level ${critical}`, { field: 'warning' });
  }
  return { warning: w, critical: c };
}
