import { Clock, TradingError, describeError } from '../shared';
import { isTerminal } from '../model';
import { TradingLedger } from '../state';
import { Logger, SILENT_LOGGER } from '../telemetry';
import { BrokerGateway, BrokerErrorLog, LiveExecutionEngine } from '../execution';
import type { PositionReconciler } from '../reconciliation/position-reconciler';
import { inferFill } from './fill-inference';
import { InFlightResolver } from './in-flight-resolver';

/** Fills asked for per page of the broker's history: about 40 KiB of JSON, well inside MAX_BODY_BYTES. */
export const FILL_PAGE_SIZE = 200;

export interface RecoveryReport {
  readonly eventsReplayed: number;
  readonly positionsChecked: number;
  readonly fillsRecovered: number;
  readonly ordersClosed: number;
  readonly ordersStillWorking: number;
}

export interface BrokerSynchroniserPorts {
  readonly ledger: TradingLedger;
  readonly engine: LiveExecutionEngine;
  readonly reconciler: PositionReconciler;
  readonly inFlight: InFlightResolver;
  readonly brokerErrors: BrokerErrorLog;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** The broker to synchronise with when none is named: the one orders go to now. */
  readonly activeBroker: () => BrokerGateway;
  /** Events the log held when the system opened, for the report. */
  readonly eventsReplayed: number;
}

/**
 * Brings the log in line with a broker over REST: after a restart, a reconnect, a sequence gap, or
 * before switching to a fallback broker. Fills that arrived unseen are applied from the broker's
 * fill history, read page by page from where the last synchronisation stopped; a fill the history
 * lacks is inferred from the broker's order (REFERENCE.md); orders the broker closed are closed; a
 * cancel or replace left pending is settled by what the broker shows; an order the broker does not
 * have yet stays in flight until it can no longer arrive. Then every position is reconciled.
 */
export class BrokerSynchroniser {
  private running: { gateway: BrokerGateway; done: Promise<RecoveryReport> } | null = null;

  constructor(private readonly ports: BrokerSynchroniserPorts) {}

  /** One at a time; a second request for the same broker joins the first. */
  synchronise(trigger: string, gateway: BrokerGateway = this.ports.activeBroker()): Promise<RecoveryReport> {
    const running = this.running;
    if (running && running.gateway === gateway) return running.done;
    // A synchronisation with another broker (a switch during a reconnect) waits for the running one, then reads its own broker.
    const done = (running ? running.done.catch(() => undefined) : Promise.resolve())
      .then(() => this.synchroniseWith(gateway, trigger))
      .finally(() => {
        if (this.running?.done === done) this.running = null;
      });
    this.running = { gateway, done };
    return done;
  }

  private async synchroniseWith(broker: BrokerGateway, trigger: string): Promise<RecoveryReport> {
    try {
      return await this.steps(broker, trigger);
    } catch (error) {
      const { kind, message } = describeError(error);
      this.ports.ledger.record({ type: 'BrokerSyncFailed', payload: { broker: broker.name, trigger, errorKind: kind, reason: message } });
      this.ports.brokerErrors.record(error, { broker: broker.name, operation: `synchronise (${trigger})`, saw: { 'trading system': `synchronisation after ${trigger} stopped; state left as it was, to be retried` } });
      throw error;
    }
  }

  private async steps(broker: BrokerGateway, trigger: string): Promise<RecoveryReport> {
    const { ledger, reconciler } = this.ports;
    const state = ledger.state;
    const release = this.ports.engine.holdReports();
    let history;
    try {
      history = await this.readFillHistory(broker);
    } finally {
      release();
    }
    let fillsRecovered = history.applied;
    let ordersClosed = 0;
    for (const order of state.workingOrders()) {
      const id = order.clientOrderId;
      const view = await broker.getOrder(id);
      if (isTerminal(order)) continue;
      if (!view) {
        if (this.ports.inFlight.closeUnknownOrder(order, trigger)) ordersClosed += 1;
        continue;
      }
      const inferred = inferFill(order, view, this.ports.clock.now());
      if (inferred && this.ports.engine.applyFill(inferred, { inferred: true }) !== null) fillsRecovered += 1;
      if (isTerminal(order)) continue;
      if (view.status === 'cancelled' || view.status === 'rejected') {
        ledger.record({ type: 'OrderCancelled', payload: { clientOrderId: id, reason: `broker reports ${view.status} on ${trigger}` } });
        ordersClosed += 1;
      } else if (view.status === 'expired') {
        ledger.record({ type: 'OrderExpired', payload: { clientOrderId: id, reason: `broker reports expired on ${trigger}` } });
        ordersClosed += 1;
      } else if (view.status === 'open' || view.status === 'partially_filled') {
        this.ports.inFlight.settleOpenOrder(order.clientOrderId, view);
      }
    }
    const symbols = new Set([...state.positions.keys(), ...(await broker.positions()).map(p => p.symbol)]);
    for (const symbol of symbols) await reconciler.reconcile(symbol, trigger, broker);
    const report = {
      eventsReplayed: this.ports.eventsReplayed,
      fillsRecovered,
      ordersClosed,
      ordersStillWorking: state.workingOrders().length,
      positionsChecked: symbols.size,
    };
    ledger.record({
      type: 'StateSynchronised',
      payload: { broker: broker.name, trigger, fillsRecovered, ordersClosed, ordersStillWorking: report.ordersStillWorking, positionsChecked: symbols.size, fillCursor: history.cursor },
    });
    (this.ports.logger ?? SILENT_LOGGER).log('info', 'synchronised', { trigger, broker: broker.name, ...report });
    return report;
  }

  /** The broker's fill history from where the last synchronisation with it stopped (it only grows): the fills applied, and where it was read to. */
  private async readFillHistory(broker: BrokerGateway): Promise<{ applied: number; cursor: number }> {
    const { ledger, engine } = this.ports;
    const state = ledger.state;
    let applied = 0;
    let cursor = state.fillCursor(broker.name);
    for (;;) {
      const page = await broker.fills(cursor, FILL_PAGE_SIZE);
      if (page.cursor < cursor || (page.more && page.cursor === cursor) || page.fills.length > FILL_PAGE_SIZE) {
        throw new TradingError('ProtocolError', `broker ${broker.name} answered fills from ${cursor} with a page that goes back or does not move (cursor ${page.cursor}, ${page.fills.length} fills, more: ${page.more})`, { broker: broker.name, operation: 'fills', cursor, pageCursor: page.cursor });
      }
      // A page is written with one sync to disk; the cursor moves only after the page is on record.
      applied += ledger.batch(() => {
        let onPage = 0;
        for (const fill of page.fills) {
          const order = state.orders.get(fill.clientOrderId);
          if (order && !state.tradeIds.has(fill.tradeId) && engine.applyFill(fill, { fromHistory: true })) onPage += 1;
        }
        return onPage;
      });
      cursor = page.cursor;
      if (!page.more) return { applied, cursor };
    }
  }
}
