import { Decimal, isMultipleOf, TradingError } from '../shared';

export interface Instrument {
  readonly symbol: string;
  readonly tickSize: Decimal;
  readonly lotSize: Decimal;
  readonly minNotional: Decimal;
  /** Initial margin as a fraction of notional (0.1 = 10x maximum leverage at the venue). */
  readonly initialMarginRate: Decimal;
  /** Maintenance margin as a fraction of notional. */
  readonly maintenanceMarginRate: Decimal;
  readonly tradable: boolean;
  /** What is traded: a perpetual future (24/7), a listed equity (venue sessions and halts), or an index (marked, never traded). */
  readonly kind: InstrumentKind;
  /** The venue calendar whose sessions, holidays and close the instrument trades by. */
  readonly calendar: CalendarName;
  /** Limit up-limit down tier of a US equity (1: S&P 500, Russell 1000, some ETPs; 2: the rest). */
  readonly luldTier: 1 | 2 | null;
  /** What happens to a position at the close: flattened before it, or carried overnight. */
  readonly closePolicy: 'flatten' | 'carry';
  /** Typical daily traded quantity: V of the square-root impact model. */
  readonly dailyVolume: Decimal | null;
  /** The implied-volatility index that prices the instrument's options (VIX for the S&P 500), if one is published. */
  readonly impliedVolatilityIndex: string | null;
}

export type InstrumentKind = 'perpetual' | 'equity' | 'index';
export type CalendarName = 'continuous' | 'us-equity';

export interface InstrumentSpec {
  symbol: string;
  tickSize: string;
  lotSize: string;
  minNotional: string;
  initialMarginRate?: string;
  maintenanceMarginRate?: string;
  tradable?: boolean;
  kind?: InstrumentKind;
  calendar?: CalendarName;
  luldTier?: 1 | 2;
  closePolicy?: 'flatten' | 'carry';
  dailyVolume?: string;
  impliedVolatilityIndex?: string;
}

export function defineInstrument(spec: InstrumentSpec): Instrument {
  return {
    symbol: spec.symbol,
    tickSize: new Decimal(spec.tickSize),
    lotSize: new Decimal(spec.lotSize),
    minNotional: new Decimal(spec.minNotional),
    initialMarginRate: new Decimal(spec.initialMarginRate ?? '0.1'),
    maintenanceMarginRate: new Decimal(spec.maintenanceMarginRate ?? '0.005'),
    tradable: spec.tradable ?? spec.kind !== 'index',
    kind: spec.kind ?? 'perpetual',
    calendar: spec.calendar ?? (spec.kind === 'equity' || spec.kind === 'index' ? 'us-equity' : 'continuous'),
    luldTier: spec.luldTier ?? null,
    closePolicy: spec.closePolicy ?? 'carry',
    dailyVolume: spec.dailyVolume !== undefined ? new Decimal(spec.dailyVolume) : null,
    impliedVolatilityIndex: spec.impliedVolatilityIndex ?? null,
  };
}

/**
 * The instruments the reference system lists by default: perpetual futures, as the original venue
 * trades, around the clock; US equities on the NYSE calendar (margin 50 % initial, 25 % maintenance,
 * Reg T); and the S&P 500 index, marked for the market-wide circuit breakers and never traded.
 */
export const DEFAULT_INSTRUMENTS: readonly Instrument[] = [
  defineInstrument({ symbol: 'BTC-PERP', tickSize: '0.5', lotSize: '0.001', minNotional: '10', dailyVolume: '20000' }),
  defineInstrument({ symbol: 'ETH-PERP', tickSize: '0.05', lotSize: '0.01', minNotional: '10', dailyVolume: '300000' }),
  defineInstrument({ symbol: 'SOL-PERP', tickSize: '0.01', lotSize: '0.1', minNotional: '10', dailyVolume: '3000000' }),
  defineInstrument({ symbol: 'AAPL', kind: 'equity', tickSize: '0.01', lotSize: '1', minNotional: '1', initialMarginRate: '0.5', maintenanceMarginRate: '0.25', luldTier: 1, closePolicy: 'carry', dailyVolume: '50000000', impliedVolatilityIndex: 'VIX' }),
  defineInstrument({ symbol: 'MSFT', kind: 'equity', tickSize: '0.01', lotSize: '1', minNotional: '1', initialMarginRate: '0.5', maintenanceMarginRate: '0.25', luldTier: 1, closePolicy: 'carry', dailyVolume: '20000000', impliedVolatilityIndex: 'VIX' }),
  defineInstrument({ symbol: 'SPY', kind: 'equity', tickSize: '0.01', lotSize: '1', minNotional: '1', initialMarginRate: '0.5', maintenanceMarginRate: '0.25', luldTier: 1, closePolicy: 'flatten', dailyVolume: '70000000', impliedVolatilityIndex: 'VIX' }),
  defineInstrument({ symbol: 'SMLC', kind: 'equity', tickSize: '0.01', lotSize: '1', minNotional: '1', initialMarginRate: '0.5', maintenanceMarginRate: '0.25', luldTier: 2, closePolicy: 'flatten', dailyVolume: '400000' }),
  defineInstrument({ symbol: 'SPX', kind: 'index', tickSize: '0.01', lotSize: '1', minNotional: '0' }),
];

export class InstrumentRegistry {
  private readonly bySymbol = new Map<string, Instrument>();

  constructor(instruments: readonly Instrument[] = DEFAULT_INSTRUMENTS) {
    for (const instrument of instruments) this.bySymbol.set(instrument.symbol, instrument);
  }

  get(symbol: string): Instrument {
    const instrument = this.bySymbol.get(symbol);
    if (!instrument) throw new TradingError('UnknownInstrument', `unknown instrument ${symbol}`, { symbol });
    return instrument;
  }

  find(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  all(): Instrument[] {
    return [...this.bySymbol.values()];
  }
}

export function isOnTickGrid(instrument: Instrument, price: Decimal): boolean {
  return isMultipleOf(price, instrument.tickSize);
}

export function isOnLotGrid(instrument: Instrument, quantity: Decimal): boolean {
  return isMultipleOf(quantity, instrument.lotSize);
}
