import { IWorldOptions, World } from '@cucumber/cucumber';
import { Decimal } from '../domain/shared/decimal';
import { Order } from '../domain/model/order';
import { TradingSystem } from '../domain/trading-system';
import { StoredEvent } from '../domain/state/events';
import { ModifyResult, PlaceResult } from '../domain/execution/execution-coordinator';
import { OrderInput } from '../domain/execution/order-input';
import { BrokerGateway } from '../domain/execution/broker-gateway';
import { BrokerConnection } from './broker-connection';
import { referenceDriver } from './sut';
import { legacyTradingSystem } from './sut/reference-driver';
import { CircuitBreakers, EventLog, Executions, IN_FLIGHT_ORDER, LATEST, Market, Network, Operator, RiskOfficer, ScenarioContext, Trader, Venue, WORKING_ORDER } from './dsl';
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
  readonly network = new Network(this.context);
  readonly eventLog = new EventLog(this.context);
  readonly circuitBreakers = new CircuitBreakers(this.context, this.eventLog);
  readonly executions = new Executions(this.context);

  constructor(options: IWorldOptions) {
    super(options);
  }

  // ---- legacy: what the steps not yet moved onto the DSL still use; each goes when its last user does ----

  get seed() { return this.context.seed; }
  get random() { return this.context.random; }
  get apiSecret() { return this.context.apiSecret; }
  get clock() { return this.context.clock; }
  get broker() { return this.context.broker; }
  get logLines() { return this.context.logLines; }
  get fallbackConnections(): BrokerConnection[] { return this.context.fallbacks; }

  /** Nothing reads it any more (the trader remembers every placement). */
  readonly placeResults: PlaceResult[] = [];
  snapshotBeforeCrash: Record<string, unknown> | null = null;
  replayAnswer: { status: number; body: string } | null = null;
  seqMark = 0;
  httpLogMark = 0;

  connectBroker(): Promise<void> { return this.context.connectBroker(); }
  get connection(): BrokerConnection { return this.context.connection; }
  get gateway(): BrokerGateway { return this.connection.gateway; }
  addFallbackRoute(name: string): Promise<void> { return this.context.addFallbackRoute(name); }

  async restartWithGateway(setUp: (connection: BrokerConnection) => Promise<void>): Promise<void> {
    await this.operator.restartWithGateway(setUp);
  }

  // What the moved steps keep in the scenario's memory, read and written here by the steps not yet moved.
  get lastPlace(): PlaceResult | null { return this.context.memory.has('placement') ? this.trader.lastPlacement() : null; }
  get lastModify(): ModifyResult | null { return this.context.memory.has('modification') ? this.trader.lastModification() : null; }
  get basket(): readonly PlaceResult[] { return this.context.memory.has('basket') ? this.trader.lastBasket() : []; }
  set basket(placements: readonly PlaceResult[]) { this.context.memory.remember('basket', LATEST, placements); }
  get workingOrderId(): string | null { return this.context.memory.has('order', WORKING_ORDER) ? this.context.memory.recall('order', WORKING_ORDER) : null; }
  /** The order a step not yet moved set (another working order), else the order in flight. */
  get focusOrderId(): string | null {
    return this.legacyFocusOrderId ?? (this.context.memory.has('order', IN_FLIGHT_ORDER) ? this.context.memory.recall('order', IN_FLIGHT_ORDER) : null);
  }
  set focusOrderId(clientOrderId: string | null) { this.legacyFocusOrderId = clientOrderId; }
  private legacyFocusOrderId: string | null = null;

  /** @deprecated the reference system itself, started on first use (the breakers' arming step still reads it before the Background starts the system): steps move to the DSL. */
  get system(): TradingSystem {
    if (!this.context.session.isRunning) this.context.session.start();
    return legacyTradingSystem(this.context.system);
  }

  get systemIsRunning(): boolean {
    return this.context.session.isRunning;
  }

  mark(symbol: string, price: Decimal): void {
    this.market.mark(symbol, price);
  }

  changeSettings(changes: Record<string, string>, actor = 'risk officer', reason = 'scenario set-up'): StoredEvent {
    return this.system.changeSettings(changes, actor, reason);
  }

  place(input: OrderInput): Promise<PlaceResult> {
    return this.trader.place(input);
  }

  /** Place and wait until the order has settled (filled, cancelled or resting at the broker). */
  async placeAndSettle(input: OrderInput): Promise<PlaceResult> {
    const result = await this.place(input);
    if (result.outcome === 'accepted') await this.settle(result.order.clientOrderId);
    return result;
  }

  lastOrder(): Order {
    if (!this.lastPlace) throw new Error('no order was placed in this scenario');
    return this.trader.order();
  }

  workingOrder(): Order {
    return this.trader.order(WORKING_ORDER);
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

  dispose(): Promise<void> {
    return this.context.dispose();
  }
}
