import { Clock, Decimal, ErrorKind, TradingError, asTradingError, describeError } from '../shared';
import { Order, isTerminal, remainingQuantity, sameTerms } from '../model';
import { DecisionRow, StoredEvent, TradingLedger } from '../state';
import { Telemetry, Logger, SILENT_LOGGER } from '../telemetry';
import { BrokerFill, BrokerGateway, BrokerOrderRequest, BrokerOrderView, BrokerReport } from './broker-gateway';
import { BrokerErrorLog } from './broker-error-log';

export type SubmitOutcome =
  | { outcome: 'acknowledged'; order: Order }
  | { outcome: 'rejected'; order: Order; error: TradingError }
  | { outcome: 'failed'; order: Order; error: TradingError }
  /** The outcome is unknown (the broker could not be asked, or does not have it yet): the order stays submitted. */
  | { outcome: 'in_flight'; order: Order; error: TradingError };

/** Errors that prove the broker did not accept the request. */
const PROVEN_NOT_ACCEPTED: ReadonlySet<ErrorKind> = new Set(['BrokerRejected', 'RateLimited', 'Unauthorized']);
/** Errors after which the broker may or may not have the order. */
const OUTCOME_UNKNOWN: ReadonlySet<ErrorKind> = new Set(['Timeout', 'ProtocolError']);
const REASON_CODES: Partial<Record<ErrorKind, string>> = { RateLimited: 'RATE_LIMIT_EXCEEDED', Unauthorized: 'UNAUTHORIZED' };

/** What the broker is sent for an order: the same terms under the same client order id, every time. */
function brokerRequest(order: Order, signedAt: Date): BrokerOrderRequest {
  return {
    signedAt,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    limitPrice: order.limitPrice,
    reduceOnly: order.reduceOnly,
  };
}

/** A submission recorded and not yet sent: what the broker is to be sent for it. */
export interface Submission {
  readonly request: BrokerOrderRequest;
}

export interface LiveExecutionEnginePorts {
  readonly ledger: TradingLedger;
  /** The broker orders go to: in the trading system, the router over the primary and its fallbacks. */
  readonly broker: BrokerGateway;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Where broker errors the engine settles by itself are recorded. */
  readonly brokerErrors: BrokerErrorLog;
}

/**
 * Talks to one broker through the gateway port: submits approved orders, cancels and replaces, and
 * turns the broker's reports (acks, fills, cancels, rejects) into events. Fills are checked before
 * they are recorded: a duplicate trade id or an overfill is refused and logged, never applied.
 */
export class LiveExecutionEngine {
  private readonly placedAt = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;

  private readonly ledger: TradingLedger;
  private readonly broker: BrokerGateway;
  private readonly telemetry: Telemetry;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly brokerErrors: BrokerErrorLog;

  constructor(ports: LiveExecutionEnginePorts) {
    this.ledger = ports.ledger;
    this.broker = ports.broker;
    this.telemetry = ports.telemetry;
    this.clock = ports.clock;
    this.logger = ports.logger ?? SILENT_LOGGER;
    this.brokerErrors = ports.brokerErrors;
    // Whoever closes an order (the engine, a synchronisation, a breaker), its placement time goes with it.
    this.ledger.subscribe(event => this.forgetIfFinished(event));
  }

  get brokerName(): string {
    return this.broker.name;
  }

  /** Orders whose placement time is still held for the ack and fill latencies. */
  timedOrderIds(): string[] {
    return [...this.placedAt.keys()];
  }

  start(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.broker.onReport(report => this.receive(report));
  }

  /** Reports that came in this turn of the event loop and are not yet applied. */
  private readonly arriving: BrokerReport[] = [];

  /**
   * Reports that arrive together (one socket read, one delivery of the simulator's queue) are
   * applied together, in the order they came, at the end of the turn they arrived in, and staged:
   * a kill switch's fifty cancels, and the acknowledgements and fills of a turn's orders, cost one
   * sync to disk with the commands of that turn, not one each.
   */
  private receive(report: BrokerReport): void {
    this.arriving.push(report);
    if (this.arriving.length === 1) queueMicrotask(() => this.applyArrived());
  }

  private applyArrived(): void {
    const reports = this.arriving.splice(0);
    const apply = () => {
      for (const report of reports) {
        if (this.held) this.held.push(report);
        else this.handleReport(report);
      }
    };
    // The log refused the reports (closed, or its commit failed and closed it): they are counted and logged, never thrown into the socket's turn.
    const refused = (error: unknown) => {
      const { kind, message } = describeError(error);
      this.telemetry.increment(`reports.refused.${kind}`);
      this.logger.log('error', 'broker reports not recorded', { kind, reason: message, reports: reports.length });
    };
    try {
      this.ledger.stage(apply);
      this.ledger.durable().catch(refused);
    } catch (error) {
      refused(error);
    }
  }

  /**
   * Hold the live reports while the broker's history is read and applied: fills move a position's
   * average in the order they are booked, so a live fill must not overtake an older one the history
   * holds. The returned release applies what was held, in the order it came, leaving out the trades
   * the history already applied. Holds nest; the last release lets the reports through.
   */
  holdReports(): () => void {
    this.holds += 1;
    this.held ??= [];
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      if (this.holds > 0) return;
      const held = this.held ?? [];
      this.held = null;
      for (const report of held) {
        if (report.type === 'fill' && this.ledger.state.tradeIds.has(report.tradeId)) continue;
        this.handleReport(report);
      }
    };
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private held: BrokerReport[] | null = null;
  private holds = 0;

  /**
   * Record the submission (the order's exposure reserved, in the same synchronous step as the risk
   * check that approved it) and nothing more, so a caller commits it in one transaction with that
   * decision and sends it once that is on disk. The time the request is signed with is in the
   * record: it says until when the request can still arrive at the broker.
   */
  recordSubmission(order: Order, placedAt: number): Submission {
    const signedAt = this.clock.now();
    this.ledger.record({ type: 'OrderSubmitted', payload: { clientOrderId: order.clientOrderId, broker: this.broker.name, signedAt: signedAt.toISOString() } });
    this.placedAt.set(order.clientOrderId, placedAt);
    this.telemetry.increment('orders.submitted');
    return { request: brokerRequest(order, signedAt) };
  }

  /** Send a recorded submission to the broker, once it is on disk, and record its outcome: on disk when this resolves. */
  async send(submission: Submission): Promise<SubmitOutcome> {
    const id = submission.request.clientOrderId;
    await this.ledger.durable();
    const submitStarted = this.telemetry.startTimer();
    try {
      const accepted = await this.broker.submit(submission.request);
      this.telemetry.recordSince('submit', submitStarted);
      // Staged: the acknowledgements of this turn's answers share one commit.
      this.ledger.stage(() => this.acknowledge(id, accepted.brokerOrderId));
    } catch (cause) {
      this.telemetry.recordSince('submit', submitStarted);
      return this.afterSubmitError(id, asTradingError(cause, 'execution engine'));
    }
    await this.ledger.durable();
    return { outcome: 'acknowledged', order: this.ledger.state.order(id) };
  }

  /**
   * What a failed submit means depends on what the error proves. A refusal (400, 401, 403, 429)
   * proves the broker did not take the order. An error after the request may have reached the
   * broker (a timeout, a garbled answer) proves nothing: the order is looked up by its client
   * order id, and one the broker does not have yet stays in flight, since its request may still be
   * on its way. A broker that could not be reached never saw it.
   */
  private async afterSubmitError(id: string, error: TradingError): Promise<SubmitOutcome> {
    const state = this.ledger.state;
    // A report already moved the order on: whatever the answer said, the broker has it.
    if (state.order(id).status !== 'submitted') {
      this.recordResolvedError(id, error, 'submit', `the broker's report already showed the order ${state.order(id).status}: kept, not sent again`);
      return { outcome: 'acknowledged', order: state.order(id) };
    }
    if (PROVEN_NOT_ACCEPTED.has(error.kind)) {
      const reasonCode = String(error.details.reasonCode ?? REASON_CODES[error.kind] ?? 'BROKER_REJECTED');
      this.ledger.record({ type: 'OrderRejected', payload: { clientOrderId: id, stage: 'broker', reasonCode, reason: error.message } });
      this.telemetry.increment('orders.rejected.broker');
      return { outcome: 'rejected', order: state.order(id), error };
    }
    if (this.outcomeUnknown(error)) {
      let view: BrokerOrderView | undefined;
      try {
        view = await this.broker.getOrder(id);
      } catch (queryError) {
        // Still unknown: the order stays in flight, its exposure reserved, until a later query settles it.
        this.telemetry.increment('orders.in_flight_unresolved');
        return { outcome: 'in_flight', order: state.order(id), error: asTradingError(queryError, 'execution engine') };
      }
      if (state.order(id).status !== 'submitted') {
        // A report settled it while the look-up was on its way: the error it answered is still on the record.
        this.recordResolvedError(id, error, 'submit', `outcome unknown: while the broker was asked by client order id, its report showed the order ${state.order(id).status}: kept, not sent again`);
        return { outcome: 'acknowledged', order: state.order(id) };
      }
      if (view) {
        this.recordResolvedError(id, error, 'submit', 'outcome unknown: asked the broker by client order id, found it: acknowledged, not sent again');
        this.acknowledge(id, view.brokerOrderId);
        return { outcome: 'acknowledged', order: state.order(id) };
      }
      // Not there yet is not never: the order stays in flight, reserved, until it can no longer arrive.
      this.telemetry.increment('orders.in_flight_unresolved');
      return { outcome: 'in_flight', order: state.order(id), error };
    }
    this.ledger.record({ type: 'OrderFailed', payload: { clientOrderId: id, errorKind: error.kind, reason: error.message, causeChain: error.causeChain() } });
    this.telemetry.increment('orders.failed');
    return { outcome: 'failed', order: state.order(id), error };
  }

  /**
   * Send an order still in flight again, with the same client order id: the broker returns the
   * order it already has under that id instead of creating a second one. The new request is signed
   * anew, so the order can arrive until the receive window has passed since this signing.
   */
  async resubmit(order: Order, reason: string): Promise<SubmitOutcome> {
    const id = order.clientOrderId;
    const signedAt = this.clock.now();
    this.ledger.record({ type: 'OrderResubmitted', payload: { clientOrderId: id, broker: this.broker.name, reason, signedAt: signedAt.toISOString() } });
    this.telemetry.increment('orders.resubmitted');
    await this.ledger.durable();
    try {
      const accepted = await this.broker.submit(brokerRequest(order, signedAt));
      if (this.ledger.state.order(id).status === 'submitted') this.acknowledge(id, accepted.brokerOrderId);
      return { outcome: 'acknowledged', order: this.ledger.state.order(id) };
    } catch (cause) {
      return this.afterSubmitError(id, asTradingError(cause, 'execution engine'));
    }
  }

  private recordResolvedError(clientOrderId: string, error: TradingError, operation: string, saw: string): void {
    this.brokerErrors.record(error, { broker: this.broker.name, operation, clientOrderId, saw: { 'execution engine': saw } });
  }

  /** The request to cancel commits at once (with whatever this turn staged), not at the end of the turn: a cancel races the fills. */
  async cancel(order: Order, reason: string): Promise<Order> {
    this.ledger.record({ type: 'OrderCancelRequested', payload: { clientOrderId: order.clientOrderId, reason } });
    return this.sendCancel(order.clientOrderId, reason);
  }

  /**
   * Send the cancel of an order whose cancel is already recorded as requested (pending_cancel): the
   * order a kill switch was asked to close and did not. Its outcome is recorded as for cancel.
   */
  async sendCancel(id: string, reason: string): Promise<Order> {
    if (this.ledger.state.order(id).status !== 'pending_cancel') {
      throw new TradingError('IllegalTransition', `order ${id} is ${this.ledger.state.order(id).status}: no cancel of it is pending`, { clientOrderId: id });
    }
    // The request to cancel is on disk before the broker hears of it.
    await this.ledger.durable();
    try {
      await this.broker.cancel(id);
      const current = this.ledger.state.order(id);
      if (current.status === 'pending_cancel') this.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: id, reason } });
      this.telemetry.increment('orders.cancelled');
      return this.ledger.state.order(id);
    } catch (cause) {
      const error = asTradingError(cause, 'execution engine');
      // The answer was lost, not the cancel: the broker's view of the order says whether it happened.
      const view = this.outcomeUnknown(error) ? await this.lookUp(id) : undefined;
      if (this.ledger.state.order(id).status !== 'pending_cancel') return this.ledger.state.order(id);
      if (view?.status === 'cancelled') {
        this.recordResolvedError(id, error, 'cancel', 'outcome unknown: the broker shows the order cancelled');
        this.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: id, reason } });
        this.telemetry.increment('orders.cancelled');
        return this.ledger.state.order(id);
      }
      this.ledger.record({ type: 'OrderCancelRefused', payload: { clientOrderId: id, errorKind: error.kind, reason: error.message } });
      throw error;
    }
  }

  async replace(order: Order, change: { quantity: Decimal; limitPrice?: Decimal }, decision: { settingsVersion: number; rows: readonly DecisionRow[] }): Promise<Order> {
    const id = order.clientOrderId;
    // Committed at once, as a cancel's request is: a replace races the fills too.
    this.ledger.record({
      type: 'OrderReplaceRequested',
      payload: {
        clientOrderId: id,
        quantity: change.quantity.toString(),
        ...(change.limitPrice ? { limitPrice: change.limitPrice.toString() } : {}),
        settingsVersion: decision.settingsVersion,
        checks: [...decision.rows],
      },
    });
    await this.ledger.durable();
    try {
      await this.broker.replace(id, change);
      if (this.ledger.state.order(id).status === 'pending_replace') this.recordReplaced(id, change.quantity, change.limitPrice);
      this.telemetry.increment('orders.replaced');
      return this.ledger.state.order(id);
    } catch (cause) {
      const error = asTradingError(cause, 'execution engine');
      const view = this.outcomeUnknown(error) ? await this.lookUp(id) : undefined;
      if (this.ledger.state.order(id).status !== 'pending_replace') return this.ledger.state.order(id);
      if (view && sameTerms(view, change)) {
        this.recordResolvedError(id, error, 'replace', 'outcome unknown: the broker shows the new terms');
        this.recordReplaced(id, view.quantity, view.limitPrice);
        this.telemetry.increment('orders.replaced');
        return this.ledger.state.order(id);
      }
      this.ledger.record({ type: 'OrderReplaceRefused', payload: { clientOrderId: id, stage: 'broker', errorKind: error.kind, reason: error.message } });
      throw error;
    }
  }

  private outcomeUnknown(error: TradingError): boolean {
    return OUTCOME_UNKNOWN.has(error.kind) || error.details.requestSent === true;
  }

  /** The broker's view of one order, or undefined when it cannot be had either. */
  private async lookUp(clientOrderId: string): Promise<BrokerOrderView | undefined> {
    try {
      return await this.broker.getOrder(clientOrderId);
    } catch {
      this.telemetry.increment('orders.lookup_failed');
      return undefined;
    }
  }

  /** Apply a fill the broker reports, or a synchronisation read from its history or inferred; the stored event, or null when refused. */
  applyFill(fill: BrokerFill, how: { inferred?: boolean; fromHistory?: boolean } = {}): StoredEvent | null {
    const state = this.ledger.state;
    const order = state.orders.get(fill.clientOrderId);
    const refuse = (errorKind: ErrorKind, reason: string) => {
      this.telemetry.increment(`fills.refused.${errorKind}`);
      this.ledger.record({ type: 'FillRejected', payload: { clientOrderId: fill.clientOrderId, tradeId: fill.tradeId, errorKind, reason } });
      return null;
    };
    if (!order) return refuse('UnknownOrder', `fill ${fill.tradeId} for unknown order ${fill.clientOrderId}`);
    if (order.status === 'rejected' || order.status === 'new' || order.status === 'pending_risk') {
      return refuse('IllegalTransition', `fill ${fill.tradeId} for order ${order.clientOrderId}, which is ${order.status} and never reached the broker`);
    }
    if (state.tradeIds.has(fill.tradeId)) return refuse('DuplicateFill', `trade ${fill.tradeId} was already applied`);
    if (fill.quantity.gt(remainingQuantity(order))) {
      return refuse('Overfill', `fill of ${fill.quantity} exceeds the ${remainingQuantity(order)} left on ${order.clientOrderId}`);
    }
    if (order.brokerOrderId === undefined && order.status === 'submitted') this.acknowledge(order.clientOrderId, fill.brokerOrderId);
    // Read before the fill is recorded: a fill that finishes the order lets go of its placement time.
    const placedAt = this.placedAt.get(fill.clientOrderId);
    const stored = this.ledger.record({
      type: 'OrderFilled',
      payload: {
        clientOrderId: fill.clientOrderId,
        tradeId: fill.tradeId,
        quantity: fill.quantity.toString(),
        price: fill.price.toString(),
        fee: fill.fee.toString(),
        liquidity: fill.liquidity,
        // The broker's time of the trade, against the event's own time of receipt (an inferred fill has none of its own).
        ...(how.inferred ? { inferred: true } : { brokerTime: fill.at }),
        ...(how.fromHistory ? { fromHistory: true } : {}),
      },
    });
    this.telemetry.increment('fills.applied');
    if (placedAt !== undefined) this.telemetry.recordSince('fill', placedAt);
    return stored;
  }

  private handleReport(report: BrokerReport): void {
    try {
      const order = this.ledger.state.orders.get(report.clientOrderId);
      switch (report.type) {
        case 'fill':
          this.applyFill(report);
          return;
        case 'acknowledged':
          if (order) this.acknowledge(order.clientOrderId, report.brokerOrderId);
          return;
        case 'cancelled':
          if (order && !isTerminal(order)) this.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: order.clientOrderId, reason: report.reason } });
          return;
        case 'expired':
          if (order && !isTerminal(order)) this.ledger.record({ type: 'OrderExpired', payload: { clientOrderId: order.clientOrderId, reason: report.reason } });
          return;
        case 'replaced': {
          const differs = order && !sameTerms(order, report);
          if (order && !isTerminal(order) && (order.status === 'pending_replace' || differs)) this.recordReplaced(order.clientOrderId, report.quantity, report.limitPrice);
          return;
        }
        case 'rejected':
          if (order?.status === 'submitted') {
            this.ledger.record({
              type: 'OrderRejected',
              payload: { clientOrderId: order.clientOrderId, stage: 'broker', reasonCode: report.reasonCode, reason: report.message },
            });
          }
          return;
      }
    } catch (error) {
      // A report the state refuses must not take the engine down; it is counted, logged, and the state stays as it was.
      const { kind, message } = describeError(error);
      this.telemetry.increment(`reports.refused.${kind}`);
      this.logger.log('error', 'broker report refused', { kind, reason: message, report: { type: report.type, clientOrderId: report.clientOrderId } });
    }
  }

  /** A finished order needs no placement time: a fill reported after it closed is applied, just not timed. */
  private forgetIfFinished(event: StoredEvent): void {
    const id = 'clientOrderId' in event.payload ? event.payload.clientOrderId : undefined;
    if (id === undefined || !this.placedAt.has(id)) return;
    const order = this.ledger.state.orders.get(id);
    if (!order || isTerminal(order)) this.placedAt.delete(id);
  }

  private acknowledge(clientOrderId: string, brokerOrderId: string): void {
    const order = this.ledger.state.order(clientOrderId);
    if (order.brokerOrderId !== undefined) return;
    const placedAt = this.placedAt.get(clientOrderId);
    this.ledger.record({ type: 'OrderAcknowledged', payload: { clientOrderId, brokerOrderId } });
    if (placedAt !== undefined) this.telemetry.recordSince('ack', placedAt);
    this.telemetry.increment('orders.acknowledged');
  }

  /** Record that the broker now works the order on these terms. */
  recordReplaced(clientOrderId: string, quantity: Decimal, limitPrice?: Decimal): void {
    this.ledger.record({
      type: 'OrderReplaced',
      payload: { clientOrderId, quantity: quantity.toString(), ...(limitPrice ? { limitPrice: limitPrice.toString() } : {}) },
    });
  }
}
