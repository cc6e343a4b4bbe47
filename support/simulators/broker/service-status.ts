import { BrokerServiceStatus, RATE_LIMIT_HEADERS } from '../../../domain/execution';
import { Answer, errorAnswer, okAnswer } from './answer';

const DEFAULT_MAINTENANCE_RETRY_S = 60;

/** The broker's maintenance switch: what GET /status says, and the 503 everything else gets in maintenance. */
export class ServiceStatusSwitch {
  private serviceStatus: BrokerServiceStatus = 'normal';
  private retryAfterSeconds: number | undefined;

  constructor(private readonly brokerName: string) {}

  get inMaintenance(): boolean {
    return this.serviceStatus === 'maintenance';
  }

  set(status: BrokerServiceStatus, retryAfterSeconds?: number): void {
    this.serviceStatus = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  statusAnswer(): Answer {
    const announceRetry = this.serviceStatus !== 'normal' && this.retryAfterSeconds !== undefined;
    return okAnswer({ status: this.serviceStatus, ...(announceRetry ? { retryAfterSeconds: this.retryAfterSeconds } : {}) });
  }

  maintenanceAnswer(): Answer {
    const retryAfter = this.retryAfterSeconds ?? DEFAULT_MAINTENANCE_RETRY_S;
    return errorAnswer(503, 'MAINTENANCE', `broker ${this.brokerName} is in maintenance`, { [RATE_LIMIT_HEADERS.retryAfter]: String(retryAfter) });
  }
}
