import { Decimal, parsePositiveDecimal, TradingError } from '../shared';
import { Telemetry } from '../telemetry';
import { StoredEvent } from './events';
import { TradingLedger } from './ledger';

export interface InputDeskPorts {
  readonly ledger: TradingLedger;
  readonly telemetry: Telemetry;
}

/**
 * Where inputs from outside the trading loop are checked and recorded: money paid in, mark prices,
 * settings changes. Bad input gets a clear error and records nothing.
 */
export class InputDesk {
  constructor(private readonly ports: InputDeskPorts) {}

  fund(amount: string, currency: string): StoredEvent {
    const value = parsePositiveDecimal(amount, 'deposit');
    return this.ports.ledger.record({ type: 'AccountFunded', payload: { currency, amount: value.toString() } });
  }

  updateMark(symbol: string, price: string | Decimal): StoredEvent {
    this.ports.ledger.state.instruments.get(symbol);
    const value = parsePositiveDecimal(price, `mark price of ${symbol}`);
    return this.ports.ledger.record({ type: 'MarkPriceUpdated', payload: { symbol, price: value.toString() } });
  }

  /** A settings change is validated as a whole; a refused change leaves version and values as they were. */
  changeSettings(changes: Readonly<Record<string, string>>, actor: string, reason: string): StoredEvent {
    if (!actor.trim() || !reason.trim()) throw new TradingError('InvalidSettings', 'a settings change needs an actor and a reason');
    const settings = this.ports.ledger.state.settings;
    const canonical = settings.prepare(changes);
    this.ports.telemetry.increment('settings.changed');
    return this.ports.ledger.record({ type: 'SettingsChanged', payload: { version: settings.version + 1, changes: canonical, actor, reason } });
  }
}
