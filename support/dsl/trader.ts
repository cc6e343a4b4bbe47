import { Decimal } from '../sut';
import type { BrokerBalance, BrokerOrderView, BrokerPosition, CancelResult, EventOf, ModifyInput, ModifyResult, Order, OrderInput, OrderStatus, PlaceResult, Position, SizingResult, StoredEvent, SystemUnderTest } from '../sut';
import type { Market } from './market';
import type { BrokerRequestRecord } from '../simulators/broker';
import type { ScenarioContext } from './scenario-context';
import { LATEST } from './scenario-memory';
import type { EventLog } from './event-log';

/** The name "the last order" is remembered under. */
export const LAST_ORDER = 'the last order';
/** The order a Given leaves working at the broker ("the trader has a working order to ..."). */
export const WORKING_ORDER = 'the working order';
/** An order sent whose fate is not known yet: sent without waiting, or placed and left in flight by an unknown outcome. */
export const IN_FLIGHT_ORDER = 'the order in flight';
/** Where the log stood when the last order was placed: what its placement recorded is read from there. */
const BEFORE_THE_LAST_ORDER = 'before the last order';
/** The name the scenario's placements are remembered under, in the order their answers came. */
const EVERY_PLACEMENT = 'every placement';

/** Everything a Then can check about one order: how its placement ended, the order now, its events, and the broker's side of it. */
export interface OrderReview {
  /** The placement that created it (undefined for an order sent without waiting whose answer has not come). */
  readonly placement: PlaceResult | undefined;
  /** The order as the system knows it now. */
  readonly order: Order;
  /** Its events in the log, oldest first. */
  readonly events: readonly StoredEvent[];
  /** The states its events record, in order ("new", "pending risk", "submitted", ...). */
  readonly states: readonly string[];
  /** The broker's orders under its client order id (one, or none if the broker never booked it). */
  readonly brokerOrders: readonly BrokerOrderView[];
  /** The requests the broker received for it, in order. */
  readonly brokerRequests: readonly BrokerRequestRecord[];
}

/** The risk manager's pre-trade decision on one order, beside the order as the system knows it now. */
export interface OrderRiskDecision extends NonNullable<ReturnType<SystemUnderTest['riskDecision']>> {
  readonly order: Order;
}

/** A position as the system holds it, beside the broker's and the reconciliations of the two on record. */
export interface PositionView {
  readonly here: Position;
  readonly atBroker: BrokerPosition | undefined;
  /** Its reconciliations with the broker, oldest first. */
  readonly reconciliations: readonly (StoredEvent & EventOf<'PositionReconciled'>)[];
}

/**
 * The trader's channel: orders placed, cancelled and modified through the system's one entry
 * point. A verb that says it settles returns once the broker's reports of it have been applied.
 */
export class Trader {
  constructor(
    private readonly context: ScenarioContext,
    private readonly log: EventLog,
    private readonly market: Market,
  ) {}

  /** Place an order and remember it as the last order (and under a name, if the Gherkin gives one). */
  async place(order: OrderInput, name?: string): Promise<PlaceResult> {
    const { memory, system } = this.context;
    memory.remember('logMark', BEFORE_THE_LAST_ORDER, system.events.mark());
    const result = await system.place(order);
    memory.remember('placement', LATEST, result);
    memory.remember('placements', EVERY_PLACEMENT, [...this.placements(), result]);
    if (result.outcome !== 'rejected' || result.stage !== 'input') {
      memory.remember('order', LAST_ORDER, result.order.clientOrderId);
      if (name) memory.remember('order', name, result.order.clientOrderId);
      if (result.outcome === 'in_flight') memory.remember('order', IN_FLIGHT_ORDER, result.order.clientOrderId);
    }
    return result;
  }

  /** Place and wait until the order has settled (filled, cancelled or resting at the broker). */
  async placeAndSettle(order: OrderInput, name?: string): Promise<PlaceResult> {
    const result = await this.place(order, name);
    if (result.outcome === 'accepted') await this.settled(result.order.clientOrderId);
    return result;
  }

  async cancel(clientOrderId: string): Promise<CancelResult> {
    return this.context.memory.remember('cancellation', LATEST, await this.context.system.cancel(clientOrderId));
  }

  async modify(clientOrderId: string, changes: ModifyInput): Promise<ModifyResult> {
    return this.context.memory.remember('modification', LATEST, await this.context.system.modify(clientOrderId, changes));
  }

  /** The latest placement's result. */
  lastPlacement(): PlaceResult {
    return this.context.memory.recall('placement');
  }

  /** Every placement of the scenario, in the order their answers came. */
  placements(): readonly PlaceResult[] {
    const { memory } = this.context;
    return memory.has('placements', EVERY_PLACEMENT) ? memory.recall('placements', EVERY_PLACEMENT) : [];
  }

  /** An order by the name the Gherkin gave it ("the last order", "the working order", ...), as the system knows it now. */
  order(name: string = LAST_ORDER): Order {
    const placement = name === LAST_ORDER && this.context.memory.has('placement') ? this.lastPlacement() : null;
    if (placement?.outcome === 'rejected' && placement.stage === 'input') throw new Error(`the last order was refused as input: ${placement.error.message}`);
    return this.context.system.state.order(this.context.memory.recall('order', name));
  }

  /**
   * Until every report the broker has sent for an order has been applied: the broker's own view of
   * the order and ours agree on filled quantity and openness.
   */
  settled(clientOrderId: string): Promise<void> {
    const { broker, session } = this.context;
    return session.until(`order ${clientOrderId} to settle`, () => {
      const view = broker.allOrders().find(o => o.clientOrderId === clientOrderId);
      const local = session.system.state.orders.get(clientOrderId);
      if (!view || !local) throw new Error(`order ${clientOrderId} is not known ${view ? 'here' : 'at the broker'}: nothing to settle`);
      const brokerOpen = view.status === 'open' || view.status === 'partially_filled';
      const localOpen = local.status === 'acknowledged' || local.status === 'partially_filled';
      return local.filledQuantity.eq(view.filledQuantity) && brokerOpen === localOpen;
    });
  }

  /**
   * An execution algorithm sends orders one after another without waiting for the broker's answers;
   * just after the n-th has gone out, the market ticks. Each order's submission is recorded in the
   * same synchronous step as its risk check, so "sent before the tick" is exact, not a matter of
   * timing. Returns once the broker's answers and the breakers' response have been applied; the
   * orders are remembered as the basket, and as those sent before and after the trip.
   */
  async sendBasketWithTick(
    orders: { readonly count: number; readonly side: 'buy' | 'sell'; readonly quantity: Decimal; readonly symbol: string; readonly price: Decimal },
    tick: { readonly after: number; readonly symbol: string; readonly price: Decimal },
  ): Promise<void> {
    const { memory, session } = this.context;
    const pending: Promise<PlaceResult>[] = [];
    let ticked: Promise<void> = Promise.resolve();
    for (let i = 1; i <= orders.count; i += 1) {
      pending.push(this.place({ symbol: orders.symbol, side: orders.side, type: 'limit', quantity: orders.quantity.toString(), limitPrice: orders.price.toString() }));
      // The mark reaches the system as it is called, before the next order goes out; what it returns is the breakers' answer.
      if (i === tick.after) ticked = this.market.mark(tick.symbol, tick.price);
    }
    const [results] = await Promise.all([Promise.all(pending), ticked]);
    memory.remember('basket', LATEST, results);
    memory.remember('basket', SENT_BEFORE_THE_TRIP, results.slice(0, tick.after));
    memory.remember('basket', SENT_AFTER_THE_TRIP, results.slice(tick.after));
    await session.system.breakers.idle();
    const waiting = new Set(['submitted', 'pending_cancel']);
    await session.until('no order of the basket to wait for the broker any more', () =>
      results.every(r => (r.outcome === 'rejected' && r.stage === 'input') || !waiting.has(session.system.state.order(r.order.clientOrderId).status)),
    );
    await session.system.breakers.idle();
    // Until the broker's reports (a cancel by the kill switch, say) have been applied here too.
    for (const r of results) if (r.outcome !== 'rejected') await this.settled(r.order.clientOrderId);
  }

  /** A basket of orders sent together, in the order sent, by the name it is remembered under (the latest basket unless named). */
  basket(name: string = LATEST): readonly PlaceResult[] {
    return this.context.memory.recall('basket', name);
  }

  // ---- orders a Given needs in place ----

  /** Place an order the scenario's set-up needs accepted, and wait until it has settled: fails saying why it was not accepted. */
  async placeAccepted(order: OrderInput, name?: string): Promise<Order> {
    const result = await this.placeAndSettle(order, name);
    if (result.outcome !== 'accepted') throw new Error(`the order ${JSON.stringify(order)} was not accepted: ${result.outcome}, ${result.error.message}`);
    return this.context.system.state.order(result.order.clientOrderId);
  }

  // ---- several orders at once ----

  /** Send every order at once (none waits for another's answer), then wait until each accepted one has settled and its fills are reconciled. */
  async sendBasket(orders: readonly OrderInput[]): Promise<readonly PlaceResult[]> {
    const results = this.context.memory.remember('basket', LATEST, await Promise.all(orders.map(order => this.place(order))));
    for (const result of results) if (result.outcome === 'accepted') await this.settled(result.order.clientOrderId);
    await this.log.reconciliationsSettled();
    return results;
  }

  /** The latest basket: each placement beside its order as the system knows it now (none for an order refused as input). */
  basketNow(): readonly { readonly placement: PlaceResult; readonly order: Order | undefined }[] {
    const { state } = this.context.system;
    return this.basket().map(placement => ({ placement, order: 'order' in placement ? state.order(placement.order.clientOrderId) : undefined }));
  }

  // ---- sending without waiting for the broker's answer ----

  /** Send an order and return once it is submitted, without waiting for the broker's answer: it is then "the order in flight". */
  async sendWithoutWaiting(order: OrderInput): Promise<Order> {
    const { memory } = this.context;
    const mark = this.log.mark();
    this.inBackground('the order sent without waiting', this.place(order));
    const submitted = await this.log.waitForType('OrderSubmitted', mark);
    memory.remember('order', IN_FLIGHT_ORDER, submitted.payload.clientOrderId);
    return this.context.system.state.order(submitted.payload.clientOrderId);
  }

  /** Ask to cancel a named order and return once the request is on record, without waiting for the broker's answer. */
  async askToCancel(name: string = WORKING_ORDER): Promise<void> {
    const id = this.idOf(name);
    const mark = this.log.mark();
    this.inBackground(`the cancel of ${name}`, this.cancel(id));
    await this.log.waitForType('OrderCancelRequested', mark, e => e.payload.clientOrderId === id);
  }

  /** Ask to modify a named order and return once the request is on record, without waiting for the broker's answer. */
  async askToModify(name: string, changes: ModifyInput): Promise<void> {
    const id = this.idOf(name);
    const mark = this.log.mark();
    this.inBackground(`the modification of ${name}`, this.modify(id, changes));
    await this.log.waitForType('OrderReplaceRequested', mark, e => e.payload.clientOrderId === id);
  }

  /**
   * Work the trader does not wait for: its failure is the scenario's to check, unless the process
   * it ran in has died since (a crash or the scenario's end stops what that process was doing).
   */
  private inBackground(by: string, work: Promise<unknown>): void {
    const { session } = this.context;
    const instance = session.system;
    this.context.errors.background(
      by,
      work.catch(error => {
        if (session.isRunning && session.system === instance) throw error;
      }),
    );
  }

  // ---- cancel and modify by name ----

  /** Cancel a named order and wait until the broker's reports of it are applied. */
  async cancelAndSettle(name: string = WORKING_ORDER): Promise<CancelResult> {
    const id = this.idOf(name);
    const result = await this.cancel(id);
    await this.settled(id);
    return result;
  }

  /** Cancel an order the broker does not have yet (still on its way): nothing to settle, the broker never booked it. */
  cancelBeforeItArrives(name: string = IN_FLIGHT_ORDER): Promise<CancelResult> {
    return this.cancel(this.idOf(name));
  }

  /** Modify a named order and wait until the broker's reports of it are applied. */
  async modifyAndSettle(name: string, changes: ModifyInput): Promise<ModifyResult> {
    const id = this.idOf(name);
    const result = await this.modify(id, changes);
    await this.settled(id);
    return result;
  }

  /** The latest cancel's result. */
  lastCancellation(): CancelResult {
    return this.context.memory.recall('cancellation');
  }

  /** The latest modification's result. */
  lastModification(): ModifyResult {
    return this.context.memory.recall('modification');
  }

  /** Size an order by the risk it takes to a stop; the sizing is remembered for the order placed from it. */
  sizeOrder(symbol: string, side: 'buy' | 'sell', riskShare: Decimal, stopPrice: Decimal): SizingResult {
    return this.context.memory.remember('sizing', LATEST, this.context.system.sizeOrder(symbol, side, riskShare, stopPrice));
  }

  lastSizing(): SizingResult {
    return this.context.memory.recall('sizing');
  }

  /** Place the last sized order at market and wait until it has settled: the risk manager's decision on it, and the order then. */
  async placeSizedOrder(symbol: string, side: 'buy' | 'sell'): Promise<OrderRiskDecision> {
    await this.placeAndSettle({ symbol, side, type: 'market', quantity: this.lastSizing().quantity.toString() });
    return this.riskDecision();
  }

  /** An order's status here and at the broker (undefined where the broker does not know it). */
  statusHereAndAtBroker(clientOrderId: string): { readonly here: OrderStatus; readonly atBroker: string | undefined } {
    const { system, broker } = this.context;
    return { here: system.state.order(clientOrderId).status, atBroker: broker.allOrders().find(o => o.clientOrderId === clientOrderId)?.status };
  }

  /** The orders the system still counts as working. */
  workingOrders(): readonly Order[] {
    return this.context.system.state.workingOrders();
  }

  // ---- what a Then reads ----

  /** A named order's client order id. */
  idOf(name: string = LAST_ORDER): string {
    return this.order(name).clientOrderId;
  }

  /** The risk manager's pre-trade decision on a named order, as the system recorded it, and the order now; fails when it made none. */
  riskDecision(name: string = LAST_ORDER): OrderRiskDecision {
    const order = this.order(name);
    const decision = this.context.system.riskDecision(order.clientOrderId);
    if (!decision) throw new Error(`no risk decision on record for ${name} (${order.clientOrderId}, ${order.status})`);
    return { ...decision, order };
  }

  /** Everything about a named order: its placement, the order now, its events, and the broker's side of it. */
  review(name: string = LAST_ORDER): OrderReview {
    const order = this.order(name);
    const id = order.clientOrderId;
    const { broker } = this.context;
    return {
      placement: this.placements().filter(p => 'order' in p && p.order.clientOrderId === id).pop(),
      order,
      events: this.log.forOrder(id),
      states: this.log.orderStates(id),
      brokerOrders: broker.allOrders().filter(o => o.clientOrderId === id),
      brokerRequests: broker.requests.filter(r => r.clientOrderId === id),
    };
  }

  /** The same, once every fill has been reconciled (so nothing more is on its way for it). */
  async reconciledReview(name: string = LAST_ORDER): Promise<OrderReview> {
    await this.log.reconciliationsSettled();
    return this.review(name);
  }

  /** Until a named order is filled (its reports may still be on their way); the order then. */
  async untilFilled(name: string = LAST_ORDER): Promise<Order> {
    const id = this.idOf(name);
    const { session } = this.context;
    await session.until(`order ${id} to be filled`, () => session.system.state.order(id).status === 'filled');
    return session.system.state.order(id);
  }

  /** The latest placement and what the log recorded from its start on, with how many orders the system knows. */
  lastPlacementTrace(): { readonly placement: PlaceResult; readonly recordedSince: readonly StoredEvent[]; readonly ordersKnown: number } {
    const { memory, system } = this.context;
    return { placement: this.lastPlacement(), recordedSince: this.log.since(memory.recall('logMark', BEFORE_THE_LAST_ORDER)), ordersKnown: system.state.orders.size };
  }

  /** What the risk manager holds reserved for working orders on one side of a symbol. */
  reserved(symbol: string, side: 'buy' | 'sell'): Decimal {
    return this.context.system
      .workingExposure()
      .filter(w => w.symbol === symbol && w.side === side)
      .reduce((total, w) => total.plus(w.quantity), new Decimal(0));
  }

  // ---- positions and the account ----

  /** A position here and at the broker, as they are now. */
  position(symbol: string): PositionView {
    return { here: this.context.system.state.position(symbol), atBroker: this.context.broker.positions().find(p => p.symbol === symbol), reconciliations: this.log.reconciliations(symbol) };
  }

  /** A position here and at the broker once every fill has been reconciled. */
  async reconciledPosition(symbol: string): Promise<PositionView> {
    await this.log.reconciliationsSettled();
    return this.position(symbol);
  }

  /** Every open position the system holds, each beside the broker's, once every fill has been reconciled. */
  async reconciledPositions(): Promise<readonly PositionView[]> {
    await this.log.reconciliationsSettled();
    return this.context.system.state.openPositions().map(p => this.position(p.symbol));
  }

  /** The account here (cash, and the fees paid on every position) beside the broker's balance. */
  account(): { readonly cash: Decimal; readonly feesPaid: readonly Decimal[]; readonly atBroker: BrokerBalance } {
    const { state } = this.context.system;
    return { cash: state.account().cash, feesPaid: [...state.positions.values()].map(p => p.fees), atBroker: this.context.broker.balance() };
  }

  /** The account once every fill has been reconciled. */
  async reconciledAccount(): Promise<ReturnType<Trader['account']>> {
    await this.log.reconciliationsSettled();
    return this.account();
  }

  /** The system's working orders and every order it sent, beside the broker's orders. */
  ordersHereAndAtBroker(): { readonly working: readonly Order[]; readonly all: readonly Order[]; readonly brokerOpen: readonly BrokerOrderView[]; readonly brokerAll: readonly BrokerOrderView[]; readonly brokerRequests: readonly BrokerRequestRecord[] } {
    const { system, broker } = this.context;
    return { working: system.state.workingOrders(), all: [...system.state.orders.values()], brokerOpen: broker.openOrders(), brokerAll: broker.allOrders(), brokerRequests: broker.requests };
  }
}

/** The orders of a basket sent with a tick in the middle, either side of the breaker's trip. */
export const SENT_BEFORE_THE_TRIP = 'sent before the trip';
export const SENT_AFTER_THE_TRIP = 'sent after the trip';
