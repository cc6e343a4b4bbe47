import { Clock, Decimal, ZERO, TradingError, describeError, parseDecimal } from '../shared';
import { Order, positionNotional, unrealizedPnl, markFor } from '../model';
import { ReconciliationBoard, StoredEvent, TradingLedger, isTradingState, TradingState } from '../state';
import { Alert, Logger, SILENT_LOGGER, Telemetry } from '../telemetry';
import { brokerClockOffset } from '../execution/broker-gateway';
import type { BrokerBalance, BrokerErrorLog, BrokerFill, BrokerGateway, BrokerOrderView, BrokerPosition, LiveExecutionEngine } from '../execution';
import { inferFill } from '../recovery/fill-inference';
import type { InFlightResolver } from '../recovery/in-flight-resolver';
import { Finding, orderEvidence, compareBalances, compareOrderTotals, compareOrders, comparePositions, compareTrades } from './compare-books';
import {
  BookChange,
  CLASS_POLICIES,
  DiscrepancyRecord,
  PortfolioFigures,
  ReconciliationPart,
  ReconciliationPartOutcome,
  ReconciliationPolicy,
  ReconciliationRunPayload,
  ResolutionDecision,
  RESOLUTION_DECISIONS,
  policySettingKey,
  discrepancyRecord,
} from './discrepancy';

/** The only role that may decide a queue item (the same that resets a breaker by hand). */
export const RECONCILIATION_ROLE = 'risk officer';
/** Fills asked for per page of the broker's history. */
export const HISTORY_PAGE_SIZE = 500;
const ACTOR = 'reconciliation';
/** Differences of one order's fills: once one is in the queue (or decided), the others of that order belong to it. */
const ORDER_DISPUTE_CLASSES: ReadonlySet<string> = new Set(['missing fill', 'unknown fill', 'trade mismatch', 'broker filled less', 'status mismatch']);
/** Reads of the broker's positions and cash before a difference is recorded: reports on their way have their turn in between. */
const SETTLE_READS = 5;

export interface ReconciliationServicePorts {
  readonly ledger: TradingLedger;
  readonly engine: LiveExecutionEngine;
  readonly inFlight: InFlightResolver;
  readonly broker: () => BrokerGateway;
  readonly telemetry: Telemetry;
  readonly brokerErrors: BrokerErrorLog;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Waits before a retry; real time by default (a retry waits for the broker, not for business time). */
  readonly delay?: (ms: number) => Promise<void>;
}

type Answer<T> = { ok: true; value: T; attempts: number; note?: string } | { ok: false; attempts: number; reason: string };

/** A decision a risk officer takes on an item. */
export interface ResolutionRequest {
  readonly itemId: string;
  readonly decision: ResolutionDecision;
  readonly actor: string;
  readonly role: string;
  readonly reason: string;
  /** For "adjust": the figures the books take instead of ours or the broker's. */
  readonly adjustment?: { readonly netQuantity?: string; readonly averageEntryPrice?: string; readonly cash?: string };
}

/**
 * One reconciliation of the system's books with the broker's: orders, then fills, then positions
 * (REFERENCE.md), then cash per currency, the portfolio, the leverage the broker holds and its
 * clock. Each difference is a row with the policy its class is set to and what became of it; what a
 * policy cannot decide goes to the manual queue, which caps the trading state until a risk officer
 * decides. A broker query that fails after its retries leaves its part unseen: the run is recorded
 * as incomplete with what it could not see, and nothing it did not see reads as empty or flat.
 */
export class ReconciliationService {
  private running: Promise<ReconciliationRunPayload> | null = null;
  private readonly delay: (ms: number) => Promise<void>;

  constructor(private readonly ports: ReconciliationServicePorts) {
    this.delay = ports.delay ?? (ms => new Promise(resolve => setTimeout(resolve, ms)));
  }

  /** One run at a time: a request while one runs joins it. */
  run(trigger: string): Promise<ReconciliationRunPayload> {
    this.running ??= this.runOnce(trigger).finally(() => (this.running = null));
    return this.running;
  }

  /** Resolves when the run in progress, if any, has been recorded. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private get board(): ReconciliationBoard {
    return this.ports.ledger.state.reconciliation;
  }

  private setting(key: string): string {
    return this.ports.ledger.state.settings.snapshot()[key];
  }

  private policyOf(finding: Finding): ReconciliationPolicy {
    const value = this.setting(policySettingKey(finding.class));
    const allowed = CLASS_POLICIES[finding.class];
    return (allowed as readonly string[]).includes(value) ? (value as ReconciliationPolicy) : allowed[0];
  }

  private async runOnce(trigger: string): Promise<ReconciliationRunPayload> {
    const broker = this.ports.broker();
    const state = this.ports.ledger.state;
    const runId = `RUN-${state.reconciliation.runs + 1}`;
    const startedAt = this.ports.clock.now().toISOString();
    const parts = new Map<ReconciliationPart, ReconciliationPartOutcome>();
    const rows: DiscrepancyRecord[] = [];
    let records = 0;
    const skip = (part: ReconciliationPart, answer: { attempts: number; reason: string }) => parts.set(part, { part, status: 'skipped', attempts: answer.attempts, reason: answer.reason, records: 0 });
    const checked = (part: ReconciliationPart, attempts: number, count: number, reason?: string) => {
      records += count;
      parts.set(part, { part, status: 'checked', attempts, records: count, ...(reason ? { reason } : {}) });
    };

    // What the broker has, each part asked for with retries; a part that fails stays unseen.
    // Live reports wait while the broker's orders and history are read and applied, so no fill overtakes an older one the history holds.
    const release = this.ports.engine.holdReports();
    let positions: Answer<BrokerPosition[]>;
    let balance: Answer<BrokerBalance>;
    try {
      // The broker's books at the start (what accepting its value would set), then its orders, then its history:
      // read in that order, every fill an order's totals count is already in the history read after them.
      positions = await this.ask(broker, 'positions', () => broker.positions());
      balance = await this.ask(broker, 'balance', () => broker.balance());
      const open = await this.ask(broker, 'openOrders', () => broker.openOrders());
      const views = new Map<string, BrokerOrderView | undefined>();
      let ordersFailed: { attempts: number; reason: string } | null = open.ok ? null : open;
      let orderAttempts = open.attempts;
      if (open.ok) {
        for (const view of open.value) views.set(view.clientOrderId, view);
        for (const order of state.workingOrders()) {
          if (views.has(order.clientOrderId)) continue;
          const answer = await this.ask(broker, 'getOrder', () => broker.getOrder(order.clientOrderId));
          orderAttempts += answer.attempts;
          if (!answer.ok) {
            ordersFailed = { attempts: orderAttempts, reason: `order ${order.clientOrderId}: ${answer.reason}` };
            break;
          }
          views.set(order.clientOrderId, answer.value);
        }
      }
      const history = await this.readHistory(broker);

      // 1. Orders: the broker's open ones against ours, and each working order asked for by id.
      if (open.ok) {
        const attempts = orderAttempts;
        if (ordersFailed) skip('orders', ordersFailed);
        else {
          const working = state.workingOrders();
          const findings = compareOrders(working, id => state.orders.has(id), open.value, id => views.get(id));
          for (const finding of findings) rows.push(await this.handle(finding, runId, { positions, balance }));
          checked('orders', attempts, open.value.length + working.length);
        }
      } else skip('orders', open);

      // 2. Trades by id, after the orders (an adopted order's fills count).
      if (history.ok) {
        // Disputes first: a fill the broker lacks puts its order's other differences under the same item.
        const compared = compareTrades(state.fills, history.value, id => state.orders.has(id), state.reconciliation.quarantinedTrades).sort((a, b) => Number(b.dispute === true) - Number(a.dispute === true));
        // A dispute carries its evidence: both sides' fills of the order and the broker's own view of it, asked by id.
        const findings: Finding[] = [];
        for (const finding of compared) {
          const id = finding.subject.clientOrderId;
          if (!finding.dispute || !id) {
            findings.push(finding);
            continue;
          }
          if (!views.has(id)) {
            const answer = await this.ask(broker, 'getOrder', () => broker.getOrder(id));
            if (answer.ok) views.set(id, answer.value);
          }
          findings.push({ ...finding, evidence: orderEvidence(state.orders.get(id), views.get(id), [...state.fills.values()].filter(f => f.clientOrderId === id), history.value.filter(f => f.clientOrderId === id)) });
        }
        this.ports.ledger.batch(() => {
          for (const finding of findings) rows.push(this.handleNow(finding, runId, { positions, balance }));
        });
        checked('trades', history.attempts, history.value.length, history.note);
      } else skip('trades', history);

      // 3. Order totals: what the broker counts filled beyond the history, and orders it closed.
      if (parts.get('orders')?.status === 'checked') {
        const brokerFills = groupBy(history.ok ? history.value : [], f => f.clientOrderId);
        const ourFills = groupBy([...state.fills.values()], f => f.clientOrderId);
        const answered = [...views.entries()].filter(([, v]) => v !== undefined).map(([id]) => state.orders.get(id)).filter((o): o is Order => o !== undefined);
        const findings = compareOrderTotals(answered, id => views.get(id), id => ourFills.get(id) ?? [], id => brokerFills.get(id) ?? []);
        for (const finding of findings) rows.push(await this.handle(finding, runId, { positions, balance }));
      }
    } finally {
      release();
    }

    // 4, 5. Positions (quantity within a lot, average within 0.01 %) and cash per currency, read again now that
    // the held reports are applied; a difference is read again after pending reports had their turn.
    const tolerance = new Decimal(this.setting('reconciliation_cash_tolerance'));
    const lots = (symbol: string) => state.instruments.get(symbol).lotSize;
    for (let read = 1; ; read += 1) {
      const findings = [
        ...(positions.ok ? comparePositions([...state.positions.values()], positions.value, lots) : []),
        ...(balance.ok ? compareBalances(new Map([[state.currency, state.account().cash]]), [balance.value], tolerance) : []),
      ];
      if (findings.length === 0 || read >= SETTLE_READS) {
        for (const finding of findings) rows.push(await this.handle(finding, runId, { positions, balance }));
        break;
      }
      await new Promise(resolve => setImmediate(resolve));
      positions = await this.ask(broker, 'positions', () => broker.positions());
      balance = await this.ask(broker, 'balance', () => broker.balance());
    }
    if (positions.ok) checked('positions', positions.attempts, new Set([...state.positions.keys(), ...positions.value.map(p => p.symbol)]).size);
    else skip('positions', positions);
    if (balance.ok) checked('balances', balance.attempts, 1);
    else skip('balances', balance);

    // 6. The portfolio both ways, the broker's at our marks.
    let portfolio: ReconciliationRunPayload['portfolio'];
    if (positions.ok && balance.ok) {
      portfolio = { ours: this.ourPortfolio(), broker: this.brokerPortfolio(positions.value, balance.value) };
      for (const figure of ['equity', 'marginUsed', 'unrealizedPnl'] as const) {
        const ours = new Decimal(portfolio.ours[figure]);
        const theirs = new Decimal(portfolio.broker[figure]);
        if (ours.eq(theirs)) continue;
        rows.push(discrepancyRecord({ class: 'portfolio mismatch', part: 'portfolio', subject: { figure: FIGURE_NAMES[figure] }, ours: ours.toString(), broker: theirs.toString(), difference: theirs.minus(ours).toString(), tolerance: null }, 'report', 'follows from the rows above', []));
      }
      checked('portfolio', 0, 3);
    } else parts.set('portfolio', { part: 'portfolio', status: 'skipped', attempts: 0, reason: 'needs the positions and the balance', records: 0 });

    // 7. The leverage the broker holds per symbol against the settings.
    await this.reconcileLeverage(broker, runId, rows, parts, n => (records += n));

    // 8. The broker's clock.
    const clockOffsetMs = await this.measureClock(broker, runId, rows, parts);

    const skipped = [...parts.values()].filter(p => p.status === 'skipped');
    const payload: ReconciliationRunPayload = {
      runId,
      trigger,
      broker: broker.name,
      status: skipped.length === 0 ? 'complete' : 'incomplete',
      parts: [...parts.values()],
      discrepancies: rows,
      ...(portfolio ? { portfolio } : {}),
      ...(clockOffsetMs !== undefined ? { clockOffsetMs } : {}),
      records,
      startedAt,
    };
    this.ports.ledger.record({ type: 'ReconciliationCompleted', payload });
    this.count(payload);
    return payload;
  }

  private count(payload: ReconciliationRunPayload): void {
    const { telemetry } = this.ports;
    telemetry.increment('reconciliation.runs');
    telemetry.increment(`reconciliation.runs.${payload.status}`);
    for (const row of payload.discrepancies) telemetry.increment(`reconciliation.discrepancies.${row.class.replace(/ /g, '_')}`);
    (this.ports.logger ?? SILENT_LOGGER).log(payload.status === 'complete' ? 'info' : 'warn', 'reconciliation run', { runId: payload.runId, trigger: payload.trigger, status: payload.status, discrepancies: payload.discrepancies.length, records: payload.records });
    const after = Number(this.setting('reconciliation_incomplete_alert_after'));
    const inARow = this.board.incompleteInARow;
    if (payload.status === 'incomplete' && inARow >= after) {
      const unseen = payload.parts.filter(p => p.status === 'skipped').map(p => p.part).join(', ');
      this.raise({ level: 'critical', observed: `${inARow} incomplete runs in a row`, limit: `${after}`, message: `reconciliation could not see ${unseen} in ${inARow} runs in a row (last: ${payload.runId})` });
    }
  }

  private raise(alert: Pick<Alert, 'level' | 'observed' | 'limit' | 'message'>): void {
    this.ports.telemetry.alert({ breaker: 'reconciliation', at: this.ports.clock.now().toISOString(), ...alert });
  }

  /** A broker query with retries and doubling backoff; the last failure is on record with what it left unseen. */
  private async ask<T>(broker: BrokerGateway, operation: string, query: () => Promise<T>): Promise<Answer<T>> {
    const attempts = Number(this.setting('reconciliation_retry_attempts'));
    const base = Number(this.setting('reconciliation_retry_base_ms'));
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        return { ok: true, value: await query(), attempts: attempt };
      } catch (error) {
        last = error;
        if (attempt < attempts) {
          const delayMs = base * 2 ** (attempt - 1);
          this.ports.ledger.record({ type: 'BrokerRequestRetried', payload: { broker: broker.name, operation: `reconciliation ${operation}`, attempt, delayMs, errorKind: describeError(error).kind } });
          await this.delay(delayMs);
        }
      }
    }
    this.ports.brokerErrors.record(last, { broker: broker.name, operation, saw: { reconciliation: `${operation} failed ${attempts} times; that part of the run is left unseen, never read as empty` } });
    return { ok: false, attempts, reason: `${operation} failed ${attempts} times: ${describeError(last).message}` };
  }

  /**
   * The broker's whole fill history, page by page. A page whose cursor moves past more fills than
   * it holds has a hole: that window is read again before the history is compared; a hole that
   * stays leaves the trades unseen.
   */
  private async readHistory(broker: BrokerGateway): Promise<Answer<BrokerFill[]>> {
    const fills: BrokerFill[] = [];
    let attempts = 0;
    const reread: string[] = [];
    let cursor = 0;
    for (let pages = 0; ; pages += 1) {
      let page;
      for (let read = 1; ; read += 1) {
        const answer = await this.ask(broker, 'fills', () => broker.fills(cursor, HISTORY_PAGE_SIZE));
        attempts += answer.attempts;
        if (!answer.ok) return answer;
        page = answer.value;
        if (page.cursor < cursor || (page.more && page.cursor === cursor)) {
          return { ok: false, attempts, reason: `the broker answered fills from ${cursor} with a page that goes back or does not move (cursor ${page.cursor})` };
        }
        const hole = page.cursor - cursor - page.fills.length;
        if (hole <= 0) break;
        if (read >= Number(this.setting('reconciliation_retry_attempts'))) {
          // A hole that stays is the venue's own: trades it removed (busted) keep their place in its history.
          reread.push(`window ${cursor}-${page.cursor} still lacks ${hole} trade(s) after ${read} reads: removed by the venue`);
          break;
        }
        reread.push(`window ${cursor}-${page.cursor} lacked ${hole} fill(s): read again`);
      }
      fills.push(...page.fills);
      cursor = page.cursor;
      if (!page.more) return { ok: true, value: fills, attempts, ...(reread.length > 0 ? { note: reread.join('; ') } : {}) };
      if (pages > 1_000_000) return { ok: false, attempts, reason: 'the fill history does not end' };
    }
  }

  private ourPortfolio(): PortfolioFigures {
    const account = this.ports.ledger.state.account();
    return { equity: account.equity.toString(), marginUsed: account.marginUsed.toString(), unrealizedPnl: account.unrealizedPnl.toString(), cash: account.cash.toString() };
  }

  private brokerPortfolio(positions: readonly BrokerPosition[], balance: BrokerBalance): PortfolioFigures {
    const state = this.ports.ledger.state;
    let unrealized = ZERO;
    let margin = ZERO;
    for (const p of positions) {
      const position = { symbol: p.symbol, netQuantity: p.netQuantity, averageEntryPrice: p.averageEntryPrice, realizedPnl: p.realizedPnl, fees: ZERO };
      const mark = markFor(state.marks, position);
      unrealized = unrealized.plus(unrealizedPnl(position, mark));
      margin = margin.plus(positionNotional(position, mark).times(state.instruments.get(p.symbol).initialMarginRate));
    }
    return { equity: balance.cash.plus(unrealized).toString(), marginUsed: margin.toString(), unrealizedPnl: unrealized.toString(), cash: balance.cash.toString() };
  }

  private async reconcileLeverage(broker: BrokerGateway, runId: string, rows: DiscrepancyRecord[], parts: Map<ReconciliationPart, ReconciliationPartOutcome>, count: (n: number) => void): Promise<void> {
    if (!broker.leverage) {
      parts.set('leverage', { part: 'leverage', status: 'not offered', attempts: 0, records: 0 });
      return;
    }
    const read = broker.leverage.bind(broker);
    const answer = await this.ask(broker, 'leverage', () => read());
    if (!answer.ok) {
      parts.set('leverage', { part: 'leverage', status: 'skipped', attempts: answer.attempts, reason: answer.reason, records: 0 });
      return;
    }
    const ours = new Decimal(this.setting('position_leverage'));
    for (const { symbol, leverage } of answer.value) {
      if (leverage.eq(ours)) continue;
      const finding: Finding = { class: 'leverage mismatch', part: 'leverage', subject: { symbol }, ours: `${ours.toString()}x`, broker: `${leverage.toString()}x`, difference: leverage.minus(ours).toString(), tolerance: null };
      rows.push(await this.handle(finding, runId, {}));
    }
    count(answer.value.length);
    parts.set('leverage', { part: 'leverage', status: 'checked', attempts: answer.attempts, records: answer.value.length });
  }

  /** The broker's clock against ours, from the midpoint of the request that asked it. */
  private async measureClock(broker: BrokerGateway, runId: string, rows: DiscrepancyRecord[], parts: Map<ReconciliationPart, ReconciliationPartOutcome>): Promise<number | undefined> {
    if (!broker.brokerTime) {
      parts.set('clock', { part: 'clock', status: 'not offered', attempts: 0, records: 0 });
      return undefined;
    }
    const read = broker.brokerTime.bind(broker);
    const answer = await this.ask(broker, 'time', () => read());
    if (!answer.ok) {
      parts.set('clock', { part: 'clock', status: 'skipped', attempts: answer.attempts, reason: answer.reason, records: 0 });
      return undefined;
    }
    const offsetMs = Math.round(brokerClockOffset(answer.value).offsetMs);
    const tolerance = Number(this.setting('broker_clock_offset_alert_ms'));
    parts.set('clock', { part: 'clock', status: 'checked', attempts: answer.attempts, records: 1 });
    if (Math.abs(offsetMs) > tolerance) {
      const finding: Finding = { class: 'clock offset', part: 'clock', subject: {}, ours: 'our clock', broker: `${offsetMs > 0 ? '+' : ''}${offsetMs} ms`, difference: String(offsetMs), tolerance: `${tolerance} ms` };
      rows.push(await this.handle(finding, runId, {}));
    }
    return offsetMs;
  }

  /** Apply the policy of a finding's class (one that may ask the broker: a cancel). */
  private async handle(finding: Finding, runId: string, brokerBooks: BrokerBooks): Promise<DiscrepancyRecord> {
    if (finding.class === 'order unknown here' && this.policyOf(finding) === 'cancel' && finding.view) {
      const id = finding.view.clientOrderId;
      try {
        await this.ports.broker().cancel(id);
        return discrepancyRecord(finding, 'cancel', 'cancelled at the broker: the system never sent it', []);
      } catch (error) {
        this.ports.brokerErrors.record(error, { broker: this.ports.broker().name, operation: 'cancel', clientOrderId: id, saw: { reconciliation: `could not cancel ${id}, an order the system never sent; asked again next run` } });
        return discrepancyRecord(finding, 'cancel', `cancel failed (${describeError(error).kind}); asked again next run`, []);
      }
    }
    return this.handleNow(finding, runId, brokerBooks);
  }

  private handleNow(finding: Finding, runId: string, brokerBooks: BrokerBooks): DiscrepancyRecord {
    const { ledger, engine } = this.ports;
    const policy = this.policyOf(finding);
    const key = ReconciliationBoard.subjectKey(finding.class, finding.subject);
    const open = this.board.openItemFor(key);
    if (open) return discrepancyRecord(finding, policy, `open as item ${open.itemId}, waiting for a risk officer`, [], open.itemId);
    if (this.board.kept.get(key) === finding.broker) return discrepancyRecord(finding, policy, "decided by a risk officer; the broker still shows the same", []);
    const decided = finding.subject.clientOrderId ? this.board.decidedOrders.get(finding.subject.clientOrderId) : undefined;
    if (decided && ORDER_DISPUTE_CLASSES.has(finding.class)) return discrepancyRecord(finding, policy, `decided by a risk officer with item ${decided}`, [], decided);
    const underDispute = ORDER_DISPUTE_CLASSES.has(finding.class) ? this.openItemOnOrder(finding.subject.clientOrderId) : undefined;
    if (underDispute) return discrepancyRecord(finding, policy, `part of item ${underDispute}`, [], underDispute);
    if (policy === 'escalate') return this.escalate(finding, runId, brokerBooks);
    switch (finding.class) {
      case 'missing fill': {
        const fill = finding.fill ?? (finding.order && finding.view ? inferFill(finding.order, finding.view, this.ports.clock.now()) : null);
        if (!fill) return discrepancyRecord(finding, policy, 'nothing to infer', []);
        const event = engine.applyFill(fill, finding.fill ? { fromHistory: true } : { inferred: true });
        if (!event) return discrepancyRecord(finding, policy, `fill ${fill.tradeId} refused by the books (see FillRejected)`, []);
        return discrepancyRecord(finding, policy, finding.fill ? `applied from the broker's history as ${fill.tradeId}` : `inferred fill ${fill.tradeId} of ${fill.quantity.toString()} at ${fill.price.toString()} applied`, [event.seq]);
      }
      case 'fill for unknown order': {
        const fill = finding.fill as BrokerFill;
        const event = ledger.record({ type: 'TradeQuarantined', payload: { tradeId: fill.tradeId, clientOrderId: fill.clientOrderId, symbol: fill.symbol, side: fill.side, quantity: fill.quantity.toString(), price: fill.price.toString(), reason: `${runId}: no order ${fill.clientOrderId} here` } });
        return discrepancyRecord(finding, policy, 'quarantined: kept aside, not applied', [event.seq]);
      }
      case 'order unknown at broker': {
        const order = finding.order as Order;
        const needed = Number(this.setting('reconciliation_unknown_order_misses'));
        const misses = (this.board.unknownAtBroker.get(order.clientOrderId) ?? 0) + 1;
        if (misses < needed) return discrepancyRecord(finding, policy, `miss ${misses} of ${needed}: asked again next run`, []);
        const before = ledger.store.length;
        const closed = this.ports.inFlight.closeUnknownOrder(order, `reconciliation ${runId} (miss ${misses} of ${needed})`);
        return discrepancyRecord(finding, policy, closed ? `closed after ${misses} misses: not known at the broker` : `miss ${misses} of ${needed}, but its request may still arrive: kept in flight`, closed ? [before + 1] : []);
      }
      case 'order unknown here': {
        const view = finding.view as BrokerOrderView;
        const event = ledger.record({
          type: 'OrderAdopted',
          payload: { clientOrderId: view.clientOrderId, brokerOrderId: view.brokerOrderId, symbol: view.symbol, side: view.side, orderType: view.type, quantity: view.quantity.toString(), ...(view.limitPrice ? { limitPrice: view.limitPrice.toString() } : {}), owner: 'external', reason: `open at the broker, unknown here (${runId})` },
        });
        return discrepancyRecord(finding, policy, 'adopted as an external order', [event.seq]);
      }
      case 'status mismatch': {
        const view = finding.view as BrokerOrderView;
        const reason = `broker reports ${view.status} (${runId})`;
        const event = view.status === 'expired'
          ? ledger.record({ type: 'OrderExpired', payload: { clientOrderId: view.clientOrderId, reason } })
          : ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: view.clientOrderId, reason } });
        return discrepancyRecord(finding, policy, `closed as the broker has it: ${view.status}`, [event.seq]);
      }
      case 'order terms mismatch': {
        const view = finding.view as BrokerOrderView;
        const before = ledger.store.length;
        engine.recordReplaced(view.clientOrderId, view.quantity, view.limitPrice);
        return discrepancyRecord(finding, policy, "the broker's terms adopted", ledger.store.length > before ? [ledger.store.length] : []);
      }
      case 'quantity mismatch':
      case 'average price mismatch': {
        const explained = this.explainedBy(finding);
        if (explained) return discrepancyRecord(finding, policy, `follows from item ${explained}`, [], explained);
        const p = finding.brokerPosition as NonNullable<Finding['brokerPosition']>;
        const event = ledger.record({ type: 'BooksAdjusted', payload: { source: ACTOR, reason: `${runId}: the broker's position adopted`, position: { symbol: p.symbol, netQuantity: p.netQuantity.toString(), averageEntryPrice: p.averageEntryPrice.toString() } } });
        return discrepancyRecord(finding, policy, "the broker's position adopted", [event.seq]);
      }
      case 'balance drift': {
        const explained = this.explainedBy(finding);
        if (explained) return discrepancyRecord(finding, policy, `follows from item ${explained}`, [], explained);
        return this.adoptCash(finding, runId, policy);
      }
      case 'within tolerance':
        return discrepancyRecord(finding, policy, `tolerated: within ${finding.tolerance} (fees or rounding)`, []);
      case 'leverage mismatch':
      case 'clock offset':
        this.raise({ level: 'warning', observed: finding.broker, limit: finding.tolerance ?? finding.ours, message: `${finding.class}${finding.subject.symbol ? ` on ${finding.subject.symbol}` : ''}: ours ${finding.ours}, the broker's ${finding.broker}` });
        return discrepancyRecord(finding, policy, 'alerted', []);
      default:
        return this.escalate(finding, runId, brokerBooks);
    }
  }

  private adoptCash(finding: Finding, runId: string, policy: ReconciliationPolicy): DiscrepancyRecord {
    const cash = finding.brokerCash as NonNullable<Finding['brokerCash']>;
    const amount = cash.amount.minus(this.ports.ledger.state.account().cash);
    const event = this.ports.ledger.record({ type: 'BooksAdjusted', payload: { source: ACTOR, reason: `${runId}: the broker's cash adopted`, cash: { currency: cash.currency, amount: amount.toString() } } });
    return discrepancyRecord(finding, policy, `the broker's cash adopted (${amount.toString()})`, [event.seq]);
  }

  private openItemOnOrder(clientOrderId: string | undefined): string | undefined {
    if (!clientOrderId) return undefined;
    for (const item of this.board.openItems.values()) if (item.discrepancy.subject.clientOrderId === clientOrderId) return item.itemId;
    return undefined;
  }

  /** A position or cash difference that an open item already covers (a dispute on an order of that symbol). */
  private explainedBy(finding: Finding): string | undefined {
    for (const item of this.board.openItems.values()) {
      const d = item.discrepancy;
      if (finding.subject.symbol && d.subject.symbol === finding.subject.symbol && d.class !== finding.class) return item.itemId;
      if (finding.subject.currency && item.brokerValue.some(c => c.kind === 'cash')) return item.itemId;
    }
    return undefined;
  }

  private escalate(finding: Finding, runId: string, brokerBooks: BrokerBooks): DiscrepancyRecord {
    const explained = finding.part === 'positions' || finding.part === 'balances' ? this.explainedBy(finding) : undefined;
    if (explained) return discrepancyRecord(finding, 'escalate', `follows from item ${explained}`, [], explained);
    const itemId = `R-${this.board.itemsOpened + 1}`;
    const brokerValue = this.brokerValueFor(finding, brokerBooks);
    const { fill: _fill, view: _view, order: _order, brokerPosition: _position, brokerCash: _cash, evidence, ...row } = finding;
    const event = this.ports.ledger.record({
      type: 'ReconciliationItemEscalated',
      payload: { itemId, runId, discrepancy: { ...row, policy: 'escalate', resolution: 'waiting for a risk officer' }, evidence: evidence ?? {}, brokerValue },
    });
    this.ports.telemetry.increment('reconciliation.escalated');
    return discrepancyRecord(finding, 'escalate', `escalated as item ${itemId}`, [event.seq], itemId);
  }

  /** What accepting the broker's value would set: the symbol's position and the cash as the broker has them. */
  private brokerValueFor(finding: Finding, books: BrokerBooks): BookChange[] {
    const changes: BookChange[] = [];
    const symbol = finding.subject.symbol;
    if (symbol && finding.part !== 'leverage') {
      const position = finding.brokerPosition ?? (books.positions?.ok ? positionIn(books.positions.value, symbol) : undefined);
      if (position) changes.push({ kind: 'position', symbol, netQuantity: position.netQuantity.toString(), averageEntryPrice: position.averageEntryPrice.toString() });
    }
    const cash = finding.brokerCash ?? (symbol && books.balance?.ok ? { currency: books.balance.value.currency, amount: books.balance.value.cash } : undefined);
    if (cash) changes.push({ kind: 'cash', currency: cash.currency, amount: cash.amount.toString() });
    return changes;
  }

  /**
   * A risk officer's decision on an item, through the normal write path: the decision is an event,
   * and the books change only by the adjustments it records. Anyone else is refused, on record.
   */
  resolve(request: ResolutionRequest): StoredEvent {
    const { ledger } = this.ports;
    const refuse = (errorKind: 'NotPermitted' | 'UnknownReconciliationItem' | 'InvalidInput', detail: string): never => {
      ledger.record({ type: 'ReconciliationResolutionRefused', payload: { itemId: request.itemId, actor: request.actor, role: request.role, reason: request.reason, errorKind, detail } });
      throw new TradingError(errorKind, detail, { itemId: request.itemId, actor: request.actor, role: request.role });
    };
    if (request.role !== RECONCILIATION_ROLE) refuse('NotPermitted', `${request.actor || 'someone'} is a ${request.role || 'person without a role'}; only a ${RECONCILIATION_ROLE} may decide a reconciliation item`);
    const item = this.board.openItems.get(request.itemId);
    if (!item) refuse('UnknownReconciliationItem', `no open reconciliation item ${request.itemId}`);
    if (!RESOLUTION_DECISIONS.includes(request.decision)) refuse('InvalidInput', `a decision is one of ${RESOLUTION_DECISIONS.join(', ')}`);
    if (!request.reason.trim()) refuse('InvalidInput', 'a decision needs a reason');
    const open = item as NonNullable<typeof item>;
    const changes = request.decision === 'accept broker' ? [...open.brokerValue] : request.decision === 'keep ours' ? [] : adjustmentChanges(open, request, refuse);
    return ledger.batch(() => {
      const resolved = ledger.record({ type: 'ReconciliationItemResolved', payload: { itemId: open.itemId, decision: request.decision, actor: request.actor, role: request.role, reason: request.reason, changes } });
      const why = `item ${open.itemId}, ${request.decision} by ${request.actor}: ${request.reason}`;
      for (const change of changes) {
        if (change.kind === 'position') {
          ledger.record({ type: 'BooksAdjusted', payload: { source: request.actor, reason: why, itemId: open.itemId, position: { symbol: change.symbol, netQuantity: change.netQuantity, averageEntryPrice: change.averageEntryPrice } } });
        } else {
          const amount = new Decimal(change.amount).minus(ledger.state.account().cash);
          if (!amount.isZero()) ledger.record({ type: 'BooksAdjusted', payload: { source: request.actor, reason: why, itemId: open.itemId, cash: { currency: change.currency, amount: amount.toString() } } });
        }
      }
      return resolved;
    });
  }

  /** The trading state the queue allows while it has items (REDUCE_ONLY unless the setting says otherwise). */
  queueCap(): { state: TradingState; reason: string } | null {
    const items = this.board.openItems.size;
    if (items === 0) return null;
    const value = this.setting('reconciliation_queue_trading_state');
    const state = isTradingState(value) ? value : 'REDUCE_ONLY';
    return { state, reason: `${items} reconciliation item${items === 1 ? '' : 's'} waiting for a risk officer (${[...this.board.openItems.keys()].join(', ')})` };
  }
}

interface BrokerBooks {
  readonly positions?: Answer<BrokerPosition[]>;
  readonly balance?: Answer<BrokerBalance>;
}

const FIGURE_NAMES = { equity: 'equity', marginUsed: 'margin used', unrealizedPnl: 'unrealized P&L' } as const;

function positionIn(positions: readonly BrokerPosition[], symbol: string): { netQuantity: Decimal; averageEntryPrice: Decimal } {
  const p = positions.find(x => x.symbol === symbol);
  return { netQuantity: p?.netQuantity ?? ZERO, averageEntryPrice: p?.averageEntryPrice ?? ZERO };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function adjustmentChanges(item: { brokerValue: readonly BookChange[]; discrepancy: { subject: { symbol?: string; currency?: string } } }, request: ResolutionRequest, refuse: (kind: 'InvalidInput', detail: string) => never): BookChange[] {
  const adjustment = request.adjustment;
  if (!adjustment) return refuse('InvalidInput', 'an adjustment needs the figures the books take');
  const figure = (value: string, field: string) => {
    try {
      return parseDecimal(value, field).toString();
    } catch (error) {
      return refuse('InvalidInput', describeError(error).message);
    }
  };
  const changes: BookChange[] = [];
  const symbol = item.discrepancy.subject.symbol ?? item.brokerValue.find(c => c.kind === 'position')?.symbol;
  if (adjustment.netQuantity !== undefined) {
    if (!symbol) refuse('InvalidInput', 'this item has no position to adjust');
    changes.push({ kind: 'position', symbol: symbol as string, netQuantity: figure(adjustment.netQuantity, 'quantity'), averageEntryPrice: figure(adjustment.averageEntryPrice ?? '0', 'average entry price') });
  }
  if (adjustment.cash !== undefined) changes.push({ kind: 'cash', currency: item.discrepancy.subject.currency ?? 'USD', amount: figure(adjustment.cash, 'cash') });
  if (changes.length === 0) refuse('InvalidInput', 'an adjustment needs a quantity or a cash amount');
  return changes;
}
