import { Decimal, describeError, formatAmount } from '../shared';
import { cancelRoute, isTerminal } from '../model';
import { settingLabel, EventOf } from '../state';
import { BreakerDefinition, BreakerReading, BreakerResponse, readingPayload, responseFor, stricterState } from './breaker';
import { BreakerAction, BreakerActionOutcome } from './breaker-action';
import { BREAKER_ACTOR, BreakerPorts } from './breaker-monitor-ports';
import { BreakerMonitorMemory } from './breaker-monitor-memory';
import { BreakerWork } from './breaker-work';
import { limitsBeforeTrip } from './breaker-recovery';
import { liquidationSlices } from './liquidation';
import { KILL_SWITCH_CANCEL_REASON } from '../execution';

/** What a BreakerActionTaken may name beyond the action and its outcome. */
type BreakerActionExtras = Omit<EventOf<'BreakerActionTaken'>['payload'], 'breaker' | 'action' | 'outcome' | 'detail'>;

export interface BreakerResponderPorts extends BreakerPorts {
  readonly memory: BreakerMonitorMemory;
}

/** A liquidation never takes more slices than this; what is left is reported. */
export const MAX_LIQUIDATION_SLICES = 20;

/** How far one trip's response has come, kept up to date as it runs. */
interface ResponseProgress {
  step: string;
}

/**
 * Answers a critical level at once: the trading state changes before anything else happens, so no
 * order placed after the trip passes risk; then the alert goes out and the broker's kill switch is
 * pulled, one request that closes every working order the broker has acknowledged, each booked
 * cancelled from its answer. What it did not close (or everything, when it fails) is cancelled one by
 * one; orders still waiting for the broker's acknowledgement are cancelled as soon as it comes; then
 * breaching positions are liquidated with reduce-only orders no larger than the book can take. Every
 * step is recorded as a BreakerActionTaken.
 */
export class BreakerResponder {
  /** The trips' responses, one after the other in the order the breakers tripped. */
  private response: Promise<void> = Promise.resolve();
  /** The trips' responses, cancels sent and deferred cancels under way, not yet finished, each with what it is. */
  private readonly inFlight = new Map<Promise<unknown>, () => string>();


  constructor(private readonly ports: BreakerResponderPorts) {}

  /** Resolves once the responses of the trips so far have run. */
  settled(): Promise<void> {
    return this.response;
  }

  /** The responses and cancels under way, to wait for. */
  underway(): BreakerWork[] {
    return [...this.inFlight].map(([done, what]) => ({ what: what(), done }));
  }

  /**
   * Take over the episode the log tells of: its kill switch was pulled, and its deferred cancels
   * still wait for an acknowledgement. A process that stopped after the trip was committed and before
   * the kill switch's outcome was recorded may have left every order it marked open at the broker:
   * the kill switch is pulled again (cancel-all closes what is open, once or twice alike), with the
   * one-by-one cancels as its fallback, as the trip would have.
   */
  resume(): void {
    const board = this.ports.ledger.state.breakers;
    this.ports.memory.killSwitchPulled = board.episode !== null;
    const episode = board.episode;
    if (episode && !episode.killSwitchSettled && this.inFlight.size === 0) {
      const breaker = episode.breakers[0];
      const state = this.ports.ledger.state;
      const working = state.workingOrders();
      // Marked before the process stopped, or now: the kill switch's answer books them all.
      const already = working.filter(o => o.status === 'pending_cancel' && o.brokerOrderId !== undefined).map(o => o.clientOrderId);
      const toMark = working.filter(o => cancelRoute(o) === 'kill switch').map(o => o.clientOrderId);
      const marked = [...already, ...this.ports.coordinator.markCancelRequested(toMark, `${BREAKER_ACTOR} ${breaker}`)];
      this.response = this.track(
        this.response.then(() => this.pullKillSwitch(breaker, marked)).catch(error => this.responseFailed(breaker, error)),
        () => `the kill switch of the ${breaker} trip, pulled again after a restart`,
      );
    }
    // A deferred cancel is in the log: after a restart (or a stop) the order is still cancelled once the broker acknowledges it.
    this.ports.memory.deferredCancelsHandled.clear();
    // Acknowledged while no process watched: cancel it now.
    for (const clientOrderId of [...board.cancelOnAcknowledgement.keys()]) this.onOrderProgress(clientOrderId);
  }

  trip(definition: BreakerDefinition, reading: BreakerReading): void {
    const breaker = definition.name;
    const reason = `${BREAKER_ACTOR} ${breaker}`;
    // The record, the state change, the alert and the cancels asked for: one synchronous step, one commit. Nothing placed after it passes risk.
    const { killSwitch, oneByOne } = this.ports.ledger.batch(() => this.recordTrip(definition, reading, reason));
    // Sent once the trip is on disk: the kill switch first, one request for every order the broker has acknowledged.
    const pulled = killSwitch === null ? null : this.track(this.pullKillSwitch(breaker, killSwitch), () => `the kill switch of the ${breaker} trip (cancel all at broker ${this.ports.broker().name})`);
    const cancels = oneByOne.map(clientOrderId => this.cancelOrder(breaker, clientOrderId));
    const progress: ResponseProgress = { step: 'waiting for the response before it' };
    this.response = this.track(
      this.response.then(() => this.respond(definition, reading, pulled, cancels, progress)).catch(error => this.responseFailed(breaker, error)),
      () => `the response to the ${breaker} trip: ${progress.step}`,
    );
  }

  /**
   * The synchronous part of a trip. Working orders the broker has acknowledged are marked for the
   * kill switch when this trip pulls it (the first of its episode), else cancelled one by one; those
   * still on their way are cancelled once acknowledged.
   */
  private recordTrip(definition: BreakerDefinition, reading: BreakerReading, reason: string): { killSwitch: string[] | null; oneByOne: string[] } {
    const state = this.ports.ledger.state;
    const limitsBefore = limitsBeforeTrip(state);
    const response = responseFor(definition, reading);
    const payload = readingPayload(definition, reading, 'critical');
    this.ports.ledger.record({ type: 'BreakerTripped', payload: { ...payload, response, limitsBefore: { ...limitsBefore } } });
    this.ports.telemetry.increment('breakers.tripped');
    this.ports.telemetry.increment(`breakers.${definition.name}.tripped`);
    this.applyPolicy(definition.name, response, `${definition.name} at ${payload.observedText} against a limit of ${payload.limitText}`);
    this.alert(definition.name, 'critical', payload.observedText, payload.limitText);
    this.action(definition.name, 'alert raised', 'done', `critical: ${payload.observedText} against a limit of ${payload.limitText}`);
    const toCancel: string[] = [];
    for (const order of state.workingOrders()) {
      const route = cancelRoute(order);
      if (route === 'none') continue;
      if (route === 'on acknowledgement') {
        // Marked afresh by this trip: the board holds it again and its acknowledgement is waited for again.
        this.ports.memory.deferredCancelsHandled.delete(order.clientOrderId);
        this.action(definition.name, 'cancel on acknowledgement', 'done', `${order.clientOrderId} is on its way to the broker: cancel it as soon as the broker acknowledges it`, { clientOrderId: order.clientOrderId });
        continue;
      }
      toCancel.push(order.clientOrderId);
    }
    if (this.ports.memory.killSwitchPulled) return { killSwitch: null, oneByOne: toCancel };
    this.ports.memory.killSwitchPulled = true;
    return { killSwitch: this.ports.coordinator.markCancelRequested(toCancel, reason), oneByOne: [] };
  }

  /** The trading state a critical breaker asks for (never a looser one than in force), and the leverage cap of a trip. */
  applyPolicy(breaker: string, response: BreakerResponse, reason: string): void {
    const state = this.ports.ledger.state;
    const limits = state.settings.limits;
    const changes: Record<string, string> = {};
    const target = stricterState(limits.tradingState, response);
    if (target !== limits.tradingState) changes.trading_state = target;
    const cap = new Decimal(state.settings.snapshot().breaker_trip_max_leverage);
    if (limits.maxLeverage.gt(cap)) changes.max_leverage = cap.toString();
    if (Object.keys(changes).length === 0) {
      this.action(breaker, 'settings changed', 'skipped', `already in force: trading state ${limits.tradingState}, max leverage ${limits.maxLeverage}x`);
      return;
    }
    const before = state.settings.snapshot();
    this.ports.changeSettings(changes, `${BREAKER_ACTOR} ${breaker}`, reason);
    const shown = Object.entries(changes).map(([k, v]) => `${settingLabel(k)} ${before[k]} -> ${v}`).join('; ');
    this.action(breaker, 'settings changed', 'done', shown);
  }

  alert(breaker: string, level: 'warning' | 'critical', observed: string, limit: string): void {
    const at = this.ports.clock.now().toISOString();
    const subject = level === 'critical' ? 'tripped' : 'warns';
    this.ports.telemetry.alert({ breaker, level, observed, limit, at, message: `circuit breaker ${breaker} ${subject}: ${observed} against a limit of ${limit}` });
    this.ports.logger.log(level === 'critical' ? 'error' : 'warn', `circuit breaker ${subject}`, { breaker, observed, limit });
  }

  /** An order the board holds for cancelling on acknowledgement moved: once acknowledged, its cancel goes out, once. */
  onOrderProgress(clientOrderId: string): void {
    const state = this.ports.ledger.state;
    const breaker = state.breakers.cancelOnAcknowledgement.get(clientOrderId);
    if (breaker === undefined || this.ports.memory.deferredCancelsHandled.has(clientOrderId)) return;
    const order = state.orders.get(clientOrderId);
    if (!order || isTerminal(order)) {
      this.ports.memory.deferredCancelsHandled.add(clientOrderId);
      return;
    }
    if (order.status === 'submitted' || order.status === 'pending_cancel') return;
    this.ports.memory.deferredCancelsHandled.add(clientOrderId);
    void this.track(this.cancelAcknowledged(breaker, clientOrderId), () => `the cancel of ${clientOrderId} on its acknowledgement (${breaker})`);
  }

  private action(breaker: string, action: BreakerAction, outcome: BreakerActionOutcome, detail: string, extra: BreakerActionExtras = {}): void {
    this.ports.ledger.record({ type: 'BreakerActionTaken', payload: { breaker, action, outcome, detail, ...extra } });
  }

  private async respond(definition: BreakerDefinition, reading: BreakerReading, killSwitch: Promise<void> | null, cancels: Promise<unknown>[], progress: ResponseProgress): Promise<void> {
    if (killSwitch) {
      progress.step = `the kill switch (cancel all at broker ${this.ports.broker().name}), then the cancels of what it did not close`;
      await killSwitch;
    }
    progress.step = `waiting for the cancels it sent (${cancels.length})`;
    await Promise.allSettled(cancels);
    if (definition.liquidation === 'none') return;
    for (const breach of reading.breaching ?? []) await this.liquidate(definition.name, breach.symbol, breach.quantity, progress);
  }

  /**
   * One cancel-all for every order marked: each order the broker's answer names is booked cancelled,
   * all of them in one commit (its cancel report may have come first). The orders it did not close,
   * or all those still pending when it fails, are then cancelled one by one.
   */
  private async pullKillSwitch(breaker: string, marked: readonly string[]): Promise<void> {
    // The trip and the cancels it marked are on disk before the broker hears of them (a trip read before a commit waits for it).
    await this.ports.ledger.durable();
    const broker = this.ports.broker();
    let closed: ReadonlySet<string> = new Set();
    let failure: unknown = null;
    try {
      closed = new Set((await broker.cancelAll()).cancelled);
    } catch (error) {
      failure = error;
      this.ports.brokerErrors.record(error, { broker: broker.name, operation: 'cancel-all', saw: { 'circuit breaker': 'kill switch not confirmed' } });
    }
    const oneByOne = this.ports.ledger.batch(() => {
      const state = this.ports.ledger.state;
      const pending = marked.filter(id => !closed.has(id) && state.order(id).status === 'pending_cancel');
      if (failure === null) this.action(breaker, 'broker kill switch', 'done', `cancel all sent to broker ${broker.name}: ${closed.size} open orders cancelled there; ${pending.length} cancelled one by one`);
      else this.action(breaker, 'broker kill switch', 'failed', `cancel all not confirmed: ${describeError(failure).message}; ${pending.length} working orders cancelled one by one`, { code: 'KILL_SWITCH_FAILED' });
      for (const id of marked) {
        if (closed.has(id)) this.ports.coordinator.confirmCancelled(id, KILL_SWITCH_CANCEL_REASON);
        const order = state.order(id);
        if (order.status === 'cancelled') this.action(breaker, 'cancel order', 'done', `${id} cancelled at the broker: ${order.reason ?? KILL_SWITCH_CANCEL_REASON}`, { clientOrderId: id });
        else if (order.status !== 'pending_cancel') this.action(breaker, 'cancel order', 'skipped', `${id} is ${order.status}: the kill switch did not close it`, { clientOrderId: id });
      }
      return pending;
    });
    await Promise.allSettled(oneByOne.map(id => this.cancelOrder(breaker, id, 'pending')));
  }

  private responseFailed(breaker: string, error: unknown): void {
    this.ports.telemetry.increment(`breakers.${breaker}.response_failed`);
    this.ports.logger.log('error', 'circuit breaker response failed', { breaker, kind: describeError(error).kind, reason: describeError(error).message });
  }

  private track<T>(promise: Promise<T>, what: () => string): Promise<T> {
    this.inFlight.set(promise, what);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  /**
   * The cancel request is recorded in this synchronous step (or was already, for the kill switch: pending); its
   * outcome when the broker answers.
   */
  private cancelOrder(breaker: string, clientOrderId: string, request: 'new' | 'pending' = 'new'): Promise<unknown> {
    const reason = `${BREAKER_ACTOR} ${breaker}`;
    const cancel = request === 'new' ? this.ports.coordinator.cancel(clientOrderId, reason) : this.ports.coordinator.cancelPending(clientOrderId, reason);
    return this.track(
      cancel.then(result => {
        if (result.outcome === 'cancelled') this.action(breaker, 'cancel order', 'done', `${clientOrderId} cancelled`, { clientOrderId });
        else this.action(breaker, 'cancel order', 'failed', `${clientOrderId}: ${result.error.message}`, { code: 'CANCEL_FAILED', clientOrderId });
      }),
      () => `the cancel of ${clientOrderId} (${breaker})`,
    );
  }

  /** Acknowledged after the trip: the kill switch may have closed it at the broker already, so ask before cancelling. */
  private async cancelAcknowledged(breaker: string, clientOrderId: string): Promise<void> {
    let view;
    try {
      view = await this.ports.broker().getOrder(clientOrderId);
    } catch {
      view = undefined;
    }
    const order = this.ports.ledger.state.order(clientOrderId);
    if (isTerminal(order) || order.status === 'pending_cancel') return;
    if (view && view.status !== 'open' && view.status !== 'partially_filled') {
      this.action(breaker, 'cancel order', 'skipped', `${clientOrderId} acknowledged, already ${view.status} at the broker (kill switch)`, { clientOrderId });
      return;
    }
    await this.cancelOrder(breaker, clientOrderId);
  }

  /** Reduce a position with reduce-only market orders, each no larger than the best level of the book offers. */
  private async liquidate(breaker: string, symbol: string, quantity: Decimal, progress: ResponseProgress): Promise<void> {
    const state = this.ports.ledger.state;
    const lot = state.instruments.get(symbol).lotSize;
    let remaining = quantity;
    for (let slice = 1; slice <= MAX_LIQUIDATION_SLICES; slice += 1) {
      const position = state.position(symbol).netQuantity;
      remaining = Decimal.min(remaining, position.abs());
      if (remaining.lte(0)) return;
      const side = position.isPositive() ? 'sell' : 'buy';
      let book;
      progress.step = `liquidating ${symbol}, slice ${slice}: reading the order book`;
      try {
        book = await this.ports.broker().orderBook(symbol);
      } catch (error) {
        this.action(breaker, 'liquidate', 'failed', `${symbol}: order book not available: ${describeError(error).message}`, { code: 'LIQUIDATION_BOOK_EXHAUSTED' });
        return;
      }
      const best = (side === 'sell' ? book.bids : book.asks)[0];
      const { slices } = liquidationSlices(remaining, best ? [best] : [], lot);
      if (!best || slices.length === 0) {
        this.action(breaker, 'liquidate', 'failed', `${symbol}: the book takes no more; ${remaining} left to ${side}`, { code: 'LIQUIDATION_BOOK_EXHAUSTED' });
        return;
      }
      progress.step = `liquidating ${symbol}, slice ${slice}: placing ${side} ${slices[0]} reduce-only`;
      const result = await this.ports.coordinator.place({ symbol, side, type: 'market', quantity: slices[0].toString(), reduceOnly: true });
      if (result.outcome !== 'accepted') {
        // Only the risk check's refusal has a rejection code; past it the decision was an approval, and the error says what went wrong.
        const why: BreakerActionExtras =
          result.outcome === 'rejected' && result.stage === 'risk' && result.decision.outcome === 'rejected' ? { rejectionCode: result.decision.reasonCode } : { errorKind: result.error.kind };
        this.action(breaker, 'liquidate', 'failed', `${symbol}: slice ${slice}, ${side} ${slices[0]} reduce-only refused: ${why.rejectionCode ?? why.errorKind}`, {
          code: 'LIQUIDATION_REFUSED',
          ...why,
          ...(result.outcome !== 'rejected' || result.stage !== 'input' ? { clientOrderId: result.order.clientOrderId } : {}),
        });
        return;
      }
      const id = result.order.clientOrderId;
      progress.step = `liquidating ${symbol}, slice ${slice}: waiting for ${id} to close`;
      await this.closed(id);
      const filled = state.order(id).filledQuantity;
      this.action(
        breaker,
        'liquidate',
        'done',
        `${symbol}: slice ${slice}, ${side} ${slices[0]} reduce-only at market against the best ${side === 'sell' ? 'bid' : 'ask'} ${best.quantity} @ ${formatAmount(best.price)}: filled ${filled}`,
        { clientOrderId: id },
      );
      if (filled.isZero()) return;
      remaining = remaining.minus(filled);
    }
  }

  private closed(clientOrderId: string): Promise<void> {
    const state = this.ports.ledger.state;
    if (isTerminal(state.order(clientOrderId))) return Promise.resolve();
    return new Promise(resolve => {
      const unsubscribe = this.ports.ledger.subscribe(() => {
        if (isTerminal(state.order(clientOrderId))) {
          unsubscribe();
          resolve();
        }
      });
    });
  }
}
