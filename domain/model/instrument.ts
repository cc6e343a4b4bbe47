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
}

export interface InstrumentSpec {
  symbol: string;
  tickSize: string;
  lotSize: string;
  minNotional: string;
  initialMarginRate?: string;
  maintenanceMarginRate?: string;
  tradable?: boolean;
}

export function defineInstrument(spec: InstrumentSpec): Instrument {
  return {
    symbol: spec.symbol,
    tickSize: new Decimal(spec.tickSize),
    lotSize: new Decimal(spec.lotSize),
    minNotional: new Decimal(spec.minNotional),
    initialMarginRate: new Decimal(spec.initialMarginRate ?? '0.1'),
    maintenanceMarginRate: new Decimal(spec.maintenanceMarginRate ?? '0.005'),
    tradable: spec.tradable ?? true,
  };
}

/** The instruments the reference system lists by default (perpetual futures, as the original venue trades). */
export const DEFAULT_INSTRUMENTS: readonly Instrument[] = [
  defineInstrument({ symbol: 'BTC-PERP', tickSize: '0.5', lotSize: '0.001', minNotional: '10' }),
  defineInstrument({ symbol: 'ETH-PERP', tickSize: '0.05', lotSize: '0.01', minNotional: '10' }),
  defineInstrument({ symbol: 'SOL-PERP', tickSize: '0.01', lotSize: '0.1', minNotional: '10' }),
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
