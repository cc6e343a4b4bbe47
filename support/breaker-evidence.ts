import { StoredEvent, settingLabel } from './sut';
import { escape } from './evidence';

/** Evidence for the report: per tripped breaker, what it saw, the limit, and every action of its response in order. */

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map(h => `<th>${escape(h)}</th>`).join('');
  const body = rows.map(r => `<tr>${r.map(c => `<td>${escape(c)}</td>`).join('')}</tr>`).join('');
  return `<div class="ev-scroll"><table class="ev-table"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`;
}

const time = (e: StoredEvent) => e.at.replace('T', ' ').replace('Z', '');

/**
 * What the breakers did after event `since` (in the whole scenario by default); a trip before it
 * whose response goes on shows the actions taken since. Null when no breaker did anything.
 */
export function breakerEvidenceHtml(events: readonly StoredEvent[], since = 0): string | null {
  const sections: string[] = [];
  for (const trip of events) {
    if (trip.type !== 'BreakerTripped') continue;
    const name = trip.payload.breaker;
    const actor = `circuit breaker ${name}`;
    const rows: string[][] = [];
    for (const e of events) {
      if (e.seq < trip.seq || e.seq <= since) continue;
      if (e.type === 'BreakerActionTaken' && e.payload.breaker === name) {
        rows.push([String(e.seq), time(e), e.payload.action, e.payload.outcome + (e.payload.code ? ` (${e.payload.code})` : ''), e.payload.detail]);
      } else if (e.type === 'SettingsChanged' && e.payload.actor === actor) {
        const changes = Object.entries(e.payload.changes).map(([k, v]) => `${settingLabel(k)} = ${v}`).join('; ');
        rows.push([String(e.seq), time(e), 'settings change recorded', `version ${e.payload.version}`, changes]);
      } else if ((e.type === 'OrderCancelled' || e.type === 'OrderCancelRequested') && e.payload.reason.includes(actor)) {
        rows.push([String(e.seq), time(e), e.type === 'OrderCancelled' ? 'order cancelled' : 'cancel requested', 'recorded', e.payload.clientOrderId]);
      }
    }
    const subject = trip.payload.subject ? ` (${trip.payload.subject})` : '';
    if (trip.seq <= since) {
      if (rows.length > 0) sections.push(`<h4 class="ev-h">Circuit breaker — ${escape(name)}${escape(subject)}, tripped at event ${trip.seq} — its response, continued</h4>` + table(['seq', 'simulated time (UTC)', 'action', 'outcome', 'detail'], rows));
      continue;
    }
    const title = `Circuit breaker — ${escape(name)}${escape(subject)} — <span class="ev-bad">TRIPPED</span> at ${escape(time(trip))}: observed ${escape(trip.payload.observedText)} against a limit of ${escape(trip.payload.limitText)}; response ${escape(trip.payload.response)}`;
    sections.push(`<h4 class="ev-h">${title}</h4>` + table(['seq', 'simulated time (UTC)', 'action', 'outcome', 'detail'], rows));
  }
  const recovery = events
    .filter(e => e.seq > since)
    .filter(e => e.type === 'BreakerLevelChanged' || e.type === 'BreakerHealthChecked' || e.type === 'BreakerReset' || e.type === 'BreakerResetRefused' || e.type === 'BreakerLimitsRestored')
    .map(e => {
      switch (e.type) {
        case 'BreakerLevelChanged':
          return [String(e.seq), time(e), `${e.payload.breaker}: ${e.payload.from} -> ${e.payload.to}`, `${e.payload.observedText} (level ${e.payload.limitText})`];
        case 'BreakerHealthChecked':
          return [String(e.seq), time(e), `health check (${e.payload.trigger}): ${e.payload.passed ? 'passed' : 'FAILED'}`, e.payload.checks.map(c => `${c.check}: ${c.code}, ${c.detail}`).join('; ')];
        case 'BreakerReset':
          return [String(e.seq), time(e), `reset (${e.payload.mode}) of ${e.payload.breakers.join(', ')}`, `by ${e.payload.operator} (${e.payload.role}): ${e.payload.reason}`];
        case 'BreakerResetRefused':
          return [String(e.seq), time(e), `reset refused: ${e.payload.code}`, `${e.payload.operator} (${e.payload.role}): ${e.payload.detail}`];
        case 'BreakerLimitsRestored':
          return [String(e.seq), time(e), `limits restored to ${e.payload.percent} % (step ${e.payload.step})`, Object.entries(e.payload.limits).map(([k, v]) => `${settingLabel(k)} = ${v}`).join('; ')];
        default:
          return [];
      }
    });
  if (recovery.length > 0) sections.push('<h4 class="ev-h">Circuit breakers — levels, health checks, resets and restoration</h4>' + table(['seq', 'simulated time (UTC)', 'what', 'details'], recovery));
  return sections.length > 0 ? sections.join('\n') : null;
}
