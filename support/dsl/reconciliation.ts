import type { ScenarioContext } from './scenario-context';
import type { Trader } from './trader';
import type { EventLog } from './event-log';
import { WORKING_ORDER, LAST_ORDER } from './trader';
import type { BrokerQuery } from '../simulators/broker';
import { Decimal } from '../sut';
import type { LogRebuildReport, ConsistencyCheck, DiscrepancyRecord, OpenItem, ReconciliationRunPayload, ResolutionRequest, StoredEvent } from '../sut';


const LAST_RUN = 'the last reconciliation run';

/**
 * Reconciliation as the scenarios drive it: incidents at the broker the system is not told of,
 * the runs and their rows, the manual queue and the risk officer's decisions, the consistency checks.
 */
export class Reconciliation {
  constructor(
    private readonly context: ScenarioContext,
    private readonly trader: Trader,
    private readonly eventLog: EventLog,
  ) {}

  private get books() {
    return this.context.broker;
  }

  // ---- incidents at the broker ----

  private orderId(name: string = WORKING_ORDER): string {
    return this.context.memory.recall('order', name);
  }

  fillSilently(quantity: Decimal, price: Decimal): void {
    this.books.fillSilently(this.orderId(), quantity, price);
  }

  fillUnrecorded(quantity: Decimal, price: Decimal): void {
    this.books.fillUnrecorded(this.orderId(), quantity, price);
  }

  cancelSilently(): void {
    this.books.cancelSilently(this.orderId());
  }

  loseOrder(): void {
    this.books.forgetOrder(this.orderId());
  }

  /** The trade ids of an order's fills as the system booked them, oldest first. */
  tradesOf(name: string = LAST_ORDER): string[] {
    const id = this.orderId(name);
    return this.context.system.events.all().flatMap(e => (e.type === 'OrderFilled' && e.payload.clientOrderId === id ? [e.payload.tradeId] : []));
  }

  bustFirstTrade(name: string = LAST_ORDER): string {
    const [tradeId] = this.tradesOf(name);
    if (!tradeId) throw new Error(`no trade of ${name} to bust`);
    this.books.bustTrade(tradeId);
    return tradeId;
  }

  correctFirstTrade(price: Decimal, name: string = LAST_ORDER): void {
    const [tradeId] = this.tradesOf(name);
    if (!tradeId) throw new Error(`no trade of ${name} to correct`);
    this.books.correctTradePrice(tradeId, price);
  }

  adjustWallet(amount: Decimal, reason: string): void {
    this.books.adjustBalance(amount, reason);
  }

  placeExternalOrder(clientOrderId: string, side: 'buy' | 'sell', quantity: Decimal, symbol: string, limitPrice: Decimal): void {
    this.books.placeOrder({ clientOrderId, symbol, side, type: 'limit', quantity, limitPrice, reduceOnly: false });
  }

  failNext(query: BrokerQuery, times: number): void {
    this.books.failNext(query, times);
  }

  // ---- runs ----

  async run(trigger = 'operator request'): Promise<ReconciliationRunPayload> {
    // What the scenario did before has landed: its fills reconciled, the system's own runs recorded.
    await this.eventLog.reconciliationsSettled();
    await this.context.system.reconciliationIdle();
    const run = await this.context.system.reconcile(trigger);
    this.context.memory.remember('reconciliation', LAST_RUN, run);
    return run;
  }

  lastRun(): ReconciliationRunPayload {
    return this.context.memory.recall('reconciliation', LAST_RUN);
  }

  /** Every run on record, the ones the system started by itself included, once those have finished. */
  async runsOnRecord(): Promise<ReconciliationRunPayload[]> {
    await this.context.system.reconciliationIdle();
    return this.context.system.events.all().flatMap(e => (e.type === 'ReconciliationCompleted' ? [e.payload] : []));
  }

  row(run: ReconciliationRunPayload, discrepancyClass: string): DiscrepancyRecord {
    const row = run.discrepancies.find(d => d.class === discrepancyClass);
    if (!row) throw new Error(`${run.runId} found no ${discrepancyClass}; it found: ${run.discrepancies.map(d => d.class).join(', ') || 'nothing'}`);
    return row;
  }

  // ---- the queue ----

  queue(): readonly OpenItem[] {
    return this.context.system.reconciliationQueue();
  }

  item(itemId: string): OpenItem {
    const item = this.queue().find(i => i.itemId === itemId);
    if (!item) throw new Error(`no open item ${itemId}; the queue holds ${this.queue().map(i => i.itemId).join(', ') || 'nothing'}`);
    return item;
  }

  /** A decision on an item; a refusal is remembered as the error it raised. */
  resolve(request: ResolutionRequest): StoredEvent | Error {
    try {
      return this.context.system.resolveReconciliationItem(request);
    } catch (error) {
      this.context.memory.remember('reconciliation refusal', 'last', error);
      return error as Error;
    }
  }

  lastRefusal(): Error & { kind?: string } {
    return this.context.memory.recall('reconciliation refusal', 'last') as Error & { kind?: string };
  }

  // ---- a corrupted log ----

  async rebuildLog(): Promise<LogRebuildReport> {
    const report = await this.context.session.rebuildLogFromBroker();
    this.rebuilt = report;
    return report;
  }

  lastRebuild(): LogRebuildReport {
    if (!this.rebuilt) throw new Error('the log was not rebuilt');
    return this.rebuilt;
  }

  private rebuilt: LogRebuildReport | null = null;

  // ---- consistency ----

  checkConsistency(): readonly ConsistencyCheck[] {
    const checks = this.context.system.checkConsistency('operator request');
    this.context.memory.remember('consistency', 'last', checks);
    return checks;
  }

  lastConsistency(): readonly ConsistencyCheck[] {
    return this.context.memory.recall('consistency', 'last');
  }

  get trading(): Trader {
    return this.trader;
  }
}
