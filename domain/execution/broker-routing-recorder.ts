import { TradingLedger } from '../state';
import { BrokerHealthTracker, HealthChange } from './broker-health';

export interface BrokerRoutingRecorderPorts {
  readonly ledger: TradingLedger;
}

/** Where a restarted system's router takes up again: the broker it had switched to, and whether it was degraded. */
export interface RestoredRoute {
  readonly activeBroker: string | null;
  readonly degraded: boolean;
}

/**
 * What the broker router decides, on record: each change of a broker's health and each switch to
 * another broker. A restarted system reads them back from the log, so its router routes where the
 * old one did and an unhealthy broker's cool-down runs on from when it was marked.
 */
export class BrokerRoutingRecorder {
  constructor(private readonly ports: BrokerRoutingRecorderPorts) {}

  healthChanged(change: HealthChange): void {
    const { broker, healthy, reason, consecutiveFailures, errorRate } = change;
    this.ports.ledger.record({ type: 'BrokerHealthChanged', payload: { broker, healthy, reason, consecutiveFailures, errorRate: errorRate.toFixed(2) } });
  }

  switched(from: string, to: string, reason: string): void {
    this.ports.ledger.record({ type: 'BrokerSwitched', payload: { from, to, reason } });
  }

  /** Every broker the log has unhealthy is unhealthy in this tracker too, since the time it was marked. */
  restoreHealth(health: BrokerHealthTracker): BrokerHealthTracker {
    for (const [broker, since] of this.ports.ledger.state.routing.unhealthySince) health.restoreUnhealthy(broker, Date.parse(since));
    return health;
  }

  restoredRoute(): RestoredRoute {
    const routing = this.ports.ledger.state.routing;
    return { activeBroker: routing.activeBroker, degraded: routing.degraded !== null };
  }
}
