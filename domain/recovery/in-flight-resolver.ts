import { Clock } from '../shared';
import { Order, mayStillArrive, sameTerms } from '../model';
import { TradingLedger, DEFAULT_SETTINGS } from '../state';
import { BrokerGateway, BrokerOrderView, BrokerErrorLog, LiveExecutionEngine } from '../execution';

export interface InFlightResolution {
  readonly found: number;
  readonly resubmitted: number;
  readonly closed: number;
  readonly unresolved: number;
}

export interface InFlightResolverPorts {
  readonly ledger: TradingLedger;
  /** The broker orders go to (the router). */
  readonly broker: BrokerGateway;
  readonly engine: LiveExecutionEngine;
  readonly clock: Clock;
  readonly brokerErrors: BrokerErrorLog;
  /** Read the broker's fills and orders again, once an order in flight turned out to be there. */
  readonly synchronise: (trigger: string) => Promise<unknown>;
}

/**
 * Orders whose outcome at the broker is not known yet: sent but never answered, or left with a
 * cancel or a replace pending by a restart. Each is settled by what the broker shows, and one the
 * broker does not have is kept in flight, its exposure reserved, for as long as it can still arrive.
 */
export class InFlightResolver {
  constructor(private readonly ports: InFlightResolverPorts) {}

  /**
   * Orders sent but never answered: ask the broker for each by client order id. One it has is
   * acknowledged (its fills follow from the synchronisation). One it does not have is closed once it
   * can no longer arrive; until then it is sent again under the same id, which the broker cannot turn
   * into a second order (nor book after a cancel it acknowledged), signed anew and so in flight again
   * for a whole receive window.
   */
  async resolve(): Promise<InFlightResolution> {
    const { ledger, broker, engine, brokerErrors } = this.ports;
    const result = { found: 0, resubmitted: 0, closed: 0, unresolved: 0 };
    for (const order of ledger.state.workingOrders().filter(o => o.status === 'submitted')) {
      let view;
      try {
        view = await broker.getOrder(order.clientOrderId);
      } catch (error) {
        brokerErrors.record(error, { broker: broker.name, operation: 'get-order', clientOrderId: order.clientOrderId, saw: { 'trading system': 'in-flight order still unresolved; it stays reserved' } });
        result.unresolved += 1;
        continue;
      }
      if (ledger.state.order(order.clientOrderId).status !== 'submitted') continue;
      if (view) {
        ledger.record({ type: 'OrderAcknowledged', payload: { clientOrderId: order.clientOrderId, brokerOrderId: view.brokerOrderId } });
        result.found += 1;
      } else if (this.closeUnknownOrder(order, 'in-flight resolution')) {
        result.closed += 1;
      } else {
        const outcome = await engine.resubmit(order, 'in flight and not known at the broker');
        if (outcome.outcome === 'acknowledged') result.resubmitted += 1;
        else result.unresolved += 1;
      }
    }
    if (result.found > 0) await this.ports.synchronise('in-flight resolution');
    return result;
  }

  /**
   * An order the broker does not know. One it never acknowledged may still be on its way: it stays
   * in flight, its exposure reserved, until the broker's receive window has passed since its latest
   * request was signed; then it can no longer arrive and is closed. Returns whether it was closed.
   */
  closeUnknownOrder(order: Order, trigger: string): boolean {
    const settings = this.ports.ledger.state.settings.snapshot();
    const receiveWindowMs = Number(settings.broker_receive_window_ms ?? DEFAULT_SETTINGS.broker_receive_window_ms);
    const toleranceMs = Number(settings.broker_clock_tolerance_ms ?? DEFAULT_SETTINGS.broker_clock_tolerance_ms);
    if (mayStillArrive(order, this.ports.clock.now(), receiveWindowMs + toleranceMs)) return false;
    const reason =
      order.brokerOrderId === undefined
        ? `can no longer arrive: not known at the broker on ${trigger}, and its receive window of ${receiveWindowMs} ms (plus ${toleranceMs} ms for the broker's clock) has passed since the request was signed at ${order.signedAt ?? order.updatedAt}`
        : `not known at the broker on ${trigger}`;
    this.ports.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: order.clientOrderId, reason } });
    return true;
  }

  /** The broker still has the order open: whatever was pending before the crash did not happen, or did. */
  settleOpenOrder(clientOrderId: string, view: BrokerOrderView): void {
    const { ledger, engine } = this.ports;
    const order = ledger.state.order(clientOrderId);
    if (order.status === 'submitted') {
      ledger.record({ type: 'OrderAcknowledged', payload: { clientOrderId, brokerOrderId: view.brokerOrderId } });
    } else if (order.status === 'pending_cancel') {
      ledger.record({ type: 'OrderCancelRefused', payload: { clientOrderId, errorKind: 'UnknownOrder', reason: 'cancel not confirmed before the restart; the broker still has the order open' } });
    } else if (order.status === 'pending_replace') {
      if (order.pendingReplace && sameTerms(view, order.pendingReplace)) {
        engine.recordReplaced(clientOrderId, view.quantity, view.limitPrice);
      } else {
        ledger.record({ type: 'OrderReplaceRefused', payload: { clientOrderId, stage: 'broker', errorKind: 'UnknownOrder', reason: 'replace not applied at the broker before the restart' } });
      }
    }
  }
}
