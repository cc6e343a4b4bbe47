import { Decimal } from '../shared/decimal';
import { Clock } from '../shared/clock';
import { TradingError, describeError } from '../shared/errors';
import { formatAmount } from '../shared/format';
import { isTerminal } from '../model/order';
import { StoredEvent } from '../state/events';
import { TradingLedger } from '../state/ledger';
import { BreakerLevel, BreakerStatus } from '../state/breaker-board';
import { TradingState, correlationBetween, settingLabel } from '../state/runtime-settings';
import { Telemetry } from '../telemetry/telemetry';
import { Logger, SILENT_LOGGER } from '../telemetry/logger';
import { BrokerGateway } from '../execution/broker-gateway';
import { ExecutionCoordinator } from '../execution/execution-coordinator';
import { PositionReconciler } from '../execution/position-reconciler';
import { BrokerErrorLog } from '../execution/broker-error-log';
import {
  BreakerDefinition,
  BreakerDirection,
  BreakerReading,
  BreakerResponse,
  BreakerSnapshot,
  levelOf,
  limitFor,
  parseThresholds,
  responseFor,
  stricterState,
} from './breaker';
import { SlidingWindowMinimum, averagePairwiseCorrelation } from './correlation';
import { HealthCheckRow, runHealthCheck } from './health-check';
import { liquidationSlices } from './liquidation';
import { STANDARD_BREAKERS } from './standard-breakers';
import { BreakerAction, BreakerActionOutcome, BreakerFailure } from './breaker-failure';
import { PricePoint } from './volatility';

/** Limits come back in these steps after a reset, one step per restore_step_minutes. */
export const RESTORATION_STEPS: readonly number[] = [25, 50, 100];
/** The limits a trip episode restores step by step (the trading state comes back with the first step). */
export const RESTORED_LIMITS: readonly string[] = ['max_leverage', 'max_order_notional', 'max_position_pct'];
/** The only role allowed to reset a breaker by hand. */
export const RISK_OFFICER_ROLE = 'risk officer';
/** A liquidation never takes more slices than this; what is left is reported. */
export const MAX_LIQUIDATION_SLICES = 20;

export type { BreakerFailure };

export interface CustomBreakerInput {
  readonly name: string;
  readonly measure: string;
  readonly metric: (snapshot: BreakerSnapshot) => Decimal | null;
  readonly warning: string;
  readonly critical: string;
  readonly direction?: BreakerDirection;
  readonly response?: BreakerResponse;
  readonly actor: string;
}

export interface ResetRequest {
  /** A breaker of the episode; all tripped breakers are reset together. */
  readonly breaker?: string;
  readonly operator: string;
  readonly role: string;
  readonly reason: string;
}

export type ResetOutcome = { outcome: 'reset'; event: StoredEvent } | { outcome: 'refused'; code: BreakerFailure; reason: string };

export interface BreakerMonitorPorts {
  readonly ledger: TradingLedger;
  readonly coordinator: ExecutionCoordinator;
  readonly broker: () => BrokerGateway;
  readonly reconciler: PositionReconciler;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Where broker errors met by the breakers are recorded (with the path they took). */
  readonly brokerErrors?: BrokerErrorLog;
  /** The system's one way to change settings (validated, counted, recorded with actor and reason). */
  readonly changeSettings: (changes: Readonly<Record<string, string>>, actor: string, reason: string) => StoredEvent;
}

/** Events after which the live state may have changed what a breaker reads. */
const TRIGGERS: ReadonlySet<StoredEvent['type']> = new Set(['MarkPriceUpdated', 'OrderFilled', 'SettingsChanged', 'TradingDayStarted', 'AccountFunded']);
const BREAKER_ACTOR = 'circuit breaker';

/**
 * Watches the live state on every mark price and every fill (it listens to the ledger, so it sees
 * each event in the same synchronous step that records it) and answers a critical level at once:
 * the trading state changes before anything else happens, so no order placed after the trip passes
 * risk; then working orders are cancelled (those still waiting for the broker's acknowledgement as
 * soon as it comes), the broker's kill switch is pulled, and breaching positions are liquidated with
 * reduce-only orders no larger than the book can take. Recovery needs a cool-down with normal
 * readings and a passing health check, or a risk officer's reset; limits then come back in steps.
 */
export class BreakerMonitor {
  private readonly definitions = new Map<string, BreakerDefinition>();
  private readonly prices = new Map<string, PricePoint[]>();
  /** The average correlation over the jump breaker's lookback; only what can still be its lowest is kept. */
  private readonly correlationSamples = new SlidingWindowMinimum();
  /** Deferred cancels (the board's cancelOnAcknowledgement) this process has dealt with, begun or found closed: the board keeps them until the cancel's outcome is on record. */
  private readonly deferredCancelsHandled = new Set<string>();
  private unsubscribe: (() => void) | null = null;
  private evaluating = false;
  private evaluateAgain = false;
  private response: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<unknown>>();
  private recovering: Promise<void> | null = null;
  private killSwitchPulled = false;
  private readonly logger: Logger;

  constructor(private readonly ports: BreakerMonitorPorts, definitions: readonly BreakerDefinition[] = STANDARD_BREAKERS) {
    for (const d of definitions) this.definitions.set(d.name, d);
    this.logger = ports.logger ?? SILENT_LOGGER;
  }

  get armed(): boolean {
    return this.unsubscribe !== null;
  }

  /** Start watching; the prices already known are the start of the history. */
  start(): void {
    if (this.unsubscribe) return;
    const state = this.ports.ledger.state;
    for (const [symbol, price] of state.marks) this.recordPrice(symbol, price, state.markTimes.get(symbol) ?? this.ports.clock.now().toISOString());
    this.killSwitchPulled = state.breakers.episode !== null;
    // A deferred cancel is in the log: after a restart (or a stop) the order is still cancelled once the broker acknowledges it.
    this.deferredCancelsHandled.clear();
    this.unsubscribe = this.ports.ledger.subscribe(event => this.onEvent(event));
    // Acknowledged while no process watched: cancel it now.
    for (const clientOrderId of [...state.breakers.cancelOnAcknowledgement.keys()]) this.onDeferredOrderProgress(clientOrderId);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  breakerNames(): string[] {
    return [...this.definitions.keys()];
  }

  definition(name: string): BreakerDefinition {
    const d = this.definitions.get(name);
    if (!d) throw new TradingError('UnknownBreaker', `no circuit breaker named "${name}"; known: ${this.breakerNames().join(', ')}`, { breaker: name });
    return d;
  }

  /** What every breaker reads now, without acting on it. */
  readings(): { name: string; reading: BreakerReading | null; level: BreakerLevel }[] {
    const snapshot = this.snapshot();
    return [...this.definitions.values()].map(d => {
      const reading = this.read(d, snapshot);
      return { name: d.name, reading, level: reading ? levelOf(reading, d.direction) : 'normal' };
    });
  }

  /** Resolves once the responses, deferred cancels and recoveries under way have finished. */
  async idle(): Promise<void> {
    for (let i = 0; i < 50; i += 1) {
      const pending = [this.response, ...(this.recovering ? [this.recovering] : []), ...this.inFlight];
      await Promise.allSettled(pending);
      if (this.inFlight.size === 0 && !this.recovering) return;
    }
  }

  /** A breaker added at runtime: a name, a metric on the live state and its levels. Bad input changes nothing. */
  register(input: CustomBreakerInput): BreakerDefinition {
    const direction = input.direction ?? 'above';
    const { warning, critical } = parseThresholds(input.name, input.warning, input.critical, direction);
    if (this.definitions.has(input.name)) throw new TradingError('InvalidBreaker', `a breaker named "${input.name}" already exists`, { breaker: input.name });
    if (typeof input.metric !== 'function') throw new TradingError('InvalidBreaker', `breaker ${input.name} needs a metric function`, { breaker: input.name });
    if (!input.actor.trim()) throw new TradingError('InvalidBreaker', `registering breaker ${input.name} needs an actor`, { breaker: input.name });
    const response = input.response ?? 'REDUCE_ONLY';
    const definition: BreakerDefinition = {
      name: input.name,
      measure: input.measure,
      direction,
      response,
      liquidation: 'none',
      format: v => formatAmount(v, 2),
      read: s => {
        const observed = input.metric(s);
        return observed === null ? null : { observed, warning, critical };
      },
    };
    this.ports.ledger.record({
      type: 'BreakerRegistered',
      payload: { breaker: input.name, measure: input.measure, direction, warning: warning.toString(), critical: critical.toString(), response, actor: input.actor },
    });
    this.definitions.set(input.name, definition);
    this.requestEvaluation();
    return definition;
  }

  // ---- watching ----

  private onEvent(event: StoredEvent): void {
    try {
      if (event.type === 'MarkPriceUpdated') this.recordPrice(event.payload.symbol, new Decimal(event.payload.price), event.at);
      if ('clientOrderId' in event.payload && typeof event.payload.clientOrderId === 'string') this.onDeferredOrderProgress(event.payload.clientOrderId);
      if (!TRIGGERS.has(event.type)) return;
      if (event.type === 'SettingsChanged' && event.payload.actor.startsWith(BREAKER_ACTOR)) return;
      this.requestEvaluation();
    } catch (error) {
      this.ports.telemetry.increment(`breakers.errors.${describeError(error).kind}`);
      this.logger.log('error', 'circuit breaker monitor failed', { kind: describeError(error).kind, reason: describeError(error).message });
    }
  }

  /** Events recorded while evaluating come back here: they are evaluated once the current pass is over. */
  private requestEvaluation(): void {
    if (this.evaluating) {
      this.evaluateAgain = true;
      return;
    }
    this.evaluating = true;
    try {
      for (let pass = 0; pass < 5; pass += 1) {
        this.evaluateAgain = false;
        this.evaluate();
        if (!this.evaluateAgain) break;
      }
    } finally {
      this.evaluating = false;
    }
  }

  private evaluate(): void {
    const snapshot = this.snapshot();
    const board = this.ports.ledger.state.breakers;
    for (const definition of this.definitions.values()) {
      const reading = this.read(definition, snapshot);
      const level = reading ? levelOf(reading, definition.direction) : 'normal';
      const status = board.status(definition.name);
      if (level === 'critical' && reading && !status?.tripped) {
        this.trip(definition, reading);
        continue;
      }
      if (level !== (status?.level ?? 'normal')) this.recordLevel(definition, reading, status?.level ?? 'normal', level);
      if (status?.tripped && level === 'critical' && reading) {
        const wanted = responseFor(definition, reading);
        if (stricterState(this.tradingState(), wanted) !== this.tradingState()) this.applyPolicy(definition.name, wanted, `${definition.name} rose to ${definition.format(reading.observed)}`);
      }
    }
    if (snapshot.averageCorrelation !== null) this.correlationSamples.push(snapshot.now.getTime(), snapshot.averageCorrelation);
    this.considerRecovery(snapshot.now);
    this.considerRestoration(snapshot.now);
  }

  private read(definition: BreakerDefinition, snapshot: BreakerSnapshot): BreakerReading | null {
    try {
      const reading = definition.read(snapshot);
      if (reading && !reading.observed.isFinite() && !reading.observed.eq(Infinity)) throw new Error(`metric gave ${reading.observed}`);
      return reading;
    } catch (error) {
      // A metric that throws reads nothing, loudly: counted and logged as BREAKER_METRIC_FAILED.
      this.ports.telemetry.increment(`breakers.${definition.name}.BREAKER_METRIC_FAILED`);
      this.logger.log('error', 'BREAKER_METRIC_FAILED', { breaker: definition.name, reason: describeError(error).message });
      return null;
    }
  }

  private snapshot(): BreakerSnapshot {
    const state = this.ports.ledger.state;
    const now = this.ports.clock.now();
    const settings = state.settings.snapshot();
    const limits = state.settings.limits;
    const held = state.openPositions().map(p => p.symbol);
    const lookbackMs = Number(settings.correlation_jump_window_minutes) * 60_000;
    this.correlationSamples.evictBefore(now.getTime() - lookbackMs);
    return {
      now,
      state,
      settings,
      limits,
      equity: state.account().equity,
      prices: symbol => this.prices.get(symbol) ?? [],
      averageCorrelation: averagePairwiseCorrelation(held, (a, b) => correlationBetween(limits, a, b)),
      correlationLookback: this.correlationSamples.candidates(),
    };
  }

  private recordPrice(symbol: string, price: Decimal, at: string): void {
    const points = this.prices.get(symbol) ?? [];
    const atMs = Date.parse(at);
    points.push({ atMs, price });
    const settings = this.ports.ledger.state.settings.snapshot();
    const keepMs = Math.max((Number(settings.volatility_window_returns) + 2) * 60_000, Number(settings.price_move_window_seconds) * 1000);
    while (points.length > 0 && points[0].atMs < atMs - keepMs) points.shift();
    this.prices.set(symbol, points);
  }

  private tradingState(): TradingState {
    return this.ports.ledger.state.settings.limits.tradingState;
  }

  private readingPayload(definition: BreakerDefinition, reading: BreakerReading | null, level: BreakerLevel) {
    if (!reading) return { breaker: definition.name, level, observed: '0', limit: '0', observedText: 'nothing to measure', limitText: '' };
    const limit = limitFor(reading, level);
    return {
      breaker: definition.name,
      level,
      observed: reading.observed.toString(),
      limit: limit.toString(),
      observedText: definition.format(reading.observed),
      limitText: definition.format(limit),
      ...(reading.subject ? { subject: reading.subject } : {}),
    };
  }

  private recordLevel(definition: BreakerDefinition, reading: BreakerReading | null, from: BreakerLevel, to: BreakerLevel): void {
    const payload = this.readingPayload(definition, reading, to === 'normal' ? from : to);
    this.ports.ledger.record({ type: 'BreakerLevelChanged', payload: { ...payload, level: to, from, to } });
    if (to === 'warning' && from === 'normal') this.alert(definition.name, 'warning', payload.observedText, payload.limitText);
  }

  private alert(breaker: string, level: 'warning' | 'critical', observed: string, limit: string): void {
    const at = this.ports.clock.now().toISOString();
    const subject = level === 'critical' ? 'tripped' : 'warns';
    this.ports.telemetry.alert({ breaker, level, observed, limit, at, message: `circuit breaker ${breaker} ${subject}: ${observed} against a limit of ${limit}` });
    this.logger.log(level === 'critical' ? 'error' : 'warn', `circuit breaker ${subject}`, { breaker, observed, limit });
  }

  private action(breaker: string, action: BreakerAction, outcome: BreakerActionOutcome, detail: string, extra: { code?: BreakerFailure; clientOrderId?: string } = {}): void {
    this.ports.ledger.record({ type: 'BreakerActionTaken', payload: { breaker, action, outcome, detail, ...extra } });
  }

  // ---- the response ----

  private trip(definition: BreakerDefinition, reading: BreakerReading): void {
    const state = this.ports.ledger.state;
    const board = state.breakers;
    const settings = state.settings.snapshot();
    const limitsBefore = board.restoration?.limitsBefore ?? board.episode?.limitsBefore ?? pick(settings, [...RESTORED_LIMITS, 'trading_state']);
    const response = responseFor(definition, reading);
    const payload = this.readingPayload(definition, reading, 'critical');
    // First the record and the state change, in this synchronous step: nothing placed after it passes risk.
    this.ports.ledger.record({ type: 'BreakerTripped', payload: { ...payload, response, limitsBefore: { ...limitsBefore } } });
    this.ports.telemetry.increment('breakers.tripped');
    this.ports.telemetry.increment(`breakers.${definition.name}.tripped`);
    this.applyPolicy(definition.name, response, `${definition.name} at ${payload.observedText} against a limit of ${payload.limitText}`);
    this.alert(definition.name, 'critical', payload.observedText, payload.limitText);
    this.action(definition.name, 'alert raised', 'done', `critical: ${payload.observedText} against a limit of ${payload.limitText}`);
    const cancels: Promise<unknown>[] = [];
    for (const order of state.workingOrders()) {
      if (order.status === 'pending_cancel') continue;
      if (order.status === 'submitted' && order.brokerOrderId === undefined) {
        // Marked afresh by this trip: the board holds it again and its acknowledgement is waited for again.
        this.deferredCancelsHandled.delete(order.clientOrderId);
        this.action(definition.name, 'cancel on acknowledgement', 'done', `${order.clientOrderId} is on its way to the broker: cancel it as soon as the broker acknowledges it`, { clientOrderId: order.clientOrderId });
        continue;
      }
      cancels.push(this.cancelOrder(definition.name, order.clientOrderId));
    }
    this.response = this.response.then(() => this.respond(definition, reading, cancels)).catch(error => this.responseFailed(definition.name, error));
  }

  private async respond(definition: BreakerDefinition, reading: BreakerReading, cancels: Promise<unknown>[]): Promise<void> {
    await Promise.allSettled(cancels);
    if (!this.killSwitchPulled) {
      this.killSwitchPulled = true;
      try {
        const cancelled = await this.ports.broker().cancelAll();
        this.action(definition.name, 'broker kill switch', 'done', `cancel all sent to broker ${this.ports.broker().name}: ${cancelled} open orders cancelled there`);
      } catch (error) {
        this.ports.brokerErrors?.record(error, { broker: this.ports.broker().name, operation: 'cancel-all', path: [{ layer: 'circuit breaker', saw: 'kill switch not confirmed' }] });
        this.action(definition.name, 'broker kill switch', 'failed', `cancel all not confirmed: ${describeError(error).message}`, { code: 'KILL_SWITCH_FAILED' });
      }
    }
    if (definition.liquidation === 'none') return;
    for (const breach of reading.breaching ?? []) await this.liquidate(definition.name, breach.symbol, breach.quantity);
  }

  private responseFailed(breaker: string, error: unknown): void {
    this.ports.telemetry.increment(`breakers.${breaker}.response_failed`);
    this.logger.log('error', 'circuit breaker response failed', { breaker, kind: describeError(error).kind, reason: describeError(error).message });
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  /** The cancel request is recorded in this synchronous step; its outcome when the broker answers. */
  private cancelOrder(breaker: string, clientOrderId: string): Promise<unknown> {
    return this.track(
      this.ports.coordinator.cancel(clientOrderId, `${BREAKER_ACTOR} ${breaker}`).then(result => {
        if (result.outcome === 'cancelled') this.action(breaker, 'cancel order', 'done', `${clientOrderId} cancelled`, { clientOrderId });
        else this.action(breaker, 'cancel order', 'failed', `${clientOrderId}: ${result.error.message}`, { code: 'CANCEL_FAILED', clientOrderId });
      }),
    );
  }

  /** An order the board holds for cancelling on acknowledgement moved: once acknowledged, its cancel goes out, once. */
  private onDeferredOrderProgress(clientOrderId: string): void {
    const state = this.ports.ledger.state;
    const breaker = state.breakers.cancelOnAcknowledgement.get(clientOrderId);
    if (breaker === undefined || this.deferredCancelsHandled.has(clientOrderId)) return;
    const order = state.orders.get(clientOrderId);
    if (!order || isTerminal(order)) {
      this.deferredCancelsHandled.add(clientOrderId);
      return;
    }
    if (order.status === 'submitted' || order.status === 'pending_cancel') return;
    this.deferredCancelsHandled.add(clientOrderId);
    void this.track(this.cancelAcknowledged(breaker, clientOrderId));
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

  private applyPolicy(breaker: string, response: BreakerResponse, reason: string): void {
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

  /** Reduce a position with reduce-only market orders, each no larger than the best level of the book offers. */
  private async liquidate(breaker: string, symbol: string, quantity: Decimal): Promise<void> {
    const state = this.ports.ledger.state;
    const lot = state.instruments.get(symbol).lotSize;
    let remaining = quantity;
    for (let slice = 1; slice <= MAX_LIQUIDATION_SLICES; slice += 1) {
      const position = state.position(symbol).netQuantity;
      remaining = Decimal.min(remaining, position.abs());
      if (remaining.lte(0)) return;
      const side = position.isPositive() ? 'sell' : 'buy';
      let book;
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
      const result = await this.ports.coordinator.place({ symbol, side, type: 'market', quantity: slices[0].toString(), reduceOnly: true });
      if (result.outcome !== 'accepted') {
        const code = result.outcome === 'rejected' && result.stage !== 'input' ? result.decision.reasonCode : result.error.kind;
        this.action(breaker, 'liquidate', 'failed', `${symbol}: slice ${slice}, ${side} ${slices[0]} reduce-only refused: ${code}`, {
          code: 'LIQUIDATION_REFUSED',
          ...(result.outcome !== 'rejected' || result.stage !== 'input' ? { clientOrderId: result.order.clientOrderId } : {}),
        });
        return;
      }
      const id = result.order.clientOrderId;
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

  // ---- recovery ----

  async healthCheck(trigger: string): Promise<HealthCheckRow[]> {
    const broker = this.ports.broker();
    const rows = await runHealthCheck({
      broker,
      state: this.ports.ledger.state,
      reconciler: this.ports.reconciler,
      now: this.ports.clock.now(),
      trigger,
      onBrokerError: (error, operation) =>
        this.ports.brokerErrors?.record(error, { broker: broker.name, operation, path: [{ layer: 'circuit breaker health check', saw: 'the broker did not answer: trading stays stopped' }] }),
    });
    this.ports.ledger.record({ type: 'BreakerHealthChecked', payload: { trigger, passed: rows.every(r => r.passed), checks: rows.map(r => ({ ...r })) } });
    return rows;
  }

  private coolDownMs(): number {
    return Number(this.ports.ledger.state.settings.snapshot().breaker_cooldown_minutes) * 60_000;
  }

  /** Every tripped breaker back to normal for the whole cool-down, and none critical. */
  private calmFor(now: Date): boolean {
    const board = this.ports.ledger.state.breakers;
    const statuses = [...board.statuses.values()];
    if (statuses.some(s => s.level === 'critical')) return false;
    return board.tripped().every((s: BreakerStatus) => s.normalSince !== null && now.getTime() - Date.parse(s.normalSince) >= this.coolDownMs());
  }

  private considerRecovery(now: Date): void {
    const board = this.ports.ledger.state.breakers;
    if (!board.episode || this.recovering || !this.calmFor(now)) return;
    const minutes = this.coolDownMs() / 60_000;
    this.recovering = this.recoverAutomatically(minutes).finally(() => {
      this.recovering = null;
    });
  }

  private async recoverAutomatically(minutes: number): Promise<void> {
    await this.response;
    const rows = await this.healthCheck('automatic recovery');
    const board = this.ports.ledger.state.breakers;
    if (!rows.every(r => r.passed) || !board.episode || !this.calmFor(this.ports.clock.now())) return;
    this.resetEpisode('automatic', 'circuit breaker monitor', 'system', `conditions normal for ${minutes} minutes`);
  }

  /** A person resets the tripped breakers: only a risk officer, only with a reason, only when the conditions and the health check allow. */
  async reset(request: ResetRequest): Promise<ResetOutcome> {
    if (request.breaker !== undefined) this.definition(request.breaker);
    if (!request.operator?.trim()) throw new TradingError('InvalidInput', 'a reset needs the name of the operator who asks for it', { field: 'operator' });
    const breaker = request.breaker ?? 'all';
    const refuse = (code: BreakerFailure, detail: string): ResetOutcome => {
      this.ports.ledger.record({ type: 'BreakerResetRefused', payload: { breaker, operator: request.operator, role: request.role, reason: request.reason ?? '', code, detail } });
      this.ports.telemetry.increment(`breakers.reset_refused.${code}`);
      return { outcome: 'refused', code, reason: detail };
    };
    if (request.role !== RISK_OFFICER_ROLE) return refuse('RESET_ROLE_NOT_PERMITTED', `${request.operator} is a ${request.role || 'person without a role'}; only a ${RISK_OFFICER_ROLE} may reset a circuit breaker`);
    if (!request.reason?.trim()) return refuse('RESET_REASON_MISSING', 'a reset needs a reason for the audit trail');
    if (this.recovering) await this.recovering;
    await this.response;
    const board = this.ports.ledger.state.breakers;
    if (!board.episode || (request.breaker !== undefined && !board.status(request.breaker)?.tripped)) {
      return refuse('NOTHING_TO_RESET', request.breaker !== undefined ? `breaker ${request.breaker} has not tripped` : 'no breaker has tripped');
    }
    const critical = this.readings().filter(r => r.level === 'critical');
    if (critical.length > 0) return refuse('BREAKER_CONDITION_PERSISTS', `still critical: ${critical.map(r => r.name).join(', ')}`);
    const rows = await this.healthCheck(`manual reset by ${request.operator}`);
    const failed = rows.filter(r => !r.passed);
    if (failed.length > 0) return refuse('HEALTH_CHECK_FAILED', failed.map(r => `${r.check}: ${r.code} (${r.detail})`).join('; '));
    if (!this.ports.ledger.state.breakers.episode) return refuse('NOTHING_TO_RESET', 'the breakers were reset meanwhile');
    return { outcome: 'reset', event: this.resetEpisode('manual', request.operator, request.role, request.reason) };
  }

  private resetEpisode(mode: 'automatic' | 'manual', operator: string, role: string, reason: string): StoredEvent {
    const board = this.ports.ledger.state.breakers;
    const breakers = board.tripped().map(s => s.name);
    const event = this.ports.ledger.record({ type: 'BreakerReset', payload: { mode, breakers, operator, role, reason } });
    this.killSwitchPulled = false;
    this.deferredCancelsHandled.clear();
    this.correlationSamples.clear();
    this.ports.telemetry.increment(`breakers.reset.${mode}`);
    this.restoreStep(1);
    return event;
  }

  private considerRestoration(now: Date): void {
    const restoration = this.ports.ledger.state.breakers.restoration;
    if (!restoration || restoration.step === 0 || this.ports.ledger.state.breakers.episode) return;
    const stepMs = Number(this.ports.ledger.state.settings.snapshot().restore_step_minutes) * 60_000;
    if (now.getTime() - Date.parse(restoration.at) >= stepMs) this.restoreStep(restoration.step + 1);
  }

  private restoreStep(step: number): void {
    const restoration = this.ports.ledger.state.breakers.restoration;
    if (!restoration || step > RESTORATION_STEPS.length) return;
    const percent = RESTORATION_STEPS[step - 1];
    const limits: Record<string, string> = {};
    for (const key of RESTORED_LIMITS) {
      const before = restoration.limitsBefore[key];
      if (before !== undefined) limits[key] = new Decimal(before).times(percent).div(100).toString();
    }
    const changes = step === 1 ? { ...limits, trading_state: restoration.limitsBefore.trading_state ?? 'ACTIVE' } : limits;
    this.ports.ledger.record({ type: 'BreakerLimitsRestored', payload: { step, percent, limits } });
    this.ports.changeSettings(changes, `${BREAKER_ACTOR} recovery`, `limits restored to ${percent} % of their level before the trip (step ${step} of ${RESTORATION_STEPS.length})`);
  }
}

function pick(values: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter(k => values[k] !== undefined).map(k => [k, values[k]]));
}
