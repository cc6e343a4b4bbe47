import { describeError } from '../shared';
import { StoredEvent, TradingLedger } from '../state';
import { Telemetry } from '../telemetry';
import type { BrokerGateway } from '../execution/broker-gateway';
import type { BrokerErrorLog } from '../execution/broker-error-log';

export interface BalanceReconcilerPorts {
  readonly ledger: TradingLedger;
  /** The broker orders go to (the router). */
  readonly broker: BrokerGateway;
  readonly telemetry: Telemetry;
  readonly brokerErrors: BrokerErrorLog;
}

/** Compares the log's cash with the broker's wallet balance and records the result. */
export class BalanceReconciler {
  constructor(private readonly ports: BalanceReconcilerPorts) {}

  /** A failed query is recorded and the check skipped: it is never read as a zero balance. */
  async reconcile(trigger: string): Promise<StoredEvent> {
    const { ledger, broker, telemetry, brokerErrors } = this.ports;
    const state = ledger.state;
    const local = state.account().cash;
    let balance;
    try {
      balance = await broker.balance();
    } catch (error) {
      brokerErrors.record(error, { broker: broker.name, operation: 'balance', saw: { 'balance reconciliation': `query failed; local cash ${local.toString()} ${state.currency} kept, check skipped` } });
      return ledger.record({ type: 'BalanceReconciled', payload: { trigger, status: 'skipped', currency: state.currency, localCash: local.toString(), reason: describeError(error).message } });
    }
    const status = balance.cash.eq(local) ? 'matched' : 'mismatched';
    telemetry.increment(`reconciliation.balance.${status}`);
    return ledger.record({ type: 'BalanceReconciled', payload: { trigger, status, currency: balance.currency, localCash: local.toString(), brokerCash: balance.cash.toString() } });
  }
}
