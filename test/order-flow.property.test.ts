import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { VirtualClock, Decimal, ZERO } from '../domain/shared';
import { DEFAULT_INSTRUMENTS, InstrumentRegistry, OrderStatus, TERMINAL_STATUSES, WORKING_STATUSES, isTerminal, mayStillArrive } from '../domain/model';
import { worstGrossExposure } from '../domain/risk';
import { TradingSystem } from '../domain/trading-system';
import { OrderInput, PlaceResult } from '../domain/execution';
import { DecisionRow, StateProjection, DEFAULT_SETTINGS } from '../domain/state';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';
import { stateSnapshot } from '../support/sut';

/**
 * Model-based property test of the whole order flow: random action sequences against a fresh
 * trading system, simulated broker and in-process gateway per run; after every action the local
 * view must agree with the broker's and with its own event log. The broker simulator is the model.
 */

// SEED=n replays another search; the default keeps CI on one fixed, known-good search.
const SEED = process.env.SEED !== undefined && /^\d+$/.test(process.env.SEED) ? Number(process.env.SEED) : 20261125;
const NUM_RUNS = 60;
const MAX_ACTIONS = 40;
const MAX_LEVERAGE = '3';
const DEPOSIT = '100000';
const DEEP = new Decimal(1000);
const SETTLE_TURNS = 400;
/** The broker's receive window, as the system's default setting and the in-process broker both have it. */
const RECEIVE_WINDOW_MS = Number(DEFAULT_SETTINGS.broker_receive_window_ms);
/** What the system adds for a broker clock running behind before it gives an unknown order up. */
const CLOCK_TOLERANCE_MS = Number(DEFAULT_SETTINGS.broker_clock_tolerance_ms);

type Sym = 'BTC-PERP' | 'ETH-PERP';
const SYMBOLS: readonly Sym[] = ['BTC-PERP', 'ETH-PERP'];
const SPEC: Record<Sym, { lot: Decimal; tick: Decimal; start: Decimal; maxLots: number; thin: Decimal }> = {
  'BTC-PERP': { lot: new Decimal('0.001'), tick: new Decimal('0.5'), start: new Decimal(50000), maxLots: 3000, thin: new Decimal('0.05') },
  'ETH-PERP': { lot: new Decimal('0.01'), tick: new Decimal('0.05'), start: new Decimal(3000), maxLots: 5000, thin: new Decimal('1') },
};
const LOCAL_OPEN: ReadonlySet<OrderStatus> = new Set(['acknowledged', 'partially_filled']);
const TRANSIENT: ReadonlySet<OrderStatus> = new Set(['submitted', 'pending_cancel', 'pending_replace', 'new', 'pending_risk']);

const stats = {
  runs: 0,
  actions: 0,
  placed: 0,
  accepted: 0,
  rejectedInput: 0,
  rejectedRisk: 0,
  rejectedRiskLeverage: 0,
  rejectedBroker: 0,
  otherOutcome: 0,
  bursts: 0,
  burstOrders: 0,
  burstLeverageAboveLimitBefore: 0,
  maxBurstLeverage: 0,
  cancels: 0,
  cancelsRefused: 0,
  modifies: 0,
  modifiesRefused: 0,
  tradeAgainst: 0,
  markMoves: 0,
  restarts: 0,
  crashRestarts: 0,
  heldRequests: 0,
  heldDelivered: 0,
  heldRefusedLate: 0,
  heldCancelledBeforeArrival: 0,
  windowPassed: 0,
  withinTolerance: 0,
  ordersClosedAfterWindow: 0,
  fillsRecovered: 0,
  ordersClosedOnRecovery: 0,
  fills: 0,
  partialFills: 0,
  inferredFills: 0,
  fillRejected: 0,
  reconcileMismatched: 0,
  leverageRowsAboveLimitWithNote: 0,
  noops: 0,
  invariantChecks: 0,
};

interface OrderSpec {
  readonly sym: Sym;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly lots: number;
  /** Limit price offset from the mark, in basis points. */
  readonly bps: number;
  readonly reduceOnly: boolean;
}

const describeSpec = (s: OrderSpec) => `${s.side} ${s.type} ${s.sym} ${s.lots} lots${s.type === 'limit' ? ` @mark${s.bps >= 0 ? '+' : ''}${s.bps}bp` : ''}${s.reduceOnly ? ' reduce-only' : ''}`;

function onTick(price: Decimal, tick: Decimal): Decimal {
  const rounded = price.div(tick).toDecimalPlaces(0).times(tick);
  return rounded.gt(0) ? rounded : tick;
}

class Harness {
  readonly clock = new VirtualClock('2026-01-05T14:30:00.000Z');
  readonly dir = mkdtempSync(join(tmpdir(), 'order-flow-prop-'));
  readonly path = join(this.dir, 'events.sqlite');
  readonly core = new BrokerSimulatorCore({ name: 'SIM', clock: this.clock, instruments: DEFAULT_INSTRUMENTS });
  readonly gateway = new InProcessBrokerGateway(this.core, { receiveWindowMs: RECEIVE_WINDOW_MS });
  readonly log: string[] = [];
  system: TradingSystem;
  private unsubscribe: () => void = () => undefined;
  private checkedSeq = 0;

  constructor() {
    this.system = this.open();
    this.system.fund(DEPOSIT);
    this.core.deposit(new Decimal(DEPOSIT));
    this.system.startTradingDay();
    this.system.changeSettings(
      {
        max_leverage: MAX_LEVERAGE,
        max_order_notional: '250000',
        max_position_pct: '1000',
        max_gross_exposure_pct: '1000',
        max_net_exposure_pct: '1000',
        max_correlated_exposure_pct: '1000',
        daily_loss_limit_pct: '90',
        price_collar_pct: '10',
        mark_staleness_seconds: '86400',
      },
      'property test',
      'generous limits; leverage stays binding',
    );
    for (const sym of SYMBOLS) this.mark(sym, SPEC[sym].start, DEEP);
  }

  private open(): TradingSystem {
    // The model is the order flow of 4.1; circuit breakers (4.2) would change limits under it, so they stay disarmed here.
    const system = TradingSystem.open({ eventStorePath: this.path, broker: this.gateway, clock: this.clock, circuitBreakers: 'disarmed' });
    this.unsubscribe = system.ledger.subscribe(event => {
      if (event.type === 'OrderFilled') {
        stats.fills += 1;
        if (event.payload.inferred) stats.inferredFills += 1;
        if (system.state.orders.get(event.payload.clientOrderId)?.status === 'partially_filled') stats.partialFills += 1;
      } else if (event.type === 'FillRejected') stats.fillRejected += 1;
      else if (event.type === 'PositionReconciled' && event.payload.status === 'mismatched') stats.reconcileMismatched += 1;
    });
    return system;
  }

  mark(sym: Sym, price: Decimal, depth: Decimal): void {
    this.system.updateMark(sym, price);
    this.core.setMark(sym, price);
    this.core.setBook(sym, 'asks', [{ price, quantity: depth }]);
    this.core.setBook(sym, 'bids', [{ price, quantity: depth }]);
  }

  markOf(sym: Sym): Decimal {
    return this.system.state.marks.get(sym) ?? SPEC[sym].start;
  }

  input(s: OrderSpec): OrderInput {
    const { lot, tick } = SPEC[s.sym];
    const quantity = lot.times(s.lots).toString();
    if (s.type === 'market') return { symbol: s.sym, side: s.side, type: 'market', quantity, reduceOnly: s.reduceOnly };
    const limitPrice = onTick(this.markOf(s.sym).times(new Decimal(1).plus(new Decimal(s.bps).div(10_000))), tick).toString();
    return { symbol: s.sym, side: s.side, type: 'limit', quantity, limitPrice, reduceOnly: s.reduceOnly };
  }

  countPlace(result: PlaceResult): string {
    stats.placed += 1;
    if (result.outcome === 'accepted') {
      stats.accepted += 1;
      const o = this.system.state.order(result.order.clientOrderId);
      return `accepted ${o.clientOrderId}`;
    }
    if (result.outcome === 'rejected' && result.stage === 'input') {
      stats.rejectedInput += 1;
      return `input-rejected (${result.error.message})`;
    }
    if (result.outcome === 'rejected' && result.stage === 'risk') {
      stats.rejectedRisk += 1;
      if (result.decision.failed.some(r => r.check === 'max leverage')) stats.rejectedRiskLeverage += 1;
      return `risk-rejected ${result.order.clientOrderId} (${result.decision.reasonCode})`;
    }
    if (result.outcome === 'rejected') {
      stats.rejectedBroker += 1;
      return `broker-rejected ${result.order.clientOrderId} (${result.error.message})`;
    }
    stats.otherOutcome += 1;
    return `${result.outcome} ${result.order.clientOrderId}`;
  }

  /**
   * Worst-case gross leverage if every working order filled, computed here from the orders
   * themselves (not through the risk manager, so a wrong reservation there cannot hide).
   */
  projectedLeverage(): Decimal | null {
    const state = this.system.state;
    const working = [...state.orders.values()]
      .filter(o => WORKING_STATUSES.has(o.status))
      .map(o => {
        const pending = o.pendingReplace ? o.pendingReplace.quantity.minus(o.filledQuantity) : ZERO;
        return { symbol: o.symbol, side: o.side, quantity: Decimal.max(ZERO, o.quantity.minus(o.filledQuantity), pending) };
      });
    const positions = new Map([...state.positions.values()].map(p => [p.symbol, p.netQuantity] as const));
    const equity = state.account().equity;
    return equity.gt(0) ? worstGrossExposure({ positions, working, marks: state.marks }).div(equity) : null;
  }

  /** Local orders the broker would call open, sorted by client order id. */
  localOpen(): string[] {
    return [...this.system.state.orders.values()].filter(o => LOCAL_OPEN.has(o.status)).map(o => o.clientOrderId).sort();
  }

  /** The working order an action picks, or null (counted as a no-op) when there is none. */
  pickOpen(pick: number): string | null {
    const open = this.localOpen();
    if (open.length === 0) {
      stats.noops += 1;
      return null;
    }
    return open[pick % open.length];
  }

  async restart(): Promise<string> {
    this.unsubscribe();
    this.system.close();
    this.system = this.open();
    const report = await this.system.recover();
    stats.fillsRecovered += report.fillsRecovered;
    stats.ordersClosedOnRecovery += report.ordersClosed;
    return `replayed ${report.eventsReplayed}, fills recovered ${report.fillsRecovered}, closed ${report.ordersClosed}, still working ${report.ordersStillWorking}`;
  }

  private agrees(): boolean {
    const state = this.system.state;
    for (const o of state.orders.values()) if (TRANSIENT.has(o.status)) return false;
    for (const view of this.core.allOrders()) {
      const local = state.orders.get(view.clientOrderId);
      if (!local) return false;
      const brokerOpen = view.status === 'open' || view.status === 'partially_filled';
      if (!local.filledQuantity.eq(view.filledQuantity) || brokerOpen !== LOCAL_OPEN.has(local.status)) return false;
    }
    return true;
  }

  /** Let the gateway deliver its reports and the reconciler finish; bounded, no wall-clock sleeps. */
  async settle(): Promise<void> {
    const turn = () => new Promise<void>(resolve => setImmediate(resolve));
    let quiet = 0;
    for (let i = 0; i < SETTLE_TURNS && quiet < 12; i += 1) {
      await turn();
      quiet = this.agrees() ? quiet + 1 : 0;
    }
  }

  fail(invariant: string, detail: string): never {
    assert.fail(`invariant ${invariant} violated: ${detail}\nactions (${this.log.length}):\n${this.log.map((l, i) => `  ${i + 1}. ${l}`).join('\n')}`);
  }

  checkInvariants(): void {
    stats.invariantChecks += 1;
    const state = this.system.state;
    // (1) positions agree with the broker's
    const brokerPositions = this.core.positions();
    for (const sym of SYMBOLS) {
      const local = state.position(sym);
      const broker = brokerPositions.find(p => p.symbol === sym);
      const bq = broker?.netQuantity ?? ZERO;
      const ba = broker?.averageEntryPrice ?? ZERO;
      if (!local.netQuantity.eq(bq) || !local.averageEntryPrice.eq(ba)) {
        this.fail('(1) position = broker position', `${sym}: local ${local.netQuantity} @ ${local.averageEntryPrice}, broker ${bq} @ ${ba}`);
      }
    }
    // (2) cash agrees with the broker's balance
    const cash = state.account().cash;
    const brokerCash = this.core.balance().cash;
    if (!cash.eq(brokerCash)) this.fail('(2) cash = broker cash', `local ${cash}, broker ${brokerCash}`);
    // (3) working orders agree with the broker's open orders
    const localOpen = this.localOpen();
    const brokerOpen = this.core.openOrders().sort((a, b) => a.clientOrderId.localeCompare(b.clientOrderId));
    const brokerIds = brokerOpen.map(o => o.clientOrderId);
    const transient = [...state.orders.values()].filter(o => TRANSIENT.has(o.status)).map(o => `${o.clientOrderId}:${o.status}`);
    if (JSON.stringify(localOpen) !== JSON.stringify(brokerIds)) {
      this.fail('(3) working orders = broker open orders', `local [${localOpen.join(', ')}], broker [${brokerIds.join(', ')}], local transient [${transient.join(', ')}]`);
    }
    for (const view of brokerOpen) {
      const local = state.order(view.clientOrderId);
      if (!local.quantity.eq(view.quantity) || !local.filledQuantity.eq(view.filledQuantity) || String(local.limitPrice) !== String(view.limitPrice)) {
        this.fail(
          '(3) working order terms = broker order terms',
          `${view.clientOrderId}: local qty ${local.quantity} filled ${local.filledQuantity} @ ${local.limitPrice}; broker qty ${view.quantity} filled ${view.filledQuantity} @ ${view.limitPrice}`,
        );
      }
    }
    // (4) no overfill, no negative reservation
    for (const o of state.orders.values()) {
      if (o.filledQuantity.gt(o.quantity) || o.filledQuantity.lt(0)) this.fail('(4) 0 <= filled <= quantity', `${o.clientOrderId}: filled ${o.filledQuantity} of ${o.quantity}`);
    }
    for (const w of this.system.risk.workingExposure()) {
      if (w.quantity.lt(0)) this.fail('(4) reserved exposure >= 0', `${w.symbol} ${w.side} reserves ${w.quantity}`);
    }
    // (5) the log verifies and replays to the live state
    const verification = this.system.ledger.store.verify();
    if (!verification.ok) this.fail('(5) event store verifies', JSON.stringify(verification));
    const events = this.system.events;
    const fresh = new StateProjection(new InstrumentRegistry(), DEFAULT_SETTINGS);
    fresh.replay(events);
    try {
      assert.deepStrictEqual(stateSnapshot(fresh), stateSnapshot(state));
    } catch (error) {
      this.fail('(5) replayed projection = live projection', (error as Error).message);
    }
    // (6) every approval (new order or modification) passed every row; the leverage row is within the limit or not increasing
    const limit = state.settings.limits.maxLeverage;
    for (const event of events) {
      if (event.seq <= this.checkedSeq) continue;
      if (event.type !== 'RiskCheckPassed' && event.type !== 'OrderReplaceRequested') continue;
      const rows: readonly DecisionRow[] = event.payload.checks;
      const id = event.payload.clientOrderId;
      const failed = rows.filter(r => !r.passed);
      if (failed.length > 0) this.fail('(6) approved => every row passed', `${event.type} ${id} at seq ${event.seq}: ${failed.map(r => r.check).join(', ')}`);
      const lev = rows.find(r => r.check === 'max leverage');
      if (!lev || lev.observedValue === undefined || lev.limitValue === undefined) this.fail('(6) leverage row present', `${event.type} ${id} at seq ${event.seq}`);
      if (!new Decimal(lev.limitValue).eq(limit)) this.fail('(6) leverage row uses the limit in force', `${id}: row limit ${lev.limitValue}, in force ${limit}`);
      if (new Decimal(lev.observedValue).gt(lev.limitValue)) {
        if (!lev.note) this.fail('(6) approved leverage <= limit or not increasing', `${event.type} ${id} at seq ${event.seq}: observed ${lev.observedValue} > ${lev.limitValue}, no note`);
        stats.leverageRowsAboveLimitWithNote += 1;
      }
    }
    this.checkedSeq = events.length > 0 ? events[events.length - 1].seq : 0;
    // (8) no ghost order: every order the broker booked is known here, with its fills, open here exactly when open there
    for (const view of this.core.allOrders()) {
      const local = state.orders.get(view.clientOrderId);
      const brokerOpen = view.status === 'open' || view.status === 'partially_filled';
      if (!local || !local.filledQuantity.eq(view.filledQuantity) || brokerOpen !== LOCAL_OPEN.has(local.status)) {
        this.fail('(8) every broker order agrees with the log', `${view.clientOrderId}: broker ${view.status} filled ${view.filledQuantity}; local ${local ? `${local.status} filled ${local.filledQuantity} (${local.reason ?? ''})` : 'unknown'}`);
      }
    }
    // (9) an order whose request is still on its way stays in flight, reserved, until it can no longer arrive (the broker's clock may
    // run behind by the tolerance) or a cancel overtook it
    const now = this.clock.now();
    for (const id of this.gateway.heldClientOrderIds()) {
      const local = state.order(id);
      if (!isTerminal(local)) {
        if (local.status !== 'submitted' && local.status !== 'pending_cancel') this.fail('(9) a held order is in flight', `${id} is ${local.status}`);
        continue;
      }
      if (mayStillArrive(local, now, RECEIVE_WINDOW_MS + CLOCK_TOLERANCE_MS) && !this.core.cancelledBeforeItArrived(id)) {
        this.fail('(9) a held order stays in flight until it can no longer arrive', `${id} is ${local.status} (${local.reason ?? ''}) while its request may still arrive`);
      }
    }
    // (7) the engine holds placement times only for orders that can still be acknowledged or filled
    const finished = this.system.engine.timedOrderIds().filter(id => TERMINAL_STATUSES.has(state.order(id).status));
    if (finished.length > 0) this.fail('(7) no placement time kept for a finished order', finished.join(', '));
  }

  dispose(): void {
    this.unsubscribe();
    this.system.close();
    void this.gateway.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type Model = Record<string, never>;

abstract class Action implements fc.AsyncCommand<Model, Harness> {
  check(): boolean {
    return true;
  }

  async run(_model: Model, h: Harness): Promise<void> {
    h.clock.advance(1000);
    const index = h.log.push(this.toString()) - 1;
    const detail = await this.apply(h);
    if (detail) h.log[index] += ` => ${detail}`;
    stats.actions += 1;
    await h.settle();
    h.checkInvariants();
  }

  abstract apply(h: Harness): Promise<string | void>;
  abstract toString(): string;
}

class Place extends Action {
  constructor(readonly spec: OrderSpec) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    return h.countPlace(await h.system.coordinator.place(h.input(this.spec)));
  }
  toString(): string {
    return `place ${describeSpec(this.spec)}`;
  }
}

class Burst extends Action {
  constructor(readonly specs: readonly OrderSpec[]) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    stats.bursts += 1;
    stats.burstOrders += this.specs.length;
    const limit = h.system.state.settings.limits.maxLeverage;
    const before = h.projectedLeverage();
    const pending = this.specs.map(s => h.system.coordinator.place(h.input(s)));
    // Still synchronous: every placement above has been risk-checked and reserved, no report applied yet.
    const after = h.projectedLeverage();
    if (before !== null && after !== null) {
      if (before.gt(limit)) stats.burstLeverageAboveLimitBefore += 1;
      stats.maxBurstLeverage = Math.max(stats.maxBurstLeverage, after.toNumber());
      const bound = Decimal.max(limit, before);
      if (after.gt(bound)) h.fail('(6b) projected leverage after a burst <= max(limit, leverage before)', `before ${before}, after ${after}, limit ${limit}`);
    }
    const results = await Promise.all(pending);
    return `${results.map(r => h.countPlace(r)).join('; ')}; projected leverage ${before?.toFixed(3)} -> ${after?.toFixed(3)}`;
  }
  toString(): string {
    return `burst [${this.specs.map(describeSpec).join(' | ')}]`;
  }
}

class Cancel extends Action {
  constructor(readonly pick: number) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    const id = h.pickOpen(this.pick);
    if (id === null) return 'no working order';
    stats.cancels += 1;
    const result = await h.system.coordinator.cancel(id);
    if (result.outcome === 'refused') stats.cancelsRefused += 1;
    return `${id}: ${result.outcome}${result.outcome === 'refused' ? ` (${result.error.message})` : ''}`;
  }
  toString(): string {
    return `cancel working order #${this.pick}`;
  }
}

class Modify extends Action {
  constructor(readonly pick: number, readonly addLots: number | null, readonly bps: number | null) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    const id = h.pickOpen(this.pick);
    if (id === null) return 'no working order';
    const order = h.system.state.order(id);
    const sym = order.symbol as Sym;
    const change: { quantity?: string; limitPrice?: string } = {};
    if (this.addLots !== null) change.quantity = order.filledQuantity.plus(SPEC[sym].lot.times(this.addLots)).toString();
    if (this.bps !== null && order.type === 'limit') change.limitPrice = onTick(h.markOf(sym).times(new Decimal(1).plus(new Decimal(this.bps).div(10_000))), SPEC[sym].tick).toString();
    if (change.quantity === undefined && change.limitPrice === undefined) change.quantity = order.quantity.toString();
    stats.modifies += 1;
    const result = await h.system.coordinator.modify(order.clientOrderId, change);
    if (result.outcome === 'refused') stats.modifiesRefused += 1;
    return `${order.clientOrderId} ${JSON.stringify(change)}: ${result.outcome}${result.outcome === 'refused' ? ` at ${result.stage} (${result.error.message})` : ''}`;
  }
  toString(): string {
    return `modify working order #${this.pick} (${this.addLots === null ? 'same qty' : `filled + ${this.addLots} lots`}, ${this.bps === null ? 'same price' : `mark${this.bps >= 0 ? '+' : ''}${this.bps}bp`})`;
  }
}

class TradeAgainst extends Action {
  constructor(readonly pick: number, readonly percent: number) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    const open = h.core.openOrders().sort((a, b) => a.clientOrderId.localeCompare(b.clientOrderId));
    if (open.length === 0) {
      stats.noops += 1;
      return 'no resting order';
    }
    const view = open[this.pick % open.length];
    const lot = SPEC[view.symbol as Sym].lot;
    const remainingLots = view.quantity.minus(view.filledQuantity).div(lot).toNumber();
    const lots = Math.max(1, Math.floor((remainingLots * this.percent) / 100));
    stats.tradeAgainst += 1;
    const fill = h.core.tradeAgainst(view.clientOrderId, lot.times(lots));
    return `${view.clientOrderId}: ${fill.quantity} of ${view.quantity.minus(view.filledQuantity)} left @ ${fill.price}`;
  }
  toString(): string {
    return `market trades ${this.percent}% of resting order #${this.pick}`;
  }
}

class MoveMark extends Action {
  constructor(readonly sym: Sym, readonly bps: number, readonly thin: boolean) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    stats.markMoves += 1;
    const price = onTick(h.markOf(this.sym).times(new Decimal(1).plus(new Decimal(this.bps).div(10_000))), SPEC[this.sym].tick);
    h.mark(this.sym, price, this.thin ? SPEC[this.sym].thin : DEEP);
    return `mark ${price}`;
  }
  toString(): string {
    return `move mark ${this.sym} ${this.bps >= 0 ? '+' : ''}${this.bps}bp, ${this.thin ? 'thin' : 'deep'} book`;
  }
}

/** Place while the network holds the order's request, crash before it arrives, restart and recover. */
class PlaceHeldThenCrash extends Action {
  constructor(readonly spec: OrderSpec) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    const heldBefore = h.gateway.heldClientOrderIds().length;
    h.gateway.failNextRequest('held');
    const placing = h.system.coordinator.place(h.input(this.spec));
    let placed: string | null = null;
    void placing.then(result => (placed = h.countPlace(result)));
    for (let turn = 0; turn < 20 && placed === null && h.gateway.heldClientOrderIds().length === heldBefore; turn += 1) await new Promise(resolve => setImmediate(resolve));
    let detail: string;
    if (h.gateway.heldClientOrderIds().length > heldBefore) {
      stats.heldRequests += 1;
      stats.placed += 1;
      stats.accepted += 1;
      detail = `held ${h.gateway.heldClientOrderIds().slice(-1)[0]}`;
    } else {
      // Refused before it was sent: nothing is on its way.
      h.gateway.clearScriptedOutages();
      detail = placed ?? h.countPlace(await placing);
    }
    stats.restarts += 1;
    stats.crashRestarts += 1;
    return `${detail}; crash; ${await h.restart()}`;
  }
  toString(): string {
    return `place ${describeSpec(this.spec)} with its request held on the network, then crash`;
  }
}

/** The held requests land at the broker, late; those past the receive window are refused there. */
class ReleaseHeld extends Action {
  async apply(h: Harness): Promise<string> {
    const held = h.gateway.heldClientOrderIds();
    if (held.length === 0) {
      stats.noops += 1;
      return 'nothing held';
    }
    const cancelled = held.filter(id => h.core.cancelledBeforeItArrived(id)).length;
    const { delivered, refused } = h.gateway.releaseHeldRequests();
    stats.heldDelivered += delivered - cancelled;
    stats.heldCancelledBeforeArrival += cancelled;
    stats.heldRefusedLate += refused;
    return `${held.join(', ')}: ${delivered} delivered (${cancelled} of them cancelled before arrival), ${refused} refused as too late`;
  }
  toString(): string {
    return 'the held requests reach the broker';
  }
}

/** The broker's receive window passes; the next synchronisation closes what can no longer arrive. */
class WindowPasses extends Action {
  async apply(h: Harness): Promise<string> {
    stats.windowPassed += 1;
    h.clock.advance(RECEIVE_WINDOW_MS + CLOCK_TOLERANCE_MS + 1000);
    const report = await h.system.synchronise('scheduled');
    stats.ordersClosedAfterWindow += report.ordersClosed;
    return `closed ${report.ordersClosed}, still working ${report.ordersStillWorking}`;
  }
  toString(): string {
    return 'the receive window passes, then a synchronisation';
  }
}

/**
 * Time moves past the receive window of the latest request held on the network but not past the
 * broker clock's tolerance, then a synchronisation: the order may still arrive at a broker whose
 * clock runs behind, so it stays in flight (invariant 9).
 */
class WindowPassesWithinTolerance extends Action {
  async apply(h: Harness): Promise<string> {
    const held = h.gateway.heldClientOrderIds().map(id => h.system.state.order(id)).filter(o => o.status === 'submitted' && o.signedAt !== undefined);
    const latest = held.map(o => Date.parse(o.signedAt!)).sort((a, b) => a - b).pop();
    const target = latest === undefined ? undefined : latest + RECEIVE_WINDOW_MS + CLOCK_TOLERANCE_MS / 2;
    if (target === undefined || target <= h.clock.now().getTime()) {
      stats.noops += 1;
      return 'no held request still within its window and tolerance';
    }
    stats.withinTolerance += 1;
    h.clock.advance(target - h.clock.now().getTime());
    const report = await h.system.synchronise('scheduled');
    return `closed ${report.ordersClosed}, still working ${report.ordersStillWorking}`;
  }
  toString(): string {
    return 'past the receive window of the latest held request, within the clock tolerance, then a synchronisation';
  }
}

/** Cancel an order the broker has not acknowledged, by its client order id. */
class CancelInFlight extends Action {
  constructor(readonly pick: number) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    const inFlight = [...h.system.state.orders.values()].filter(o => o.status === 'submitted').map(o => o.clientOrderId).sort();
    if (inFlight.length === 0) {
      stats.noops += 1;
      return 'nothing in flight';
    }
    const id = inFlight[this.pick % inFlight.length];
    stats.cancels += 1;
    const result = await h.system.coordinator.cancel(id);
    if (result.outcome === 'refused') stats.cancelsRefused += 1;
    return `${id}: ${result.outcome}${result.outcome === 'refused' ? ` (${result.error.message})` : ''}`;
  }
  toString(): string {
    return `cancel in-flight order #${this.pick}`;
  }
}

class Restart extends Action {
  async apply(h: Harness): Promise<string> {
    stats.restarts += 1;
    return h.restart();
  }
  toString(): string {
    return 'restart on the same log + recover';
  }
}

/** Place, then crash before the broker's reports are delivered, restart and recover. */
class PlaceThenCrash extends Action {
  constructor(readonly spec: OrderSpec) {
    super();
  }
  async apply(h: Harness): Promise<string> {
    const placed = h.countPlace(await h.system.coordinator.place(h.input(this.spec)));
    stats.restarts += 1;
    stats.crashRestarts += 1;
    return `${placed}; crash; ${await h.restart()}`;
  }
  toString(): string {
    return `place ${describeSpec(this.spec)} then crash before reports arrive`;
  }
}

const orderSpec: fc.Arbitrary<OrderSpec> = fc
  .record({
    sym: fc.constantFrom<Sym>(...SYMBOLS),
    side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
    type: fc.constantFrom<'market' | 'limit'>('market', 'limit', 'limit'),
    size: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 300 }), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 100_000 }), weight: 2 }),
    bps: fc.integer({ min: -300, max: 150 }),
    reduceOnly: fc.integer({ min: 0, max: 9 }).map(n => n === 0),
  })
  .map(({ sym, side, type, size, bps, reduceOnly }) => ({
    sym,
    side,
    type,
    // Large draws are scaled into the instrument's range, so some orders exceed max leverage.
    lots: size <= 300 ? size : Math.max(1, Math.round((size / 100_000) * SPEC[sym].maxLots)),
    // Positive offsets make buys cross (and sells rest deeper); mirrored for sells so both happen.
    bps: side === 'buy' ? bps : -bps,
    reduceOnly,
  }));

const actions = [
  { arbitrary: orderSpec.map(s => new Place(s) as Action), weight: 8 },
  { arbitrary: fc.array(orderSpec, { minLength: 2, maxLength: 4 }).map(s => new Burst(s) as Action), weight: 2 },
  { arbitrary: fc.nat(50).map(p => new Cancel(p) as Action), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.nat(50), fc.option(fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 400, max: 4000 }))), fc.option(fc.integer({ min: -300, max: 300 })))
      .map(([p, q, b]) => new Modify(p, q, b) as Action),
    weight: 2,
  },
  { arbitrary: fc.tuple(fc.nat(50), fc.integer({ min: 1, max: 100 })).map(([p, pct]) => new TradeAgainst(p, pct) as Action), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom<Sym>(...SYMBOLS), fc.integer({ min: -300, max: 300 }), fc.boolean())
      .map(([s, b, thin]) => new MoveMark(s, b, thin) as Action),
    weight: 2,
  },
  { arbitrary: fc.constant(null).map(() => new Restart() as Action), weight: 1 },
  { arbitrary: orderSpec.map(s => new PlaceThenCrash(s) as Action), weight: 1 },
  { arbitrary: orderSpec.map(s => new PlaceHeldThenCrash(s) as Action), weight: 1 },
  { arbitrary: fc.constant(null).map(() => new ReleaseHeld() as Action), weight: 2 },
  { arbitrary: fc.constant(null).map(() => new WindowPasses() as Action), weight: 1 },
  { arbitrary: fc.constant(null).map(() => new WindowPassesWithinTolerance() as Action), weight: 1 },
  { arbitrary: fc.nat(50).map(p => new CancelInFlight(p) as Action), weight: 2 },
];

test('order flow: local state, broker and event log agree after every random action', async t => {
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.commands([fc.oneof(...actions)], { maxCommands: MAX_ACTIONS, size: 'max' }), async commands => {
      stats.runs += 1;
      const harness = new Harness();
      try {
        await fc.asyncModelRun(() => ({ model: {} as Model, real: harness }), commands);
      } finally {
        harness.dispose();
      }
    }),
    { seed: SEED, numRuns: NUM_RUNS },
  );
  const summary = `${JSON.stringify(stats)} runtime ${Date.now() - started} ms`;
  t.diagnostic(summary);
  console.log(summary);
});
