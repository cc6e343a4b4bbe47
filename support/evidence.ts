import { DecisionRow, StoredEvent } from '../domain/state/events';
import { SETTING_LABELS, settingLabel } from '../domain/state/runtime-settings';

/** Evidence for the living documentation: plain HTML a risk officer reads without reading code. */

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Explicit colours and widths: the report's theme would grey the text and stretch every table.
const TABLE = 'style="border-collapse:collapse;font-family:sans-serif;font-size:13px;color:#222;width:auto;max-width:100%"';
const CELL = 'border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top;color:#222';
const HEADING = 'style="font-family:sans-serif;margin:10px 0 4px;color:#222"';

interface Column {
  readonly title: string;
  /** Extra CSS for the column's cells. */
  readonly style?: string;
}

function table(columns: readonly Column[], rows: readonly (readonly string[])[], rowStyle: (i: number) => string = () => ''): string {
  const head = columns.map(c => `<th style="${CELL};background:#eef1f4">${escape(c.title)}</th>`).join('');
  const body = rows
    .map((r, i) => `<tr ${rowStyle(i)}>${r.map((c, j) => `<td style="${CELL};${columns[j]?.style ?? ''}">${c}</td>`).join('')}</tr>`)
    .join('');
  return `<div style="overflow-x:auto"><table ${TABLE}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

const FIGURE = 'white-space:nowrap;text-align:right';
const NOWRAP = 'white-space:nowrap';

interface DecisionRecord {
  readonly title: string;
  readonly outcome: string;
  readonly settingsVersion?: number;
  readonly checks: readonly DecisionRow[];
}

/** Every risk decision the scenario produced: placements and modifications, approved or not. */
export function riskDecisions(events: readonly StoredEvent[]): DecisionRecord[] {
  const decisions: DecisionRecord[] = [];
  const orders = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'OrderRequested') {
      const p = e.payload;
      orders.set(p.clientOrderId, `${p.side} ${p.quantity} ${p.symbol} ${p.orderType === 'limit' ? `limit ${p.limitPrice}` : 'at market'}`);
    }
    const label = (id: string) => `${id}: ${orders.get(id) ?? ''}`;
    if (e.type === 'RiskCheckPassed') {
      decisions.push({ title: label(e.payload.clientOrderId), outcome: 'APPROVED', settingsVersion: e.payload.settingsVersion, checks: e.payload.checks });
    } else if (e.type === 'OrderRejected' && e.payload.stage === 'risk' && e.payload.checks) {
      decisions.push({ title: label(e.payload.clientOrderId), outcome: `REJECTED (${e.payload.reasonCode})`, settingsVersion: e.payload.settingsVersion, checks: e.payload.checks });
    } else if (e.type === 'OrderReplaceRequested') {
      decisions.push({ title: `modify ${label(e.payload.clientOrderId)} to ${e.payload.quantity} @ ${e.payload.limitPrice ?? 'market'}`, outcome: 'APPROVED', settingsVersion: e.payload.settingsVersion, checks: e.payload.checks });
    } else if (e.type === 'OrderReplaceRefused' && e.payload.checks) {
      decisions.push({ title: `modify ${label(e.payload.clientOrderId)}`, outcome: 'REFUSED', checks: e.payload.checks });
    }
  }
  return decisions;
}

export function decisionTablesHtml(events: readonly StoredEvent[]): string | null {
  const decisions = riskDecisions(events);
  if (decisions.length === 0) return null;
  return decisions
    .map(d => {
      const approved = d.outcome === 'APPROVED';
      const failedChecks = d.checks.filter(c => !c.passed).map(c => c.check);
      const verdict = `<span style="color:${approved ? '#1b5e20' : '#b00020'};font-weight:bold">${escape(d.outcome)}</span>`;
      const failedNote = failedChecks.length > 0 ? ` — failed: ${escape(failedChecks.join(', '))}` : '';
      const version = d.settingsVersion !== undefined ? ` (settings v${d.settingsVersion})` : '';
      const heading = `<h4 ${HEADING}>Risk decision — ${escape(d.title)} — ${verdict}${failedNote}${version}</h4>`;
      const rows = d.checks.map(c => [
        escape(c.check),
        escape(c.observed),
        escape(c.limit),
        c.passed ? 'pass' : '<strong style="color:#b00020">FAIL</strong>',
        escape(c.passed ? c.note ?? '' : c.code),
      ]);
      const columns: Column[] = [{ title: 'check', style: NOWRAP }, { title: 'observed', style: FIGURE }, { title: 'limit', style: FIGURE }, { title: 'result', style: NOWRAP }, { title: 'code / note' }];
      return heading + table(columns, rows, i => (d.checks[i].passed ? '' : 'style="background:#fde2e2"'));
    })
    .join('\n');
}

function describe(e: StoredEvent): string {
  const p = e.payload as Record<string, unknown>;
  const parts = Object.entries(p)
    .filter(([k]) => k !== 'checks' && k !== 'input' && k !== 'changes')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  if (e.type === 'SettingsChanged') parts.unshift(`changes: ${Object.entries(e.payload.changes).map(([k, v]) => `${settingLabel(k)} = ${v}`).join('; ')}`);
  if ('input' in p) parts.push(`input=${JSON.stringify(p.input)}`);
  return parts.join(', ');
}

export function timelineHtml(events: readonly StoredEvent[]): string {
  const rows = events.map(e => [String(e.seq), escape(e.at.replace('T', ' ').replace('Z', '')), escape(e.type), escape(describe(e)), escape(e.hash.slice(0, 10))]);
  const columns: Column[] = [{ title: 'seq', style: FIGURE }, { title: 'simulated time (UTC)', style: NOWRAP }, { title: 'event', style: NOWRAP }, { title: 'details', style: 'overflow-wrap:anywhere;min-width:320px' }, { title: 'hash', style: 'font-family:monospace' }];
  return `<h4 ${HEADING}>Event timeline (${events.length} events, hash-chained)</h4>` + table(columns, rows);
}

/** The risk limits this scenario ran under, in the order the settings are defined. */
export function limitsInForceHtml(version: number, settings: Readonly<Record<string, string>>): string {
  const order = Object.keys(SETTING_LABELS);
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  const rows = Object.entries(settings)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([key, value]) => [escape(settingLabel(key)), escape(value)]);
  return `<h4 ${HEADING}>Risk limits in force at the end of the scenario (settings v${version})</h4>` + table([{ title: 'setting', style: NOWRAP }, { title: 'value', style: FIGURE }], rows);
}
