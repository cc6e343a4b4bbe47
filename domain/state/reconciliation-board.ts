import { TradingError } from '../shared';
import type { DiscrepancySubject, EscalatedItem, ReconciliationRunPayload } from '../reconciliation/discrepancy';
import { DomainEvent } from './events';

export type ReconciliationEvent = Extract<
  DomainEvent,
  { type: 'ReconciliationCompleted' | 'ReconciliationItemEscalated' | 'ReconciliationItemResolved' | 'ReconciliationResolutionRefused' | 'TradeQuarantined' | 'ConsistencyChecked' | 'EventLogRebuilt' }
>;

export interface OpenItem extends EscalatedItem {
  readonly openedAt: string;
}

/**
 * Reconciliation's part of the projection: the manual queue, the differences a risk officer chose
 * to keep, how often an order went unknown at the broker, incomplete runs in a row and the
 * quarantined trades. Rebuilt from the log like orders and positions, so a restart keeps the queue.
 */
export class ReconciliationBoard {
  readonly openItems = new Map<string, OpenItem>();
  /** Differences a risk officer kept ours for, by subject key: the broker's value then, tolerated while it stays the same. */
  readonly kept = new Map<string, string>();
  /** Per client order id: runs in a row in which the broker did not know a working order. */
  readonly unknownAtBroker = new Map<string, number>();
  readonly quarantinedTrades = new Set<string>();
  /** Orders whose fills a risk officer decided on, by client order id: the item that decided them. */
  readonly decidedOrders = new Map<string, string>();
  incompleteInARow = 0;
  runs = 0;
  lastRun: ReconciliationRunPayload | null = null;
  itemsOpened = 0;

  /** The subject of a row as a key: one item per class and subject. */
  static subjectKey(discrepancyClass: string, subject: DiscrepancySubject): string {
    return `${discrepancyClass}|${Object.entries(subject as Readonly<Record<string, string | undefined>>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',')}`;
  }

  openItemFor(key: string): OpenItem | undefined {
    for (const item of this.openItems.values()) if (ReconciliationBoard.subjectKey(item.discrepancy.class, item.discrepancy.subject) === key) return item;
    return undefined;
  }

  prepare(event: ReconciliationEvent): (at: string) => void {
    switch (event.type) {
      case 'ReconciliationCompleted': {
        const run = event.payload;
        return () => {
          this.runs += 1;
          this.lastRun = run;
          this.incompleteInARow = run.status === 'incomplete' ? this.incompleteInARow + 1 : 0;
          const ordersChecked = run.parts.some(p => p.part === 'orders' && p.status === 'checked');
          if (!ordersChecked) return;
          const missed = new Set(run.discrepancies.filter(d => d.class === 'order unknown at broker' && d.subject.clientOrderId).map(d => d.subject.clientOrderId as string));
          for (const id of [...this.unknownAtBroker.keys()]) if (!missed.has(id)) this.unknownAtBroker.delete(id);
          for (const id of missed) this.unknownAtBroker.set(id, (this.unknownAtBroker.get(id) ?? 0) + 1);
        };
      }
      case 'ReconciliationItemEscalated': {
        const item = event.payload;
        if (this.openItems.has(item.itemId)) throw new TradingError('InvalidInput', `reconciliation item ${item.itemId} is already open`, { itemId: item.itemId });
        return (at: string) => {
          this.openItems.set(item.itemId, { ...item, openedAt: at });
          this.itemsOpened += 1;
        };
      }
      case 'ReconciliationItemResolved': {
        const item = this.openItems.get(event.payload.itemId);
        if (!item) throw new TradingError('UnknownReconciliationItem', `no open reconciliation item ${event.payload.itemId}`, { itemId: event.payload.itemId });
        return () => {
          this.openItems.delete(item.itemId);
          const key = ReconciliationBoard.subjectKey(item.discrepancy.class, item.discrepancy.subject);
          // Decided either way: the same difference is not brought to a person again while the broker shows the same.
          this.kept.set(key, item.discrepancy.broker);
          if (item.discrepancy.subject.clientOrderId) this.decidedOrders.set(item.discrepancy.subject.clientOrderId, item.itemId);
        };
      }
      case 'TradeQuarantined':
        return () => this.quarantinedTrades.add(event.payload.tradeId);
      case 'ReconciliationResolutionRefused':
      case 'ConsistencyChecked':
      case 'EventLogRebuilt':
        return () => undefined;
    }
  }
}
