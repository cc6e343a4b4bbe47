import type { ScenarioContext } from './scenario-context';
import type { EventLog } from './event-log';
import type { Trader } from './trader';
import { LAST_FAULT, type EventOfType, logMark, theOrder } from './broker-events';
import { WAIT_MS } from './system-session';
import { LAST_ORDER } from './trader';

/**
 * The system and the broker agreeing again: the resynchronisations a fault sets off, the trades
 * applied against the broker's own fill history, position and balance reconciliations, and the
 * orders in flight the system sends again.
 */
export class BrokerReconciliation {
  constructor(
    private readonly context: ScenarioContext,
    private readonly eventLog: EventLog,
    private readonly trader: Trader,
  ) {}

  /** The synchronisation with the broker a trigger set off since the last fault. */
  resynchronisedAfter(trigger: string): Promise<EventOfType<'StateSynchronised'>> {
    return this.eventLog.waitForType('StateSynchronised', logMark(this.context, LAST_FAULT), e => e.payload.trigger === trigger, WAIT_MS.broker);
  }

  /** Once the order has settled, the trade ids of its fills at the broker and of the fills the system applied. */
  async tradesOfTheOrder(): Promise<{ atBroker: string[]; applied: string[] }> {
    const id = theOrder(this.context);
    await this.trader.settled(id);
    return {
      atBroker: this.context.broker.fillHistory().filter(f => f.clientOrderId === id).map(f => f.tradeId),
      applied: this.eventLog.forOrder(id).flatMap(e => (e.type === 'OrderFilled' ? [e.payload.tradeId] : [])),
    };
  }

  /** The skipped reconciliation of a symbol since the last fault, and the ones that were carried out since. */
  async skippedReconciliation(symbol: string): Promise<{ skipped: EventOfType<'ReconciliationSkipped'>; reconciledSince: number }> {
    const mark = logMark(this.context, LAST_FAULT);
    const skipped = await this.eventLog.waitForType('ReconciliationSkipped', mark, e => e.payload.symbol === symbol, WAIT_MS.broker);
    return { skipped, reconciledSince: this.eventLog.ofType('PositionReconciled', mark).filter(e => e.payload.symbol === symbol).length };
  }

  /** Once every fill's own reconciliation is on record, every position is reconciled again on schedule. */
  async reconcilePositionsAgain(): Promise<void> {
    await this.eventLog.reconciliationsSettled();
    for (const symbol of [...this.context.system.state.positions.keys()]) await this.context.system.reconcilePosition(symbol, 'scheduled');
  }

  /** The latest balance reconciliation on record, and the cash the system holds now. */
  latestBalanceCheck(): { check: EventOfType<'BalanceReconciled'>['payload'] | undefined; cashHere: string } {
    return { check: this.eventLog.latest('BalanceReconciled')?.payload, cashHere: this.context.system.state.account().cash.toString() };
  }

  /**
   * The orders sent again, and for the last order: how long after its first request each request
   * sent again was signed, and how many requests to place it reached the broker.
   */
  resubmissionsOfLastOrder(): { lastOrder: string; signedAfterFirstMs: number[]; resubmittedOrders: string[]; placeRequestsAtBroker: number } {
    const id = this.context.memory.recall('order', LAST_ORDER);
    const submitted = this.eventLog.ofType('OrderSubmitted').find(e => e.payload.clientOrderId === id);
    // A request with no signing time on record gives no figure (NaN), which no Gherkin figure equals.
    const first = submitted?.payload.signedAt ? Date.parse(submitted.payload.signedAt) : Number.NaN;
    const resubmitted = this.eventLog.ofType('OrderResubmitted');
    return {
      lastOrder: id,
      signedAfterFirstMs: resubmitted.filter(e => e.payload.clientOrderId === id).map(e => (e.payload.signedAt ? Date.parse(e.payload.signedAt) - first : Number.NaN)),
      resubmittedOrders: resubmitted.map(e => e.payload.clientOrderId),
      placeRequestsAtBroker: this.context.broker.requests.filter(r => r.action === 'place' && r.clientOrderId === id).length,
    };
  }
}
