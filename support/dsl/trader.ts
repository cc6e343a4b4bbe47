import type { CancelResult, Decimal, ModifyInput, ModifyResult, Order, OrderInput, OrderStatus, PlaceResult, SizingResult } from '../sut/system-under-test';
import { Market } from './market';
import type { ScenarioContext } from './scenario-context';
import { LATEST } from './scenario-memory';

/** The name "the last order" is remembered under. */
export const LAST_ORDER = 'the last order';

/**
 * The trader's channel: orders placed, cancelled and modified through the system's one entry
 * point. A verb that says it settles returns once the broker's reports of it have been applied.
 */
export class Trader {
  constructor(private readonly context: ScenarioContext) {}

  /** Place an order and remember it as the last order (and under a name, if the Gherkin gives one). */
  async place(order: OrderInput, name?: string): Promise<PlaceResult> {
    const { memory, system } = this.context;
    memory.remember('logMark', 'before the last order', system.events.mark());
    const result = await system.place(order);
    memory.remember('placement', LATEST, result);
    memory.remember('placement', `#${memory.all('placement').length}`, result);
    if (result.outcome !== 'rejected' || result.stage !== 'input') {
      memory.remember('order', LAST_ORDER, result.order.clientOrderId);
      if (name) memory.remember('order', name, result.order.clientOrderId);
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

  /** Every placement of the scenario, in order. */
  placements(): PlaceResult[] {
    return this.context.memory.all('placement').slice(1);
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
    const market = new Market(this.context);
    const pending: Promise<PlaceResult>[] = [];
    for (let i = 1; i <= orders.count; i += 1) {
      pending.push(this.place({ symbol: orders.symbol, side: orders.side, type: 'limit', quantity: orders.quantity.toString(), limitPrice: orders.price.toString() }));
      if (i === tick.after) market.mark(tick.symbol, tick.price);
    }
    const results = await Promise.all(pending);
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

  /** A basket of orders sent together, by the name it is remembered under (the latest basket unless named). */
  basket(name: string = LATEST): readonly PlaceResult[] {
    return this.context.memory.recall('basket', name);
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

  /** Place the last sized order at market and wait until it has settled. */
  placeSizedOrder(symbol: string, side: 'buy' | 'sell'): Promise<PlaceResult> {
    return this.placeAndSettle({ symbol, side, type: 'market', quantity: this.lastSizing().quantity.toString() });
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
}

/** The names orders are remembered under, as the Gherkin speaks of them. */
export const WORKING_ORDER = 'the working order';
export const ORDER_IN_FLIGHT = 'the order in flight';

/** The orders of a basket sent with a tick in the middle, either side of the breaker's trip. */
export const SENT_BEFORE_THE_TRIP = 'sent before the trip';
export const SENT_AFTER_THE_TRIP = 'sent after the trip';
