import type { StoredEvent } from './sut';
import { brokerErrorPathsHtml, decisionTablesHtml } from './evidence';
import { breakerEvidenceHtml } from './breaker-evidence';
import { reconciliationEvidenceHtml } from './reconciliation-evidence';

/**
 * The evidence a step produced, for the report row of that step: the risk decisions, breaker
 * actions, broker errors and reconciliation runs recorded after event `since`. The events before
 * it are context only (the order a decision is about, the trip an action answers). Null when the
 * step recorded none of them.
 */
export function stepEvidenceHtml(events: readonly StoredEvent[], since: number): string | null {
  const sections = [
    decisionTablesHtml(events, since),
    breakerEvidenceHtml(events, since),
    reconciliationEvidenceHtml(events, since),
    brokerErrorPathsHtml(events.filter(e => e.seq > since)),
  ].filter((html): html is string => html !== null);
  return sections.length > 0 ? sections.join('\n') : null;
}
