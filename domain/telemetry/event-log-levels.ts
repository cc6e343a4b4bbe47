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
  // A malformed venue message or a hole in a book's numbering leaves the system reading less of the market than it thinks.
  MarketDataMessageRejected: 'warn',
  MarketDataGap: 'warn',
  MarketBookResynchronised: 'info',
  // Every US equity stops, or the index fell far enough to say so after 15:25: either way the desk must hear it.
  MarketWideBreakerTriggered: 'warn',
  MarketSessionChanged: 'info',
  ClosePreparationStarted: 'info',
  DayOrdersExpired: 'info',
  // Routine feed figures: wanted when tracing a regime or a breaker's base, noise otherwise.
  ImpliedVolatilityUpdated: 'debug',
  PriorCloseRecorded: 'debug',
};

/** Where how loud depends on what happened: a matched position, a restored feed or a reopening is routine. */
function levelOf(event: StoredEvent): LogLevel | undefined {
  switch (event.type) {
    case 'PositionReconciled':
      return event.payload.status === 'matched' ? undefined : 'error';
    case 'MarketDataConnectionChanged':
      return event.payload.state === 'connected' ? 'info' : 'warn';
    case 'MarketStatusChanged':
      return event.payload.status === 'open' ? 'info' : 'warn';
    default:
      return LEVELS[event.type];
  }
}

export function logRecordedEvent(logger: Logger, event: StoredEvent): void {
  const level = levelOf(event);
  if (!level) return;
  const { checks: _checks, ...fields } = event.payload as Record<string, unknown>;
  logger.log(level, event.type, { seq: event.seq, ...fields });
}
