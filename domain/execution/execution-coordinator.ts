import { Decimal, Clock, TradingError, asTradingError, describeError, formatAmount } from '../shared';
import { CANCELLABLE_STATUSES as CANCELLABLE, Order, OrderRequest, cancelRoute } from '../model';
import { LiveRiskManager, RiskDecision } from '../risk';
import { StoredEvent, TradingLedger } from '../state';
import { Telemetry } from '../telemetry';
import { LiveExecutionEngine, Submission } from './live-execution-engine';
import { OrderInput, parseOrderInput } from './order-input';
import type { PositionReconciler } from '../reconciliation/position-reconciler';
import { BrokerErrorLog } from './broker-error-log';

export type PlaceResult =
  | { outcome: 'accepted'; order: Order; decision: RiskDecision }
  | { outcome: 'rejected'; stage: 'input'; error: TradingError }
  | { outcome: 'rejected'; stage: 'risk'; order: Order; decision: RiskDecision; error: TradingError }
  | { outcome: 'rejected'; stage: 'broker'; order: Order; decision: RiskDecision; error: TradingError }
  | { outcome: 'failed'; order: Order; decision: RiskDecision; error: TradingError }
  | { outcome: 'in_flight'; order: Order; decision: RiskDecision; error: TradingError };

export type CancelResult = { outcome: 'cancelled'; order: Order } | { outcome: 'refused'; error: TradingError };

export type ModifyResult =
  | { outcome: 'modified'; order: Order; decision: RiskDecision }
  | { outcome: 'refused'; stage: 'input' | 'risk' | 'broker'; error: TradingError; decision?: RiskDecision };

/** The synchronous part of place, committed as one: a rejection by the risk check, or an approved submission to send. */
type Checked =
  | { outcome: 'rejected'; result: PlaceResult }
  | { outcome: 'approved'; decision: RiskDecision; submission: Submission };

export interface ModifyInput {
  readonly quantity?: string;
  readonly limitPrice?: string;
}

export interface ExecutionCoordinatorPorts {
  readonly ledger: TradingLedger;
  readonly risk: LiveRiskManager;
  readonly engine: LiveExecutionEngine;
  /** Compares the position with the broker's after each fill. */
  readonly reconciler: PositionReconciler;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
  readonly brokerErrors: BrokerErrorLog;
  /** What the client order ids it hands out start with ("CO" unless named): CO-000001, CO-000002, ... */
  readonly clientOrderIdPrefix?: string;
}

/** What a position check after fills says set it off: "fill T-1", or "fills T-1, T-2" for the fills of one symbol committed together. */
export function fillsTrigger(tradeIds: readonly string[]): string {
  return tradeIds.length === 1 ? `fill ${tradeIds[0]}` : `fills ${tradeIds.join(', ')}`;
}

/** The trade ids a position check's trigger names (none for a check set off by anything but fills). */
export function tradeIdsOfTrigger(trigger: string): string[] {
  const named = /^fills? (.+)$/.exec(trigger);
  return named ? named[1].split(', ') : [];
}

/**
 * The one entry point for trading: place, cancel, modify. Every order passes the live risk manager,
 * goes to the broker through the execution engine, and after each fill the position is reconciled
 * against the broker's.
 */
export class ExecutionCoordinator {
  private readonly ledger: TradingLedger;
  private readonly risk: LiveRiskManager;
  private readonly engine: LiveExecutionEngine;
  private readonly reconciler: PositionReconciler;
  private readonly telemetry: Telemetry;
  private readonly clock: Clock;
  private readonly brokerErrors: BrokerErrorLog;
  private readonly clientOrderIdPrefix: string;
  /** Symbols with fills committed whose position check has not started yet, with the fills' trade ids. */
  private readonly checksDue = new Map<string, string[]>();

  constructor(ports: ExecutionCoordinatorPorts) {
    this.clientOrderIdPrefix = ports.clientOrderIdPrefix ?? 'CO';
    this.ledger = ports.ledger;
    this.risk = ports.risk;
    this.engine = ports.engine;
    this.reconciler = ports.reconciler;
    this.telemetry = ports.telemetry;
    this.clock = ports.clock;
    this.brokerErrors = ports.brokerErrors;
    // Heard after the commit: the broker is asked about a position only once the fills that moved it are on disk.
    this.ledger.subscribe(event => this.afterFill(event));
  }

  async place(input: OrderInput): Promise<PlaceResult> {
    const placedAt = this.telemetry.startTimer();
    const state = this.ledger.state;
    const clientOrderId = input.clientOrderId ?? this.nextClientOrderId();
    let request;
    try {
      if (state.orders.has(clientOrderId)) {
        throw new TradingError('DuplicateClientOrderId', `client order id ${clientOrderId} is already in use`, { clientOrderId });
      }
      request = parseOrderInput(input, clientOrderId, state.instruments, symbol => state.marks.get(symbol));
    } catch (cause) {
      const error = cause instanceof TradingError ? cause : asTradingError(cause, 'execution coordinator');
      // The field the input was refused for, so the log says which one without parsing the reason.
      const field = typeof error.details.field === 'string' ? { field: error.details.field } : {};
      this.ledger.stage(() => this.ledger.record({ type: 'InputRejected', payload: { clientOrderId, errorKind: error.kind, reason: error.message, ...field, input: { ...input } } }));
      this.telemetry.increment('orders.rejected.input');
      await this.ledger.durable();
      return { outcome: 'rejected', stage: 'input', error };
    }
    // The request, the risk decision and the submission go in the transaction the commands of this turn share: on disk before the order is sent, or the rejection answered.
    const checked = this.ledger.stage(() => this.requestAndCheck(clientOrderId, request, placedAt));
    await this.ledger.durable();
    if (checked.outcome === 'rejected') return checked.result;
    const { decision, submission } = checked;
    const submitted = await this.engine.send(submission);
    if (submitted.outcome === 'acknowledged') return { outcome: 'accepted', order: submitted.order, decision };
    const error = asTradingError(submitted.error, 'execution coordinator');
    this.recordSubmitError(submitted.outcome, submitted.order, error);
    if (submitted.outcome === 'rejected') return { outcome: 'rejected', stage: 'broker', order: submitted.order, decision, error };
    if (submitted.outcome === 'in_flight') return { outcome: 'in_flight', order: submitted.order, decision, error };
    return { outcome: 'failed', order: submitted.order, decision, error };
  }

  /** The synchronous part of place: record the request, check it, and record the rejection or the submission. */
  private requestAndCheck(clientOrderId: string, request: OrderRequest, placedAt: number): Checked {
    const state = this.ledger.state;
    this.ledger.record({
      type: 'OrderRequested',
      payload: {
        clientOrderId,
        symbol: request.symbol,
        side: request.side,
        orderType: request.type,
        quantity: request.quantity.toString(),
        ...(request.limitPrice ? { limitPrice: request.limitPrice.toString() } : {}),
        reduceOnly: request.reduceOnly,
        timeInForce: request.timeInForce,
        extendedHours: request.extendedHours,
      },
    });
    this.rollTradingDay();
    const decision = this.risk.evaluate(request);
    if (decision.outcome === 'rejected') {
      this.ledger.record({
        type: 'OrderRejected',
        payload: {
          clientOrderId,
          stage: 'risk',
          reasonCode: decision.reasonCode,
          reason: `rejected by ${decision.failed.map(r => r.check).join(', ')}`,
          settingsVersion: decision.settingsVersion,
          checks: [...decision.rows],
          ...(decision.market ? { market: decision.market } : {}),
        },
      });
      this.telemetry.increment('orders.rejected.risk');
      const error = new TradingError('RiskRejected', `order ${clientOrderId} rejected by ${decision.failed.map(r => r.check).join(', ')}`, {
        reasonCode: decision.reasonCode,
      });
      return { outcome: 'rejected', result: { outcome: 'rejected', stage: 'risk', order: state.order(clientOrderId), decision, error } };
    }
    this.ledger.record({
      type: 'RiskCheckPassed',
      payload: { clientOrderId, settingsVersion: decision.settingsVersion, checks: [...decision.rows], ...(decision.market ? { market: decision.market } : {}) },
    });
    // No await between the risk check above and this record: the submission (and so the reservation) is recorded in the same step.
    return { outcome: 'approved', decision, submission: this.engine.recordSubmission(state.order(clientOrderId), placedAt) };
  }

  async cancel(clientOrderId: string, reason = 'requested by trader'): Promise<CancelResult> {
    const order = this.ledger.state.orders.get(clientOrderId);
    if (!order) return { outcome: 'refused', error: new TradingError('UnknownOrder', `no order with client order id ${clientOrderId}`, { clientOrderId }) };
    if (!CANCELLABLE.has(order.status)) {
      const error = new TradingError('IllegalTransition', `order ${clientOrderId} is ${order.status} and cannot be cancelled`, { clientOrderId, status: order.status });
      // The refusal is on the order's record, as the broker's refusals are: who asked to cancel what, and why nothing happened.
      this.ledger.record({ type: 'OrderCancelRefused', payload: { clientOrderId, errorKind: error.kind, reason: `${error.message} (${reason})` } });
      return { outcome: 'refused', error };
    }
    return this.cancelOutcome(clientOrderId, this.engine.cancel(order, reason));
  }

  /**
   * Record the cancel of each of these orders as requested without sending it, because one request
   * (the broker's kill switch) is about to close them all. Only orders the broker has acknowledged
   * and whose cancel is not already on its way are marked: the ids marked.
   */
  markCancelRequested(clientOrderIds: readonly string[], reason: string): string[] {
    const state = this.ledger.state;
    const marked = clientOrderIds.filter(id => {
      const order = state.orders.get(id);
      return order !== undefined && cancelRoute(order) === 'kill switch';
    });
    this.ledger.batch(() => {
      for (const clientOrderId of marked) this.ledger.record({ type: 'OrderCancelRequested', payload: { clientOrderId, reason } });
    });
    return marked;
  }

  /** The broker says it cancelled an order whose cancel is pending here: record it cancelled (false when the order is no longer pending a cancel). */
  confirmCancelled(clientOrderId: string, reason: string): boolean {
    if (this.ledger.state.orders.get(clientOrderId)?.status !== 'pending_cancel') return false;
    this.ledger.record({ type: 'OrderCancelled', payload: { clientOrderId, reason } });
    this.telemetry.increment('orders.cancelled');
    return true;
  }

  /**
   * Cancel one by one an order whose cancel is already recorded as requested (pending_cancel), as
   * the breakers do for an order the broker's kill switch was asked to close and did not.
   */
  async cancelPending(clientOrderId: string, reason: string): Promise<CancelResult> {
    const order = this.ledger.state.orders.get(clientOrderId);
    if (!order) return { outcome: 'refused', error: new TradingError('UnknownOrder', `no order with client order id ${clientOrderId}`, { clientOrderId }) };
    if (order.status !== 'pending_cancel') {
      return {
        outcome: 'refused',
        error: new TradingError('IllegalTransition', `order ${clientOrderId} is ${order.status}: no cancel of it is pending`, { clientOrderId, status: order.status }),
      };
    }
    return this.cancelOutcome(clientOrderId, this.engine.sendCancel(clientOrderId, reason));
  }

  private async cancelOutcome(clientOrderId: string, cancelled: Promise<Order>): Promise<CancelResult> {
    try {
      return { outcome: 'cancelled', order: await cancelled };
    } catch (cause) {
      const error = asTradingError(cause, 'execution coordinator');
      this.brokerErrors.record(error, {
        broker: this.engine.brokerName,
        operation: 'cancel',
        clientOrderId,
        saw: {
          'execution engine': `cancel not confirmed: the order stays ${this.ledger.state.order(clientOrderId).status}`,
          'execution coordinator': 'cancel returned refused',
          'risk manager': 'keeps the order\'s exposure reserved while it works',
        },
      });
      return { outcome: 'refused', error };
    }
  }

  async modify(clientOrderId: string, change: ModifyInput): Promise<ModifyResult> {
    const state = this.ledger.state;
    const order = state.orders.get(clientOrderId);
    if (!order) return { outcome: 'refused', stage: 'input', error: new TradingError('UnknownOrder', `no order with client order id ${clientOrderId}`, { clientOrderId }) };
    if (order.status !== 'acknowledged' && order.status !== 'partially_filled') {
      return { outcome: 'refused', stage: 'input', error: new TradingError('IllegalTransition', `order ${clientOrderId} is ${order.status} and cannot be modified`, { clientOrderId }) };
    }
    let quantity: Decimal;
    let limitPrice: Decimal | undefined;
    try {
      const parsed = parseOrderInput(
        {
          symbol: order.symbol,
          side: order.side,
          type: order.type,
          quantity: change.quantity ?? order.quantity.toString(),
          limitPrice: change.limitPrice ?? order.limitPrice?.toString(),
        },
        clientOrderId,
        state.instruments,
        symbol => state.marks.get(symbol),
      );
      quantity = parsed.quantity;
      limitPrice = parsed.limitPrice;
      if (quantity.lte(order.filledQuantity)) {
        throw new TradingError('InvalidInput', `new quantity ${quantity} must exceed the ${order.filledQuantity} already filled`, { field: 'quantity' });
      }
    } catch (cause) {
      const error = cause instanceof TradingError ? cause : asTradingError(cause, 'execution coordinator');
      this.ledger.record({ type: 'OrderReplaceRefused', payload: { clientOrderId, stage: 'input', errorKind: error.kind, reason: error.message } });
      return { outcome: 'refused', stage: 'input', error };
    }
    // The modification is checked as if the order were placed anew with its new remaining quantity.
    this.rollTradingDay();
    const decision = this.risk.evaluate(
      {
        symbol: order.symbol,
        side: order.side,
        type: order.type,
        quantity: quantity.minus(order.filledQuantity),
        limitPrice,
        reduceOnly: order.reduceOnly,
        timeInForce: order.timeInForce,
        extendedHours: order.extendedHours,
      },
      { replacing: clientOrderId },
    );
    if (decision.outcome === 'rejected') {
      this.ledger.record({
        type: 'OrderReplaceRefused',
        payload: { clientOrderId, stage: 'risk', errorKind: 'RiskRejected', reason: `refused by ${decision.failed.map(r => r.check).join(', ')}`, checks: [...decision.rows] },
      });
      const error = new TradingError('RiskRejected', `modification of ${clientOrderId} refused by ${decision.failed.map(r => r.check).join(', ')}`, {
        reasonCode: decision.reasonCode,
      });
      return { outcome: 'refused', stage: 'risk', error, decision };
    }
    try {
      return { outcome: 'modified', order: await this.engine.replace(order, { quantity, limitPrice }, decision), decision };
    } catch (cause) {
      const error = asTradingError(cause, 'execution coordinator');
      this.brokerErrors.record(error, {
        broker: this.engine.brokerName,
        operation: 'replace',
        clientOrderId,
        saw: {
          'execution engine': 'replace not confirmed: the order works on its old terms',
          'execution coordinator': 'modify returned refused (stage broker)',
          'risk manager': 'reserves the old terms again',
        },
      });
      return { outcome: 'refused', stage: 'broker', error, decision };
    }
  }

  /** What each layer saw of a broker error on submit, down to what the risk manager did about it. */
  private recordSubmitError(outcome: 'rejected' | 'failed' | 'in_flight', order: Order, error: TradingError): void {
    const engineSaw: Record<typeof outcome, string> = {
      rejected: 'the broker proved it did not take the order: recorded as rejected',
      failed: 'the broker never had the order: recorded as failed',
      in_flight: 'outcome unknown and not settled by asking the broker: the order stays in flight',
    };
    const price = order.limitPrice ?? this.ledger.state.marks.get(order.symbol);
    const notional = price ? formatAmount(order.quantity.minus(order.filledQuantity).times(price), 2) : 'unknown';
    const riskSaw =
      outcome === 'in_flight'
        ? `keeps ${notional} ${this.ledger.state.currency} reserved until the broker answers`
        : `released the ${notional} ${this.ledger.state.currency} the order had reserved; projected gross now ${formatAmount(this.risk.projectedExposure().gross, 2)}`;
    this.brokerErrors.record(error, {
      broker: this.engine.brokerName,
      operation: 'submit',
      clientOrderId: order.clientOrderId,
      saw: {
        'execution engine': engineSaw[outcome],
        'execution coordinator': `place returned ${outcome}${outcome === 'rejected' ? ' (stage broker)' : ''}`,
        'risk manager': riskSaw,
      },
    });
  }

  private afterFill(event: StoredEvent): void {
    // A fill read from the history mid-synchronisation would be compared with a broker already past it: the synchronisation reconciles at its end.
    if (event.type !== 'OrderFilled' || event.payload.fromHistory) return;
    const symbol = this.ledger.state.order(event.payload.clientOrderId).symbol;
    // The events of one commit are heard in one synchronous step: the checks start after it, one per symbol however many fills it held.
    if (this.checksDue.size === 0) queueMicrotask(() => this.checkPositions());
    const tradeIds = this.checksDue.get(symbol) ?? [];
    tradeIds.push(event.payload.tradeId);
    this.checksDue.set(symbol, tradeIds);
  }

  private checkPositions(): void {
    const due = [...this.checksDue];
    this.checksDue.clear();
    for (const [symbol, tradeIds] of due) {
      void this.reconciler.reconcile(symbol, fillsTrigger(tradeIds)).catch(error => {
        this.telemetry.increment(`reconciliation.errors.${describeError(error).kind}`);
      });
    }
  }

  /** The daily loss limit counts from the start of the trading day: a new day (UTC) starts from the equity of that moment. */
  rollTradingDay(): void {
    const today = this.clock.now().toISOString().slice(0, 10);
    const state = this.ledger.state;
    if (state.tradingDay === today) return;
    this.ledger.record({ type: 'TradingDayStarted', payload: { tradingDay: today, startEquity: state.account().equity.toString() } });
  }

  /** Deterministic ids that continue after a restart, because they count the orders in the log. */
  private nextClientOrderId(): string {
    let n = this.ledger.state.orders.size + 1;
    const prefix = this.clientOrderIdPrefix;
    const id = () => `${prefix}-${String(n).padStart(6, '0')}`;
    while (this.ledger.state.orders.has(id())) n += 1;
    return id();
  }
}
