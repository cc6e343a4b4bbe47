import type { DiscrepancyRecord, StoredEvent } from './sut';
import { Column, escape, heading, table } from './evidence';

/**
 * Evidence for the report: every reconciliation run of the scenario with its discrepancy rows and
 * what became of them, the manual queue (escalations, decisions, refusals), the consistency checks
 * and a log rebuilt from the broker.
 */

type EventOf<T extends StoredEvent['type']> = Extract<StoredEvent, { type: T }>;

const RECONCILIATION_EVENTS: ReadonlySet<StoredEvent['type']> = new Set([
  'ReconciliationCompleted',
  'ReconciliationItemEscalated',
  'ReconciliationItemResolved',
  'ReconciliationResolutionRefused',
  'ConsistencyChecked',
  'EventLogRebuilt',
]);

const simulatedTime = (e: StoredEvent) => e.at.replace('T', ' ').replace('Z', '');
const seqList = (seqs: readonly number[]) => (seqs.length > 0 ? seqs.join(', ') : 'none');

/** What a row is about, in the words of the books: the symbol, the order, the trade, the currency or the figure. */
function subjectText(subject: DiscrepancyRecord['subject']): string {
  const names = [subject.symbol, subject.clientOrderId && `order ${subject.clientOrderId}`, subject.tradeId && `trade ${subject.tradeId}`, subject.currency, subject.figure];
  return names.filter((n): n is string => Boolean(n)).join(', ') || 'the account';
}

const DISCREPANCY_COLUMNS: Column[] = [
  { title: 'class', className: 'ev-nowrap' },
  { title: 'subject' },
  { title: 'ours' },
  { title: 'broker' },
  { title: 'difference' },
  { title: 'tolerance' },
  { title: 'policy', className: 'ev-nowrap' },
  { title: 'resolution' },
  { title: 'events' },
];

/** One row a difference; the rows a person must decide are marked. */
function discrepancyTable(rows: readonly DiscrepancyRecord[]): string {
  const cells = rows.map(d =>
    [d.class, subjectText(d.subject), d.ours, d.broker, d.difference ?? '—', d.tolerance ?? '—', d.policy, d.resolution, seqList(d.events)].map(escape),
  );
  return table(DISCREPANCY_COLUMNS, cells, i => (rows[i].policy === 'escalate' ? 'ev-fail' : ''));
}

function runHtml(e: EventOf<'ReconciliationCompleted'>): string {
  const run = e.payload;
  const skipped = run.parts.filter(p => p.status === 'skipped');
  const status =
    run.status === 'complete'
      ? '<span class="ev-ok">COMPLETE</span>'
      : `<span class="ev-bad">INCOMPLETE: could not see ${escape(skipped.map(p => (p.reason ? `${p.part} (${p.reason})` : p.part)).join(', '))}</span>`;
  const title = heading(`Reconciliation ${escape(run.runId)} (event ${e.seq}) with ${escape(run.broker)} — trigger ${escape(run.trigger)} — ${status} at ${escape(simulatedTime(e))}`);
  const parts = run.parts.map(p => `${p.part}: ${p.status}${p.status === 'checked' ? ` (${p.records})` : ''}`).join('; ');
  const clock = run.clockOffsetMs !== undefined ? `; broker clock offset ${run.clockOffsetMs} ms` : '';
  const legend = `<p class="ev-legend">${escape(`${run.records} records compared — ${parts}${clock}`)}</p>`;
  const body = run.discrepancies.length > 0 ? discrepancyTable(run.discrepancies) : '<p class="ev-legend">No discrepancy: the books and the broker\'s agree.</p>';
  return title + legend + body;
}

const summary = (record: Readonly<Record<string, string>>) => Object.entries(record).map(([k, v]) => `${k}: ${v}`).join('; ') || 'none';

/** The manual queue after event `since`: what went to a person, what they decided and the adjustments it made, and who was refused. */
function manualQueueHtml(events: readonly StoredEvent[], since: number): string | null {
  const recent = events.filter(e => e.seq > since);
  const escalations = recent.filter((e): e is EventOf<'ReconciliationItemEscalated'> => e.type === 'ReconciliationItemEscalated');
  const resolutions = recent.filter((e): e is EventOf<'ReconciliationItemResolved'> => e.type === 'ReconciliationItemResolved');
  const refusals = recent.filter((e): e is EventOf<'ReconciliationResolutionRefused'> => e.type === 'ReconciliationResolutionRefused');
  if (escalations.length + resolutions.length + refusals.length === 0) return null;
  const sections = [heading('Reconciliation — manual queue')];
  if (escalations.length > 0) {
    const rows = escalations.map(e => {
      const p = e.payload;
      const brokerValue = p.brokerValue.map(c => (c.kind === 'position' ? `${c.symbol} ${c.netQuantity} at ${c.averageEntryPrice}` : `${c.currency} cash ${c.amount}`)).join('; ') || 'nothing';
      return [String(e.seq), simulatedTime(e), p.itemId, p.runId, p.discrepancy.class, subjectText(p.discrepancy.subject), `${p.discrepancy.ours} / ${p.discrepancy.broker}`, summary(p.evidence), brokerValue].map(escape);
    });
    const columns: Column[] = [{ title: 'seq' }, { title: 'simulated time (UTC)', className: 'ev-nowrap' }, { title: 'item', className: 'ev-nowrap' }, { title: 'run' }, { title: 'class', className: 'ev-nowrap' }, { title: 'subject' }, { title: 'ours / broker' }, { title: 'evidence', className: 'ev-wrap' }, { title: 'accepting the broker sets' }];
    sections.push('<p class="ev-legend">Escalated to a risk officer</p>' + table(columns, rows));
  }
  if (resolutions.length > 0) {
    const rows = resolutions.map(e => {
      const p = e.payload;
      const adjusted = events
        .filter((a): a is EventOf<'BooksAdjusted'> => a.type === 'BooksAdjusted' && a.payload.itemId === p.itemId && a.seq > e.seq)
        .map(a => `${a.seq}: ${a.payload.position ? `${a.payload.position.symbol} set to ${a.payload.position.netQuantity} at ${a.payload.position.averageEntryPrice}` : `${a.payload.cash?.currency} cash moved by ${a.payload.cash?.amount}`}`);
      return [String(e.seq), simulatedTime(e), p.itemId, p.decision, p.actor, p.role, p.reason, adjusted.join('; ') || 'none'].map(escape);
    });
    const columns: Column[] = [{ title: 'seq' }, { title: 'simulated time (UTC)', className: 'ev-nowrap' }, { title: 'item', className: 'ev-nowrap' }, { title: 'decision', className: 'ev-nowrap' }, { title: 'by' }, { title: 'role' }, { title: 'reason' }, { title: 'books adjusted (seq)' }];
    sections.push('<p class="ev-legend">Decided</p>' + table(columns, rows));
  }
  if (refusals.length > 0) {
    const rows = refusals.map(e => {
      const p = e.payload;
      return [...[String(e.seq), simulatedTime(e), p.itemId, p.actor || 'someone', p.role || 'no role'].map(escape), `<strong class="ev-bad">${escape(p.errorKind)}</strong>`, escape(p.detail)];
    });
    const columns: Column[] = [{ title: 'seq' }, { title: 'simulated time (UTC)', className: 'ev-nowrap' }, { title: 'item', className: 'ev-nowrap' }, { title: 'who' }, { title: 'role' }, { title: 'code', className: 'ev-nowrap' }, { title: 'detail' }];
    sections.push('<p class="ev-legend">Refused</p>' + table(columns, rows));
  }
  return sections.join('');
}

function consistencyHtml(e: EventOf<'ConsistencyChecked'>): string {
  const p = e.payload;
  const verdict = p.passed ? '<span class="ev-ok">PASSED</span>' : '<span class="ev-bad">FAILED</span>';
  const rows = p.checks.map(c => [escape(c.check), c.passed ? 'pass' : '<strong class="ev-bad">FAIL</strong>', escape(c.detail)]);
  const columns: Column[] = [{ title: 'check', className: 'ev-nowrap' }, { title: 'result', className: 'ev-nowrap' }, { title: 'detail' }];
  return heading(`Consistency checks (event ${e.seq}) — ${escape(p.trigger)} — ${verdict} at ${escape(simulatedTime(e))}`) + table(columns, rows, i => (p.checks[i].passed ? '' : 'ev-fail'));
}

function rebuiltHtml(e: EventOf<'EventLogRebuilt'>): string {
  const p = e.payload;
  const title = heading(`Event log rebuilt from ${escape(p.broker)}'s books (event ${e.seq}) at ${escape(simulatedTime(e))}`);
  const legend = `<p class="ev-legend">${escape(`The old log broke at seq ${p.brokenAt} (${p.problem}); ${p.readableEvents} events were readable. It is kept at ${p.quarantinedPath} (sha256 ${p.quarantinedSha256}).`)}</p>`;
  const body = p.discrepancies.length > 0 ? discrepancyTable(p.discrepancies) : '<p class="ev-legend">The readable part of the old log agreed with the broker\'s books.</p>';
  return title + legend + body;
}

/**
 * What reconciliation did after event `since` (in the whole scenario by default). Null when it did
 * not reconcile, decide a queue item, check consistency or rebuild its log.
 */
export function reconciliationEvidenceHtml(events: readonly StoredEvent[], since = 0): string | null {
  const recent = events.filter(e => e.seq > since);
  if (!recent.some(e => RECONCILIATION_EVENTS.has(e.type))) return null;
  const sections: string[] = [];
  for (const e of recent) {
    if (e.type === 'EventLogRebuilt') sections.push(rebuiltHtml(e));
    else if (e.type === 'ReconciliationCompleted') sections.push(runHtml(e));
  }
  const queue = manualQueueHtml(events, since);
  if (queue) sections.push(queue);
  for (const e of recent) if (e.type === 'ConsistencyChecked') sections.push(consistencyHtml(e));
  return sections.join('\n');
}
