import { Decimal, TradingError } from '../../../domain/shared';
import { DEFAULT_RECEIVE_WINDOW_MS } from '../../../domain/execution';
import {
  BrokerBalance,
  BrokerClockReading,
  BrokerFill,
  BrokerGateway,
  BrokerLeverage,
  BrokerOrderRequest,
  BrokerOrderView,
  BrokerPosition,
  BrokerReport,
  CancelAllResult,
  FillPage,
  OrderBookView,
  SubmitAccepted,
} from '../../../domain/execution';
import { BrokerQueryFailure, BrokerRejection, BrokerSimulatorCore } from './broker-core';

/**
 * unavailable: the broker cannot be reached; the request fails at once and never arrives.
 * no-answer: the request is lost on the way and no answer ever comes (a crash or a dead link).
 * answer-lost: the broker carries the request out, but its answer times out on the way back.
 * timeout: the request times out before it reaches the broker.
 * The last two look the same to the caller: a timeout after sending, outcome unknown.
 * held: the request is held on the way and never answered; releaseHeldRequests() delivers it late,
 * and the broker takes it only if its receive window has not passed since it was signed.
 */
export type ScriptedOutage = 'unavailable' | 'no-answer' | 'answer-lost' | 'timeout' | 'held';

export interface InProcessGatewayOptions {
  /** How long after its signing time the broker takes a request that was held on its way. */
  readonly receiveWindowMs?: number;
}


/**
 * The broker gateway port implemented by calling the simulator core in the same process. Reports
 * are delivered on a later turn of the event loop, as a socket would, so the trading system meets
 * the same interleavings (a fill overtaking an acknowledgement) it meets on the wire.
 */
export class InProcessBrokerGateway implements BrokerGateway {
  private readonly listeners = new Set<(report: BrokerReport) => void>();
  private readonly queue: BrokerReport[] = [];
  private flushScheduled = false;
  private readonly unsubscribeCore: () => void;
  private outages: ScriptedOutage[] = [];
  /** Outages for order requests only: the requests in between (a look-up by client order id) go through. */
  private orderOutages: ScriptedOutage[] = [];
  private readonly held: { clientOrderId?: string; signedAt?: Date; deliver: () => void }[] = [];
  private readonly receiveWindowMs: number;
  /** Faults on the report stream, applied to the next fill report. */
  private nextFillFault: { kind: 'drop' } | { kind: 'misprice'; price: Decimal } | null = null;
  /** How far ahead of the broker's clock the system's runs (as NetworkBrokerGateway.setClockSkew). */
  private clockSkewMs = 0;
  private closed = false;

  constructor(private readonly core: BrokerSimulatorCore, options: InProcessGatewayOptions = {}) {
    this.receiveWindowMs = options.receiveWindowMs ?? DEFAULT_RECEIVE_WINDOW_MS;
    this.unsubscribeCore = core.subscribe(report => {
      const { seq: _seq, ...plain } = report;
      let delivered = plain as BrokerReport;
      if (delivered.type === 'fill' && this.nextFillFault) {
        const fault = this.nextFillFault;
        this.nextFillFault = null;
        if (fault.kind === 'drop') return;
        delivered = { ...delivered, price: fault.price };
      }
      this.queue.push(delivered);
      this.scheduleFlush();
    });
  }

  get name(): string {
    return this.core.name;
  }

  /**
   * The system's clock runs this far ahead of the broker's (a host whose clock drifted), as on the
   * wire: a clock reading's sentAt and receivedAt carry it, a held request is timed by its skewed
   * signing time, and beyond the receive window every request is refused as the wire's signing check would.
   */
  setClockSkew(ms: number): void {
    if (!Number.isFinite(ms)) throw new Error(`setClockSkew: ${ms} is not a number of milliseconds`);
    this.clockSkewMs = ms;
  }

  /** The next request meets this outage. */
  failNextRequest(outage: ScriptedOutage): void {
    this.outages.push(outage);
  }

  /** The next order request (a submit, or a submit sent again) meets this outage; other requests do not. */
  failNextOrderRequest(outage: ScriptedOutage): void {
    this.orderOutages.push(outage);
  }

  /** Forget outages scripted for requests that were never made. */
  clearScriptedOutages(): void {
    this.outages = [];
    this.orderOutages = [];
  }

  /** Client order ids of the order requests still held on their way. */
  heldClientOrderIds(): string[] {
    return this.held.flatMap(h => (h.clientOrderId ? [h.clientOrderId] : []));
  }

  /**
   * The held requests arrive, late: each is carried out unless the broker's receive window has passed
   * since it was signed. Their answers go nowhere (whoever sent them stopped waiting).
   */
  releaseHeldRequests(): { delivered: number; refused: number } {
    const outcome = { delivered: 0, refused: 0 };
    for (const request of this.held.splice(0)) {
      const late = request.signedAt !== undefined && Math.abs(this.core.clock.now().getTime() - (request.signedAt.getTime() + this.clockSkewMs)) > this.receiveWindowMs;
      if (late) {
        outcome.refused += 1;
        continue;
      }
      outcome.delivered += 1;
      try {
        request.deliver();
      } catch (error) {
        if (!(error instanceof BrokerRejection) && !(error instanceof BrokerQueryFailure)) throw error;
      }
    }
    return outcome;
  }

  /** The broker books the next fill but its report never arrives. */
  dropNextFillReport(): void {
    this.nextFillFault = { kind: 'drop' };
  }

  /** The next fill report carries a price other than the one the broker booked. */
  misreportNextFillPrice(price: Decimal): void {
    this.nextFillFault = { kind: 'misprice', price };
  }

  /** A fill report the broker never booked arrives (a corrupt or foreign message). */
  deliverForgedFill(fill: BrokerFill): void {
    this.queue.push(fill);
    this.scheduleFlush();
  }

  /** Deliver the last fill a second time, as a venue that resends after a reconnect does. */
  redeliverLastFill(): void {
    const fills = this.core.fillHistory();
    const last = fills[fills.length - 1];
    if (!last) throw new Error(`broker ${this.name} has no fill to send again`);
    this.queue.push(last);
    this.scheduleFlush();
  }

  async submit(request: BrokerOrderRequest): Promise<SubmitAccepted> {
    return this.call(
      () => {
        const { order } = this.core.placeOrder(request);
        return { clientOrderId: order.clientOrderId, brokerOrderId: order.brokerOrderId };
      },
      { clientOrderId: request.clientOrderId, signedAt: request.signedAt },
      this.orderOutages.shift(),
    );
  }

  async cancel(clientOrderId: string): Promise<void> {
    await this.call(() => this.core.cancelOrder(clientOrderId));
  }

  async replace(clientOrderId: string, change: { quantity: Decimal; limitPrice?: Decimal }): Promise<void> {
    await this.call(() => this.core.replaceOrder(clientOrderId, change));
  }

  async getOrder(clientOrderId: string): Promise<BrokerOrderView | undefined> {
    return this.call(() => this.core.answerQuery('getOrder', () => this.core.getOrder(clientOrderId)));
  }

  async openOrders(): Promise<BrokerOrderView[]> {
    return this.call(() => this.core.answerQuery('openOrders', () => this.core.openOrders()));
  }

  async positions(): Promise<BrokerPosition[]> {
    return this.call(() => this.core.answerQuery('positions', () => this.core.positions()));
  }

  async balance(): Promise<BrokerBalance> {
    return this.call(() => this.core.answerQuery('balance', () => this.core.balance()));
  }

  async fills(sinceCursor: number, limit: number): Promise<FillPage> {
    return this.call(() => this.core.answerQuery('fills', () => this.core.servedFillPage(sinceCursor, limit)));
  }

  /** The broker's clock, with the system's (skewed) time on either side of the call, as NetworkBrokerGateway reads it. */
  async brokerTime(): Promise<BrokerClockReading> {
    const sentAt = this.systemNow();
    const brokerTime = await this.call(() => this.core.answerQuery('time', () => this.core.time()));
    return { brokerTime, sentAt, receivedAt: this.systemNow() };
  }

  async leverage(): Promise<BrokerLeverage[]> {
    return this.call(() => this.core.answerQuery('leverage', () => this.core.leverage()));
  }

  async orderBook(symbol: string): Promise<OrderBookView> {
    return this.call(() => ({ symbol, ...this.core.book(symbol) }));
  }

  async cancelAll(): Promise<CancelAllResult> {
    return this.call(() => ({ cancelled: this.core.cancelAll() }));
  }

  onReport(listener: (report: BrokerReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribeCore();
    this.listeners.clear();
    this.queue.length = 0;
  }

  private async call<T>(request: () => T, signing: { clientOrderId?: string; signedAt?: Date } = {}, orderOutage?: ScriptedOutage): Promise<T> {
    if (this.closed) throw new TradingError('BrokerUnavailable', `broker ${this.name}: gateway is closed`);
    if (Math.abs(this.clockSkewMs) > this.receiveWindowMs) {
      throw new TradingError('Unauthorized', `broker ${this.name} refused the request: TIMESTAMP_OUTSIDE_WINDOW: timestamp is ${-this.clockSkewMs} ms from the broker's clock; the window is ${this.receiveWindowMs} ms`, { broker: this.name, reasonCode: 'TIMESTAMP_OUTSIDE_WINDOW' });
    }
    const outage = orderOutage ?? this.outages.shift();
    if (outage === 'held') {
      this.held.push({ ...signing, deliver: request });
      return new Promise<T>(() => undefined);
    }
    if (outage === 'unavailable') throw new TradingError('BrokerUnavailable', `broker ${this.name} is unavailable`, { broker: this.name });
    if (outage === 'no-answer') return new Promise<T>(() => undefined);
    const timedOut = () => new TradingError('Timeout', `broker ${this.name}: no answer before the timeout`, { broker: this.name, requestSent: true });
    if (outage === 'timeout') throw timedOut();
    try {
      const answer = request();
      if (outage === 'answer-lost') throw timedOut();
      return answer;
    } catch (error) {
      if (error instanceof BrokerRejection) {
        throw new TradingError('BrokerRejected', `broker ${this.name} rejected the request: ${error.code}: ${error.message}`, { reasonCode: error.code }, { cause: error });
      }
      if (error instanceof BrokerQueryFailure) throw this.queryError(error);
      throw error;
    }
  }

  /** The error the wire gateway makes of the same refusal (503, or 429 with Retry-After 1). */
  private queryError(failure: BrokerQueryFailure): TradingError {
    const details = { broker: this.name, operation: failure.query };
    if (failure.kind === 'rate-limited') return new TradingError('RateLimited', `broker ${this.name}: RATE_LIMITED: ${failure.message}`, { ...details, reasonCode: 'RATE_LIMITED', retryAfterMs: 1000 }, { cause: failure });
    return new TradingError('BrokerUnavailable', `broker ${this.name}: SERVICE_UNAVAILABLE: ${failure.message}`, { ...details, reasonCode: 'SERVICE_UNAVAILABLE', requestSent: true }, { cause: failure });
  }

  private systemNow(): Date {
    return new Date(this.core.clock.now().getTime() + this.clockSkewMs);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const report of this.queue.splice(0)) for (const listener of this.listeners) listener(report);
    });
  }
}
