import { Decimal, TradingError, describeError, formatAmount } from '../shared';
import { StoredEvent, BreakerLevel, TradingState, correlationBetween } from '../state';
import { BreakerDefinition, BreakerDirection, BreakerReading, BreakerResponse, BreakerSnapshot, levelOf, parseThresholds, readingPayload, responseFor, stricterState } from './breaker';
import { averagePairwiseCorrelation } from './correlation';
import { BREAKER_ACTOR, BreakerPorts } from './breaker-monitor-ports';
import { BreakerMonitorMemory } from './breaker-monitor-memory';
import type { BreakerResponder } from './breaker-response';
import type { BreakerRecovery } from './breaker-recovery';
import { PriceHistory } from './volatility';

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

/** What one breaker reads now and the level that puts it at. */
export interface BreakerReadout {
  readonly name: string;
  readonly reading: BreakerReading | null;
  readonly level: BreakerLevel;
}

export interface BreakerWatchPorts extends BreakerPorts {
  readonly memory: BreakerMonitorMemory;
  /** Answers a critical reading. */
  readonly responder: BreakerResponder;
  /** Told of every pass, to start a recovery when it is due. */
  readonly recovery: BreakerRecovery;
  /** The breakers watched from the start; more may be registered at runtime. */
  readonly definitions: readonly BreakerDefinition[];
}

/** Events after which the live state may have changed what a breaker reads. */
const TRIGGERS: ReadonlySet<StoredEvent['type']> = new Set(['MarkPriceUpdated', 'OrderFilled', 'SettingsChanged', 'TradingDayStarted', 'AccountFunded']);

/**
 * Reads every breaker on every mark price, fill and settings change (it hears each transaction's
 * events before the commit, so a change of level goes to disk with what caused it), records each change of level, and
 * hands a critical reading to the response and every pass to the recovery.
 */
export class BreakerWatch {
  private readonly definitions = new Map<string, BreakerDefinition>();
  /** The mark prices seen per symbol, as far back as the volatility and price move breakers look, with their minute closes and returns. */
  private readonly history = new Map<string, PriceHistory>();
  private unsubscribe: (() => void) | null = null;
  private evaluating = false;
  private evaluateAgain = false;

  constructor(private readonly ports: BreakerWatchPorts) {
    for (const d of ports.definitions) this.definitions.set(d.name, d);
  }

  get armed(): boolean {
    return this.unsubscribe !== null;
  }

  /** Start watching; the prices already known are the start of the history. */
  start(): void {
    if (this.unsubscribe) return;
    const state = this.ports.ledger.state;
    for (const [symbol, price] of state.marks) this.recordPrice(symbol, price, state.markTimes.get(symbol) ?? this.ports.clock.now().toISOString());
    const beforeCommit = this.ports.ledger.beforeEachCommit(events => this.onRecorded(events));
    const afterCommit = this.ports.ledger.subscribe(event => this.onCommitted(event));
    this.unsubscribe = () => {
      beforeCommit();
      afterCommit();
    };
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
  readings(): BreakerReadout[] {
    const snapshot = this.snapshot();
    return [...this.definitions.values()].map(d => {
      const reading = this.read(d, snapshot);
      return { name: d.name, reading, level: reading ? levelOf(reading, d.direction) : 'normal' };
    });
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

  /**
   * The events of a transaction about to commit: the breakers are read once for all of them, and a
   * change of level they cause is recorded in the same transaction (one sync to disk with the fill
   * or mark that moved it). A trip's requests to the broker wait for that commit.
   */
  private onRecorded(events: readonly StoredEvent[]): void {
    this.guarded(() => {
      let triggered = false;
      for (const event of events) {
        if (event.type === 'MarkPriceUpdated') this.recordPrice(event.payload.symbol, new Decimal(event.payload.price), event.at);
        if (!TRIGGERS.has(event.type)) continue;
        if (event.type === 'SettingsChanged' && event.payload.actor.startsWith(BREAKER_ACTOR)) continue;
        triggered = true;
      }
      if (triggered) this.requestEvaluation();
    });
  }

  /** A deferred cancel goes out only once the acknowledgement it waits for is on disk. */
  private onCommitted(event: StoredEvent): void {
    if (!('clientOrderId' in event.payload) || typeof event.payload.clientOrderId !== 'string') return;
    const clientOrderId = event.payload.clientOrderId;
    this.guarded(() => this.ports.responder.onOrderProgress(clientOrderId));
  }

  private guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.ports.telemetry.increment(`breakers.errors.${describeError(error).kind}`);
      this.ports.logger.log('error', 'circuit breaker monitor failed', { kind: describeError(error).kind, reason: describeError(error).message });
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
        this.ports.responder.trip(definition, reading);
        continue;
      }
      if (level !== (status?.level ?? 'normal')) this.recordLevel(definition, reading, status?.level ?? 'normal', level);
      if (status?.tripped && level === 'critical' && reading) {
        const wanted = responseFor(definition, reading);
        if (stricterState(this.tradingState(), wanted) !== this.tradingState()) this.ports.responder.applyPolicy(definition.name, wanted, `${definition.name} rose to ${definition.format(reading.observed)}`);
      }
    }
    if (snapshot.averageCorrelation !== null) this.ports.memory.correlationLookback.push(snapshot.now.getTime(), snapshot.averageCorrelation);
    this.ports.recovery.review(snapshot.now);
  }

  private read(definition: BreakerDefinition, snapshot: BreakerSnapshot): BreakerReading | null {
    try {
      const reading = definition.read(snapshot);
      if (reading && !reading.observed.isFinite() && !reading.observed.eq(Infinity)) throw new Error(`metric gave ${reading.observed}`);
      return reading;
    } catch (error) {
      // A metric that throws reads nothing, loudly: counted and logged as BREAKER_METRIC_FAILED.
      this.ports.telemetry.increment(`breakers.${definition.name}.BREAKER_METRIC_FAILED`);
      this.ports.logger.log('error', 'BREAKER_METRIC_FAILED', { breaker: definition.name, reason: describeError(error).message });
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
    this.ports.memory.correlationLookback.evictBefore(now.getTime() - lookbackMs);
    return {
      now,
      state,
      settings,
      limits,
      equity: state.account().equity,
      prices: symbol => this.history.get(symbol)?.points() ?? [],
      minuteCloses: symbol => this.history.get(symbol)?.closes() ?? [],
      minuteReturns: symbol => this.history.get(symbol)?.returns() ?? [],
      averageCorrelation: averagePairwiseCorrelation(held, (a, b) => correlationBetween(limits, a, b)),
      correlationLookback: this.ports.memory.correlationLookback.candidates(),
    };
  }

  private recordPrice(symbol: string, price: Decimal, at: string): void {
    let history = this.history.get(symbol);
    if (!history) {
      history = new PriceHistory();
      this.history.set(symbol, history);
    }
    const settings = this.ports.ledger.state.settings.snapshot();
    const keepMs = Math.max((Number(settings.volatility_window_returns) + 2) * 60_000, Number(settings.price_move_window_seconds) * 1000);
    history.add({ atMs: Date.parse(at), price }, keepMs);
  }

  private tradingState(): TradingState {
    return this.ports.ledger.state.settings.limits.tradingState;
  }

  private recordLevel(definition: BreakerDefinition, reading: BreakerReading | null, from: BreakerLevel, to: BreakerLevel): void {
    const payload = readingPayload(definition, reading, to === 'normal' ? from : to);
    this.ports.ledger.record({ type: 'BreakerLevelChanged', payload: { ...payload, level: to, from, to } });
    if (to === 'warning' && from === 'normal') this.ports.responder.alert(definition.name, 'warning', payload.observedText, payload.limitText);
  }
}
