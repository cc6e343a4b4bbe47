import { join } from 'node:path';
import { IWorldOptions, World } from '@cucumber/cucumber';
import { Decimal } from '../domain/shared/decimal';
import { Order } from '../domain/model/order';
import { RecoveryReport, TradingSystem } from '../domain/trading-system';
import { StoredEvent } from '../domain/state/events';
import { ModifyResult, PlaceResult, CancelResult } from '../domain/execution/execution-coordinator';
import { OrderInput } from '../domain/execution/order-input';
import { SizingResult } from '../domain/risk/position-sizer';
import { BrokerFaults } from './broker-connection';
import { referenceDriver } from './sut';
import { legacyTradingSystem } from './sut/reference-driver';
import { BrokerErrors, BrokerReconciliation, Credentials, EventLog, Market, Network, Operator, ORDER_IN_FLIGHT, RiskOfficer, Routes, ScenarioContext, Trader, UserChannel, Venue, WORKING_ORDER } from './dsl';
import { DEFAULT_BOOK_DEPTH as BOOK_DEPTH } from './dsl/market';

/** @deprecated use Market's constant. */
export const DEFAULT_BOOK_DEPTH = BOOK_DEPTH;
const DEFAULT_WAIT_MS = 2000;

/**
 * One scenario: its context (clock, seeded randomness, broker, the trading system's session, what it
 * remembers, the errors it must account for) and an actor per channel the Gherkin speaks of. Steps
 * parse, make one DSL call, and assert; they never reach into the system.
 */
export class TradingWorld extends World {
  readonly context = new ScenarioContext(referenceDriver);
  readonly trader = new Trader(this.context);
  readonly riskOfficer = new RiskOfficer(this.context);
  readonly operator = new Operator(this.context);
  readonly market = new Market(this.context);
  readonly venue = new Venue(this.context);
  readonly network = new Network(this.context, this.operator);
  readonly eventLog = new EventLog(this.context);
  readonly userChannel = new UserChannel(this.context, this.eventLog);
  readonly brokerErrors = new BrokerErrors(this.context, this.eventLog);
  readonly credentials = new Credentials(this.context, this.operator);
  readonly routes = new Routes(this.context, this.eventLog, this.trader, this.market);
  readonly brokerReconciliation = new BrokerReconciliation(this.context, this.eventLog, this.trader);

  constructor(options: IWorldOptions) {
    super(options);
  }

  // ---- legacy: what the steps not yet moved onto the DSL still use; each goes when its last user does ----

  get random() { return this.context.random; }
  get clock() { return this.context.clock; }
  get broker() { return this.context.broker; }
  get transport() { return this.context.transport; }
  get logLines() { return this.context.logLines; }
  get eventStorePath(): string { return join(this.context.dataDir, 'events.sqlite'); }
  get circuitBreakers() { return this.context.circuitBreakers; }
  set circuitBreakers(value: 'armed' | 'disarmed') { this.context.circuitBreakers = value; }

  readonly backgroundErrors: unknown[] = [];
  /** The latest placement, read from the scenario's memory, where the moved steps read it too. */
  get lastPlace(): PlaceResult | null {
    return this.context.memory.has('placement') ? this.trader.lastPlacement() : null;
  }
  lastCancel: CancelResult | null = null;
  lastModify: ModifyResult | null = null;
  lastError: Error | null = null;
  /** Kept in the scenario's memory as "the order in flight" and "the working order", the names the moved steps recall them by. */
  get focusOrderId(): string | null {
    return this.context.memory.has('order', ORDER_IN_FLIGHT) ? this.context.memory.recall('order', ORDER_IN_FLIGHT) : null;
  }
  set focusOrderId(id: string | null) {
    if (id !== null) this.context.memory.remember('order', ORDER_IN_FLIGHT, id);
  }
  get workingOrderId(): string | null {
    return this.context.memory.has('order', WORKING_ORDER) ? this.context.memory.recall('order', WORKING_ORDER) : null;
  }
  set workingOrderId(id: string | null) {
    if (id !== null) this.context.memory.remember('order', WORKING_ORDER, id);
  }
  readonly placeResults: PlaceResult[] = [];
  basket: PlaceResult[] = [];
  seqBeforeLastPlace = 0;
  sizing: SizingResult | null = null;
  snapshotBeforeCrash: Record<string, unknown> | null = null;
  recovery: RecoveryReport | null = null;
  seqMark = 0;

  get faults(): BrokerFaults { return this.context.connection.faults; }

  /** @deprecated the reference system itself, started on first use: steps move to the DSL. */
  get system(): TradingSystem {
    if (!this.context.session.isRunning) this.context.session.start();
    return legacyTradingSystem(this.context.system);
  }

  background(work: Promise<unknown>): void {
    work.catch(error => this.backgroundErrors.push(error));
  }

  get systemIsRunning(): boolean {
    return this.context.session.isRunning;
  }

  fund(amount: Decimal): void {
    void this.system;
    this.operator.fund(amount);
  }

  mark(symbol: string, price: Decimal): void {
    void this.system;
    this.market.mark(symbol, price);
  }

  settingKey(label: string): string {
    return this.riskOfficer.settingKey(label);
  }

  changeSettings(changes: Record<string, string>, actor = 'risk officer', reason = 'scenario set-up'): StoredEvent {
    return this.system.changeSettings(changes, actor, reason);
  }

  async place(input: OrderInput): Promise<PlaceResult> {
    this.seqBeforeLastPlace = this.system.ledger.store.length;
    const result = await this.trader.place(input);
    this.placeResults.push(result);
    return result;
  }

  /** Place and wait until the order has settled (filled, cancelled or resting at the broker). */
  async placeAndSettle(input: OrderInput): Promise<PlaceResult> {
    const result = await this.place(input);
    if (result.outcome === 'accepted') await this.settle(result.order.clientOrderId);
    return result;
  }

  lastOrder(): Order {
    const result = this.lastPlace;
    if (!result) throw new Error('no order was placed in this scenario');
    if (result.outcome === 'rejected' && result.stage === 'input') throw new Error(`the last order was refused as input: ${result.error.message}`);
    return this.system.state.order(result.order.clientOrderId);
  }

  workingOrder(): Order {
    if (!this.workingOrderId) throw new Error('no working order in this scenario');
    return this.system.state.order(this.workingOrderId);
  }

  /**
   * Wait until every report the broker has sent for an order has been applied: the broker's own
   * view of the order and ours agree on filled quantity and openness.
   */
  async settle(clientOrderId: string): Promise<void> {
    await this.waitUntil(`order ${clientOrderId} to settle`, () => {
      const view = this.broker.allOrders().find(o => o.clientOrderId === clientOrderId);
      const local = this.system.state.orders.get(clientOrderId);
      if (!view || !local) throw new Error(`order ${clientOrderId} is not known ${view ? 'here' : 'at the broker'}: nothing to settle`);
      const brokerOpen = view.status === 'open' || view.status === 'partially_filled';
      const localOpen = local.status === 'acknowledged' || local.status === 'partially_filled';
      return local.filledQuantity.eq(view.filledQuantity) && brokerOpen === localOpen;
    });
  }

  /** Wait for the first event (from a sequence number on) that matches, as it is appended. */
  waitForEvent(description: string, match: (event: StoredEvent) => boolean, fromSeq = 1, timeoutMs = DEFAULT_WAIT_MS): Promise<StoredEvent> {
    const store = this.system.ledger.store;
    const existing = store.read(fromSeq).find(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      const unsubscribe = this.system.ledger.subscribe(event => {
        if (event.seq >= fromSeq && match(event)) {
          clearTimeout(timer);
          unsubscribe();
          resolve(event);
        }
      });
    });
  }

  /** Re-check a condition after each appended event until it holds. */
  waitUntil(description: string, condition: () => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      const unsubscribe = this.system.ledger.subscribe(() => {
        if (condition()) {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        }
      });
    });
  }

  /** Wait for the reconciliation a fill triggers (for a fill read from the history: the end of its synchronisation), so assertions see its result. */
  async reconciliationsSettled(): Promise<void> {
    await this.waitUntil('every fill to be reconciled', () => {
      const events = this.system.ledger.store.read();
      const fills = events.filter(e => e.type === 'OrderFilled' && !e.payload.fromHistory).length;
      const reconciled = events.filter(e => (e.type === 'PositionReconciled' || e.type === 'ReconciliationSkipped') && e.payload.trigger.startsWith('fill')).length;
      const lastFromHistory = events.filter(e => e.type === 'OrderFilled' && e.payload.fromHistory).pop();
      const historySettled = !lastFromHistory || events.some(e => (e.type === 'StateSynchronised' || e.type === 'BrokerSyncFailed') && e.seq > lastFromHistory.seq);
      return reconciled >= fills && historySettled;
    });
  }

  eventsFor(clientOrderId: string): StoredEvent[] {
    return this.system.events.filter(e => 'clientOrderId' in e.payload && e.payload.clientOrderId === clientOrderId);
  }

  async crash(): Promise<void> {
    await this.operator.crash();
  }

  async restartAfterCrash(): Promise<TradingSystem> {
    await this.operator.restart();
    return this.system;
  }

  dispose(): Promise<void> {
    return this.context.dispose();
  }
}
