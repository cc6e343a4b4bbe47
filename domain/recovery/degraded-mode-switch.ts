import { StoredEvent, TradingLedger, TradingState, isTradingState } from '../state';
import { stricterState } from '../breakers';

export interface DegradedModeSwitchPorts {
  readonly ledger: TradingLedger;
  /** The system's one way to change settings (validated, counted, recorded with actor and reason). */
  readonly changeSettings: (changes: Readonly<Record<string, string>>, actor: string, reason: string) => StoredEvent;
}

const ACTOR = 'broker health monitor';

/**
 * With no healthy broker the trading state falls to what the settings name; it comes back when a
 * broker does. Degraded mode only ever tightens the state, and on the way out it puts back only
 * what it set itself: a state someone else set meanwhile (a breaker, an operator) stays. What it
 * set is in the log, so a restarted system gives it back too.
 */
export class DegradedModeSwitch {
  constructor(private readonly ports: DegradedModeSwitchPorts) {}

  /** Every broker is unhealthy (true), or one is usable again (false). */
  set(degraded: boolean, reason: string): void {
    if (degraded) this.enter(reason);
    else this.leave(reason);
  }

  private enter(reason: string): void {
    const current = this.setting('trading_state', 'ACTIVE');
    const target = stricterState(current, this.setting('degraded_trading_state', 'REDUCE_ONLY'));
    const changed = target !== current ? { changed: { from: current, to: target } } : {};
    this.ports.ledger.record({ type: 'DegradedModeChanged', payload: { active: true, tradingState: target, reason, ...changed } });
    if (target !== current) this.ports.changeSettings({ trading_state: target }, ACTOR, `degraded mode: ${reason}`);
  }

  private leave(reason: string): void {
    const current = this.setting('trading_state', 'ACTIVE');
    const set = this.ports.ledger.state.routing.degraded?.changed;
    const restore = set && current === set.to ? set.from : current;
    const changed = restore !== current ? { changed: { from: current, to: restore } } : {};
    this.ports.ledger.record({ type: 'DegradedModeChanged', payload: { active: false, tradingState: restore, reason, ...changed } });
    if (restore !== current) this.ports.changeSettings({ trading_state: restore }, ACTOR, `degraded mode over: ${reason}`);
  }

  private setting(key: 'trading_state' | 'degraded_trading_state', fallback: TradingState): TradingState {
    const value = this.ports.ledger.state.settings.snapshot()[key];
    return isTradingState(value) ? value : fallback;
  }
}
