import { Decimal, StoredEvent } from './sut';

/** The media type each scenario's evidence index is attached under: the front page reads it from the messages, the drill-down leaves it out. */
export const EVIDENCE_INDEX_MEDIA_TYPE = 'application/vnd.trading-risk.evidence-index+json';

/**
 * A scenario's evidence as data for the front page: every risk decision, breaker trip, broker error
 * and reconciliation discrepancy, one row each, with the figures a risk officer checks by hand.
 * Read off the recorded events only, so it needs nothing of the system beyond its port.
 */

export type EvidenceKind = 'risk decision' | 'breaker trip' | 'broker error' | 'reconciliation discrepancy';

/**
 * A risk decision's row is one check of it: allowed at its limit, or refused (at or beyond the
 * limit, or without figures). An approval no check of which sat at its limit is one row, 'approved'.
 */
export type DecisionOutcome = 'approved' | 'allowed at limit' | 'rejected at limit' | 'rejected beyond' | 'rejected';

export interface EvidenceIndexRow {
  readonly kind: EvidenceKind;
  /** The event's sequence number in the scenario's log. */
  readonly seq: number;
  readonly orderId?: string;
  readonly outcome: string;
  /** The check, the breaker, the broker operation or the class of discrepancy. */
  readonly check?: string;
  readonly observed?: string;
  readonly limit?: string;
  /** A rejection code, an error kind, a breaker failure or a class of discrepancy: what the glossary explains. */
  readonly code?: string;
  /** What else a person needs to read the row: a modification's terms, a breaker's response, a resolution. */
  readonly detail?: string;
}

type CheckRow = Extract<StoredEvent, { type: 'RiskCheckPassed' }>['payload']['checks'][number];

/** Whether two recorded figures are the same number; false where either is absent or not a number. */
function sameFigure(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  try {
    return new Decimal(a).eq(new Decimal(b));
  } catch {
    return false;
  }
}

function checkRow(seq: number, orderId: string, row: CheckRow, outcome: DecisionOutcome, detail?: string): EvidenceIndexRow {
  return { kind: 'risk decision', seq, orderId, outcome, check: row.check, observed: row.observed, limit: row.limit, code: row.code, ...(detail ? { detail } : {}) };
}

/** The rows of one decision: its refusals and the checks it passed exactly at their limit. */
function decisionRows(seq: number, orderId: string, checks: readonly CheckRow[], detail?: string): EvidenceIndexRow[] {
  const rows: EvidenceIndexRow[] = [];
  for (const row of checks) {
    const atLimit = sameFigure(row.observedValue, row.limitValue);
    if (!row.passed) {
      const hasFigures = row.observedValue !== undefined && row.limitValue !== undefined;
      rows.push(checkRow(seq, orderId, row, atLimit ? 'rejected at limit' : hasFigures ? 'rejected beyond' : 'rejected', detail));
    } else if (atLimit) {
      rows.push(checkRow(seq, orderId, row, 'allowed at limit', detail));
    }
  }
  if (rows.length === 0 && checks.every(c => c.passed)) rows.push({ kind: 'risk decision', seq, orderId, outcome: 'approved', ...(detail ? { detail } : {}) });
  return rows;
}

function percent(share: string): string {
  try {
    return `${new Decimal(share).times(100).toFixed(2)} %`;
  } catch {
    return share;
  }
}

export function evidenceIndex(events: readonly StoredEvent[]): EvidenceIndexRow[] {
  const rows: EvidenceIndexRow[] = [];
  const brokerErrorFor = new Set<string>();
  for (const e of events) {
    switch (e.type) {
      case 'RiskCheckPassed':
        rows.push(...decisionRows(e.seq, e.payload.clientOrderId, e.payload.checks));
        break;
      case 'OrderRejected':
        if (e.payload.stage === 'risk') rows.push(...decisionRows(e.seq, e.payload.clientOrderId, e.payload.checks));
        // A venue's refusal arrives on its report; one the gateway met is already a broker error row.
        else if (e.payload.stage === 'broker' && !brokerErrorFor.has(e.payload.clientOrderId)) {
          rows.push({ kind: 'broker error', seq: e.seq, orderId: e.payload.clientOrderId, outcome: 'rejected by the broker', code: e.payload.reasonCode, detail: e.payload.reason });
        }
        break;
      case 'OrderReplaceRequested': {
        const terms = `modification to ${e.payload.quantity} @ ${e.payload.limitPrice ?? 'market'}`;
        rows.push(...decisionRows(e.seq, e.payload.clientOrderId, e.payload.checks, terms));
        break;
      }
      case 'OrderReplaceRefused':
        if (e.payload.checks) rows.push(...decisionRows(e.seq, e.payload.clientOrderId, e.payload.checks, 'modification refused'));
        break;
      case 'BreakerTripped': {
        const p = e.payload;
        const outcome = sameFigure(p.observed, p.limit) ? 'tripped at limit' : 'tripped beyond';
        rows.push({ kind: 'breaker trip', seq: e.seq, outcome, check: p.breaker, observed: p.observedText, limit: p.limitText, detail: `response ${p.response}${p.subject ? `, ${p.subject}` : ''}` });
        break;
      }
      case 'BreakerActionTaken': {
        const p = e.payload;
        if (!p.code) break;
        const why = p.rejectionCode ?? p.errorKind;
        rows.push({
          kind: 'breaker trip',
          seq: e.seq,
          ...(p.clientOrderId ? { orderId: p.clientOrderId } : {}),
          outcome: `${p.action}: ${p.outcome}`,
          check: p.breaker,
          code: p.code,
          detail: why ? `${p.detail} (${why})` : p.detail,
        });
        break;
      }
      case 'BreakerResetRefused':
        rows.push({ kind: 'breaker trip', seq: e.seq, outcome: 'reset refused', check: e.payload.breaker, code: e.payload.code, detail: `${e.payload.operator} (${e.payload.role}): ${e.payload.detail}` });
        break;
      case 'MarketWideBreakerTriggered': {
        const p = e.payload;
        rows.push({
          kind: 'breaker trip',
          seq: e.seq,
          outcome: p.halts ? `trading halted until ${p.haltEnds ?? 'further notice'}` : 'level reached, no halt',
          check: `market-wide level ${p.level}`,
          observed: `${percent(p.decline)} fall`,
          limit: `level ${p.level}`,
          detail: `${p.index} at ${p.indexLevel}, prior close ${p.priorClose}`,
        });
        break;
      }
      case 'BrokerErrorRecorded': {
        const p = e.payload;
        if (p.clientOrderId) brokerErrorFor.add(p.clientOrderId);
        const observed = [p.httpStatus !== undefined ? `HTTP ${p.httpStatus}` : undefined, p.reasonCode].filter(Boolean).join(' ');
        rows.push({
          kind: 'broker error',
          seq: e.seq,
          ...(p.clientOrderId ? { orderId: p.clientOrderId } : {}),
          outcome: p.path.length > 0 ? `${p.path[p.path.length - 1].layer}: ${p.path[p.path.length - 1].saw}` : 'recorded',
          check: `${p.broker} ${p.operation}`,
          ...(observed ? { observed } : {}),
          code: p.errorKind,
          detail: p.reason,
        });
        break;
      }
      case 'ReconciliationCompleted':
      case 'EventLogRebuilt': {
        const discrepancies = e.payload.discrepancies;
        const run = e.type === 'ReconciliationCompleted' ? `run ${e.payload.runId} (${e.payload.trigger})` : 'log rebuilt from the broker';
        for (const d of discrepancies) {
          // The order is in its own column; the part names what else the row is about.
          const subject = d.subject.tradeId ?? d.subject.symbol ?? d.subject.currency ?? d.subject.figure;
          rows.push({
            kind: 'reconciliation discrepancy',
            seq: e.seq,
            ...(d.subject.clientOrderId ? { orderId: d.subject.clientOrderId } : {}),
            outcome: `${d.policy}: ${d.resolution}`,
            check: subject ? `${d.part} ${subject}` : d.part,
            observed: `ours ${d.ours}, broker ${d.broker}${d.difference !== null ? ` (difference ${d.difference})` : ''}`,
            ...(d.tolerance !== null ? { limit: `tolerance ${d.tolerance}` } : {}),
            code: d.class,
            detail: `${run}${d.itemId ? `, item ${d.itemId}` : ''}${d.dispute ? ', disputed' : ''}`,
          });
        }
        break;
      }
      default:
        break;
    }
  }
  return rows;
}
