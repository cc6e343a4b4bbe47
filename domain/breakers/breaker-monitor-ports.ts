import { Clock } from '../shared';
import { StoredEvent, TradingLedger } from '../state';
import { Telemetry, Logger, SILENT_LOGGER } from '../telemetry';
import { BrokerGateway, ExecutionCoordinator, BrokerErrorLog } from '../execution';
import type { PositionReconciler } from '../reconciliation/position-reconciler';

export interface BreakerMonitorPorts {
  readonly ledger: TradingLedger;
  readonly coordinator: ExecutionCoordinator;
  readonly broker: () => BrokerGateway;
  readonly reconciler: PositionReconciler;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Where broker errors met by the breakers are recorded (with the path they took). */
  readonly brokerErrors: BrokerErrorLog;
  /** The system's one way to change settings (validated, counted, recorded with actor and reason). */
  readonly changeSettings: (changes: Readonly<Record<string, string>>, actor: string, reason: string) => StoredEvent;
}

/** The ports as the watch, the response and the recovery share them: one object, the logger always there. */
export type BreakerPorts = BreakerMonitorPorts & { readonly logger: Logger };

export function breakerPorts(ports: BreakerMonitorPorts): BreakerPorts {
  return { ...ports, logger: ports.logger ?? SILENT_LOGGER };
}

/** The actor of every settings change and cancel a breaker makes; the watch does not answer its own settings changes. */
export const BREAKER_ACTOR = 'circuit breaker';
