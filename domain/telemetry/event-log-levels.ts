import { StoredEvent } from '../state';
import { LogLevel, Logger } from './logger';

/** Which recorded events an operator needs to see in the logs, and how loudly. */
const LEVELS: Partial<Record<StoredEvent['type'], LogLevel>> = {
  InputRejected: 'warn',
  OrderRejected: 'info',
  OrderFailed: 'error',
  FillRejected: 'warn',
  OrderCancelRefused: 'warn',
  OrderReplaceRefused: 'info',
  SettingsChanged: 'info',
  TradingDayStarted: 'info',
  BreakerTripped: 'error',
  BreakerLevelChanged: 'warn',
  BreakerActionTaken: 'info',
  BreakerResetRefused: 'warn',
  BreakerReset: 'info',
  BreakerHealthChecked: 'info',
  BreakerLimitsRestored: 'info',
  BrokerSessionChanged: 'warn',
};

export function logRecordedEvent(logger: Logger, event: StoredEvent): void {
  const level = event.type === 'PositionReconciled' ? (event.payload.status === 'matched' ? undefined : 'error') : LEVELS[event.type];
  if (!level) return;
  const { checks: _checks, ...fields } = event.payload as Record<string, unknown>;
  logger.log(level, event.type, { seq: event.seq, ...fields });
}
