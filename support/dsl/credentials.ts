import { READ_ONLY_KEY, type Signing, TRADER_KEY } from '../broker-connection';
import type { ScenarioContext } from './scenario-context';
import type { Operator } from './operator';

/** A secret the broker does not hold for any key: signing with it must fail, and it must never be logged either. */
const WRONG_SECRET = 'not-the-broker-secret';
const UNKNOWN_KEY = 'stolen-key';

/** How long after signing the broker still takes a request, and how far behind its clock may be, as the system counts them. */
export interface ReceiveWindow {
  readonly windowMs: number;
  readonly toleranceMs: number;
}

/**
 * The trading system's credentials at the broker: the key and secret it signs its requests with,
 * the clock it signs by, and what becomes of the secret (it must appear nowhere on record).
 */
export class Credentials {
  constructor(
    private readonly context: ScenarioContext,
    private readonly operator: Operator,
  ) {}

  signWithWrongSecret(): Promise<void> {
    return this.signWith({ apiKey: TRADER_KEY, apiSecret: WRONG_SECRET, clockSkewMs: 0 });
  }

  signWithUnknownKey(): Promise<void> {
    return this.signWith({ apiKey: UNKNOWN_KEY, apiSecret: this.context.apiSecret, clockSkewMs: 0 });
  }

  signWithReadOnlyKey(): Promise<void> {
    return this.signWith({ apiKey: READ_ONLY_KEY, apiSecret: this.context.apiSecret, clockSkewMs: 0 });
  }

  /** The trader's own key and secret, signed by a clock that runs ahead of the broker's. */
  signWithClockAhead(ms: number): Promise<void> {
    return this.signWith({ apiKey: TRADER_KEY, apiSecret: this.context.apiSecret, clockSkewMs: ms });
  }

  /** The secrets of the scenario (the broker's and the wrong one) that appear in the system's log, the event log or the broker's request log. */
  secretsOnRecord(): string[] {
    const requests = this.context.transport === 'wire' ? this.context.connection.server.httpLog : [];
    const everything = [...this.context.logLines, JSON.stringify(this.context.system.events.all()), JSON.stringify(requests)].join('\n');
    return [this.context.apiSecret, WRONG_SECRET].filter(secret => everything.includes(secret)).map(secret => (secret === WRONG_SECRET ? 'the wrong secret' : 'the API secret'));
  }

  /** The secret the broker holds for the trader's key, and the seed the run printed. */
  brokerSecret(): { secret: string; seed: number } {
    return { secret: this.context.apiSecret, seed: this.context.seed };
  }

  /** Time passes on the scenario's clock; returns the receive window the system counts with. */
  timePasses(ms: number): ReceiveWindow {
    const settings = this.context.system.state.settings.snapshot();
    this.context.clock.advance(ms);
    return { windowMs: Number(settings.broker_receive_window_ms), toleranceMs: Number(settings.broker_clock_tolerance_ms) };
  }

  /** The system restarts on its log, configured to sign with these credentials by a clock this far ahead. */
  private async signWith(signing: Signing): Promise<void> {
    await this.operator.restartWith(() => this.context.signWith(signing));
  }
}
