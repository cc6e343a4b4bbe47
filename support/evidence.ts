import { DecisionRow, StoredEvent } from '../domain/state/events';
import { SETTING_LABELS } from '../domain/state/runtime-settings';

/** Evidence for the living documentation: plain HTML a risk officer reads without reading code. */

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const TABLE = 'style="border-collapse:collapse;font-family:sans-serif;font-size:13px"';
const CELL = 'style="border:1px solid #bbb;padding:3px 8px;text-align:left"';

function table(headers: readonly string[], rows: readonly (readonly string[])[], rowStyle: (i: number) => string = () => ''): string {
  const head = headers.map(h => `<th ${CELL}>${escape(h)}</th>`).join('');
  const body = rows.map((r, i) => `<tr ${rowStyle(i)}>${r.map(c => `<td ${CELL}>${escape(c)}</td>`).join('')}</tr>`).join('');
  return `<table ${TABLE}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

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
      const heading = `<h4 style="font-family:sans-serif;margin:8px 0 4px">Risk decision — ${escape(d.title)} — <span style="color:${d.outcome === 'APPROVED' ? '#2a7a2a' : '#b00020'}">${escape(d.outcome)}</span>${d.settingsVersion !== undefined ? ` (settings v${d.settingsVersion})` : ''}</h4>`;
      const rows = d.checks.map(c => [c.check, c.observed, c.limit, c.passed ? 'pass' : 'FAIL', c.passed ? c.note ?? '' : c.code]);
      return heading + table(['check', 'observed', 'limit', 'result', 'code / note'], rows, i => (d.checks[i].passed ? '' : 'style="background:#fde2e2"'));
    })
    .join('\n');
}

function describe(e: StoredEvent): string {
  const p = e.payload as Record<string, unknown>;
  const parts = Object.entries(p)
    .filter(([k]) => k !== 'checks' && k !== 'input')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  if ('input' in p) parts.push(`input=${JSON.stringify(p.input)}`);
  return parts.join(', ');
}

export function timelineHtml(events: readonly StoredEvent[]): string {
  const rows = events.map(e => [String(e.seq), e.at.slice(11, 23), e.type, describe(e), e.hash.slice(0, 10)]);
  return `<h4 style="font-family:sans-serif;margin:8px 0 4px">Event timeline (${events.length} events, hash-chained)</h4>` + table(['seq', 'time (UTC)', 'event', 'details', 'hash'], rows);
}

/** The risk limits this scenario ran under, as the operator named them. */
export function limitsInForceHtml(version: number, settings: Readonly<Record<string, string>>): string {
  const rows = Object.entries(settings)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => [SETTING_LABELS[key] ?? key, value]);
  return `<h4 style="font-family:sans-serif;margin:8px 0 4px">Risk limits in force at the end of the scenario (settings v${version})</h4>` + table(['setting', 'value'], rows);
}
