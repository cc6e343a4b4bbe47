import { DomainEvent } from './events';
import { TradingState } from './runtime-settings';

/** The trading state change degraded mode made, to be undone when it ends (absent: the state was already as strict). */
export interface DegradedMode {
  readonly changed?: { readonly from: TradingState; readonly to: TradingState };
}

export type RoutingEvent = Extract<DomainEvent, { type: 'BrokerHealthChanged' | 'BrokerSwitched' | 'DegradedModeChanged' }>;

/**
 * What the broker router decided, as the log tells it: which broker orders go to, which brokers
 * are unhealthy and since when (their cool-down runs from then), and whether the system is in
 * degraded mode. A restarted system routes, degrades and comes back from it as the old one would.
 */
export class BrokerRouting {
  /** The broker of the last switch; null until the first switch (the primary). */
  activeBroker: string | null = null;
  degraded: DegradedMode | null = null;
  readonly unhealthySince = new Map<string, string>();

  prepare(event: RoutingEvent): (at: string) => void {
    switch (event.type) {
      case 'BrokerHealthChanged':
        return (at: string) => {
          if (event.payload.healthy) this.unhealthySince.delete(event.payload.broker);
          else this.unhealthySince.set(event.payload.broker, at);
        };
      case 'BrokerSwitched':
        return () => {
          this.activeBroker = event.payload.to;
        };
      case 'DegradedModeChanged': {
        const { active, changed } = event.payload;
        return () => {
          this.degraded = active ? (changed ? { changed: { ...changed } } : {}) : null;
        };
      }
    }
  }
}
