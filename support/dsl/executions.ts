import { Decimal } from '../sut';
import type { CancelResult, EventOf, Order, StoredEvent } from '../sut';
import type { ScenarioContext } from './scenario-context';
import { LATEST } from './scenario-memory';
import type { EventLog } from './event-log';
import type { Trader } from './trader';
import { WORKING_ORDER } from './trader';
import { theOrder } from './broker-events';

/** Where the log stood when the broker sent a report a scenario scripted (a repeated or a forged fill). */
const BEFORE_THE_REPORT = "before the broker's report";

/**
 * What happens to the trader's orders at the venue: the other side trades against them, and the
 * broker's reports of those trades reach the system (or are lost, repeated, forged). "The order" is
 * the working order when the scenario has one, else the last order. A verb returns once what reached
 * the system has been applied and its fills reconciled.
 */
export class Executions {
  constructor(
    private readonly context: ScenarioContext,
    private readonly log: EventLog,
    private readonly trader: Trader,
  ) {}

  /** The market trades against the order, once or several times, at the broker; the reports are applied and reconciled. */
  async tradeAgainst(symbol: string, quantity: Decimal, times = 1): Promise<Order> {
    const id = this.theOrder(symbol).clientOrderId;
    for (let i = 0; i < times; i += 1) this.context.broker.tradeAgainst(id, quantity);
    await this.trader.settled(id);
    await this.log.reconciliationsSettled();
    return this.context.system.state.order(id);
  }

  /** While the system is down the market trades against the working order at the broker: the system learns of it when it recovers. */
  tradeWhileDown(symbol: string, quantity: Decimal): void {
    if (this.context.session.isRunning) throw new Error('the trading system is running: this trade is meant to happen while it is down');
    const id = this.context.memory.recall('order', WORKING_ORDER);
    const atBroker = this.context.broker.allOrders().find(o => o.clientOrderId === id);
    if (atBroker?.symbol !== symbol) throw new Error(`the broker's ${id} is ${atBroker ? `for ${atBroker.symbol}` : 'not there'}, not for ${symbol}`);
    this.context.broker.tradeAgainst(id, quantity);
  }

  /** The market trades against the working order, but the broker's report of the trade never reaches the system. */
  tradeUnreported(symbol: string, quantity: Decimal): void {
    const id = this.theOrder(symbol, WORKING_ORDER).clientOrderId;
    this.context.connection.faults.dropNextFillReport();
    this.context.broker.tradeAgainst(id, quantity);
  }

  /**
   * The market trades against the working order at the broker just as the trader cancels it: the
   * cancel is confirmed while the trade's report is still on its way. Returns the cancel and what
   * the system had filled when it was confirmed; then waits for the report and its reconciliation.
   */
  async tradeAsCancelled(symbol: string, quantity: Decimal): Promise<{ readonly cancellation: CancelResult; readonly filledWhenConfirmed: Decimal }> {
    const { broker, memory, system } = this.context;
    const id = this.theOrder(symbol, WORKING_ORDER).clientOrderId;
    broker.tradeAgainst(id, quantity);
    const cancellation = memory.remember('cancellation', LATEST, await system.cancel(id));
    const filledWhenConfirmed = system.state.order(id).filledQuantity;
    await this.trader.settled(id);
    await this.log.reconciliationsSettled();
    return { cancellation, filledWhenConfirmed };
  }

  /** The broker sends the last fill it reported once more. */
  redeliverLastFill(): void {
    this.context.memory.remember('logMark', BEFORE_THE_REPORT, this.log.mark());
    this.context.connection.faults.redeliverLastFill();
  }

  /** The broker reports a fill it never booked, at the order's limit price: for the working order, or for the last order when it was rejected. */
  reportForgedFill(symbol: string, quantity: Decimal, forOrder: 'working' | 'rejected' = 'working'): void {
    const order = forOrder === 'working' ? this.theOrder(symbol, WORKING_ORDER) : this.theOrder(symbol);
    if (forOrder === 'rejected' && order.status !== 'rejected') throw new Error(`the last order (${order.clientOrderId}) is ${order.status}, not rejected`);
    if (!order.limitPrice) throw new Error(`${order.clientOrderId} has no limit price to forge a fill at`);
    this.context.memory.remember('logMark', BEFORE_THE_REPORT, this.log.mark());
    this.context.connection.faults.deliverForgedFill({
      type: 'fill',
      clientOrderId: order.clientOrderId,
      brokerOrderId: order.brokerOrderId ?? 'unknown',
      tradeId: 'FORGED-1',
      symbol,
      side: order.side,
      quantity,
      price: order.limitPrice,
      fee: new Decimal(0),
      liquidity: 'maker',
      at: this.context.clock.now().toISOString(),
    });
  }

  /** Until the system refuses the fill the broker reported last (a repeated or forged one): the refusal, and how often the system counted a refusal of its kind. */
  async refusedReport(): Promise<{ readonly refusal: StoredEvent & EventOf<'FillRejected'>; readonly refusalsCounted: number }> {
    const refusal = await this.log.waitForType('FillRejected', this.context.memory.recall('logMark', BEFORE_THE_REPORT));
    return { refusal, refusalsCounted: this.context.system.counter(`fills.refused.${refusal.payload.errorKind}`) };
  }

  /** The order the Gherkin means, checked to be for the symbol it names. */
  private theOrder(symbol: string, name?: string): Order {
    const order = name === undefined ? this.context.system.state.order(theOrder(this.context)) : this.trader.order(name);
    name ??= 'the order';
    if (order.symbol !== symbol) throw new Error(`${name} (${order.clientOrderId}) is for ${order.symbol}, not ${symbol}`);
    return order;
  }
}
