import type { CancelResult, ModifyInput, ModifyResult, Order, OrderInput, PlaceResult } from '../sut/system-under-test';
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
}
