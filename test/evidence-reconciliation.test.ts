import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import type { DomainEvent, StoredEvent } from '../domain/state';
import type { DiscrepancyRecord } from '../domain/reconciliation';
import { reconciliationEvidenceHtml } from '../support/reconciliation-evidence';
import { fundedSystem } from './in-process-system';

function log(events: DomainEvent[]): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: i + 1, at: '2026-01-05T14:30:00.000Z', prevHash: 'p', hash: `h${i + 1}` }) as StoredEvent);
}

/** The cells of every row under the heading that contains title, up to the next heading. */
function rowsUnder(html: string, title: string): string[][] {
  const start = html.indexOf(title);
  assert.ok(start >= 0, `no "${title}" in the evidence`);
  const next = html.indexOf('<h4', start);
  const section = html.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map(r => [...r[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(c => c[1])).filter(r => r.length > 0);
}

const row = (overrides: Partial<DiscrepancyRecord>): DiscrepancyRecord => ({
  class: 'missing fill',
  part: 'trades',
  subject: { symbol: 'BTC-PERP', clientOrderId: 'CO-1', tradeId: 'T-7' },
  ours: '0.5 filled',
  broker: '0.8 filled',
  difference: '0.3',
  tolerance: null,
  policy: 'infer',
  resolution: 'inferred fill inferred-CO-1-1 applied',
  events: [5],
  ...overrides,
});

test('a run the broker drifted from shows its row, the queue item it opened, the refusal and the decision with the adjustment it made', async t => {
  const { core, system } = fundedSystem(t);
  await system.recover();
  core.adjustBalance(new Decimal('-12.5'), 'funding payment');
  const run = await system.reconcile('operator request');
  assert.equal(run.discrepancies[0]?.class, 'balance drift');
  assert.throws(() => system.resolveReconciliationItem({ itemId: 'R-1', decision: 'accept broker', actor: 'tom', role: 'trader', reason: 'looks right' }));
  system.resolveReconciliationItem({ itemId: 'R-1', decision: 'accept broker', actor: 'rita', role: 'risk officer', reason: 'funding payment booked by the venue' });
  system.checkConsistency('operator request');

  const events = system.events;
  const html = reconciliationEvidenceHtml(events);
  assert.ok(html, 'a reconciliation renders');
  const runEvent = events.find(e => e.type === 'ReconciliationCompleted');
  assert.ok(html.includes(`Reconciliation RUN-1 (event ${runEvent?.seq}) with SIM — trigger operator request — <span class="ev-ok">COMPLETE</span> at 2026-01-05 14:30:00.000`));
  const escalated = events.find(e => e.type === 'ReconciliationItemEscalated');
  assert.deepEqual(rowsUnder(html, 'Reconciliation RUN-1')[0], ['balance drift', 'USD', '100000', '99987.5', '-12.5', '0.01', 'escalate', 'escalated as item R-1', String(escalated?.seq)]);
  assert.match(html, /<tr class="ev-fail"><td class="ev-nowrap">balance drift<\/td>/, 'a row left to a person is marked');

  const queue = rowsUnder(html, 'manual queue');
  const adjusted = events.find(e => e.type === 'BooksAdjusted');
  const resolved = events.find(e => e.type === 'ReconciliationItemResolved');
  const refused = events.find(e => e.type === 'ReconciliationResolutionRefused');
  assert.deepEqual(queue[0].slice(2, 7), ['R-1', 'RUN-1', 'balance drift', 'USD', '100000 / 99987.5']);
  assert.equal(queue[0][8], 'USD cash 99987.5');
  assert.deepEqual(queue[1], [String(resolved?.seq), '2026-01-05 14:30:00.000', 'R-1', 'accept broker', 'rita', 'risk officer', 'funding payment booked by the venue', `${adjusted?.seq}: USD cash moved by -12.5`]);
  assert.deepEqual(queue[2].slice(2, 6), ['R-1', 'tom', 'trader', '<strong class="ev-bad">NotPermitted</strong>']);
  assert.equal(String(refused?.seq), queue[2][0]);

  const checks = rowsUnder(html, 'Consistency checks');
  assert.ok(html.includes('— operator request — <span class="ev-ok">PASSED</span>'));
  assert.deepEqual(checks[0].slice(0, 2), ['event log hash chain', 'pass']);
});

test('an incomplete run names the parts it could not see, and a run that found nothing says so', () => {
  const parts = [
    { part: 'orders', status: 'checked', attempts: 1, records: 2 },
    { part: 'balances', status: 'skipped', attempts: 3, reason: 'BrokerUnavailable after 3 attempts', records: 0 },
  ] as const;
  const html = reconciliationEvidenceHtml(
    log([
      { type: 'ReconciliationCompleted', payload: { runId: 'RUN-1', trigger: 'start-up', broker: 'SIM', status: 'incomplete', parts: [...parts], discrepancies: [row({})], records: 2, startedAt: '2026-01-05T14:30:00.000Z' } },
      { type: 'ReconciliationCompleted', payload: { runId: 'RUN-2', trigger: 'schedule', broker: 'SIM', status: 'complete', parts: [parts[0]], discrepancies: [], records: 2, startedAt: '2026-01-05T14:30:00.000Z' } },
    ]),
  );
  assert.ok(html);
  assert.ok(html.includes('Reconciliation RUN-1 (event 1) with SIM — trigger start-up — <span class="ev-bad">INCOMPLETE: could not see balances (BrokerUnavailable after 3 attempts)</span>'));
  assert.deepEqual(rowsUnder(html, 'Reconciliation RUN-1'), [['missing fill', 'BTC-PERP, order CO-1, trade T-7', '0.5 filled', '0.8 filled', '0.3', '—', 'infer', 'inferred fill inferred-CO-1-1 applied', '5']]);
  assert.ok(html.includes('Reconciliation RUN-2 (event 2) with SIM — trigger schedule — <span class="ev-ok">COMPLETE</span>'));
  assert.deepEqual(rowsUnder(html, 'Reconciliation RUN-2'), []);
  assert.ok(html.slice(html.indexOf('RUN-2')).includes("No discrepancy: the books and the broker's agree."));
  assert.equal(html.includes('manual queue'), false, 'no queue section without a queue');
});

test('a scenario without reconciliation has no reconciliation evidence', () => {
  assert.equal(reconciliationEvidenceHtml([]), null);
  assert.equal(reconciliationEvidenceHtml(log([{ type: 'AccountFunded', payload: { currency: 'USD', amount: '100000' } }])), null);
});

test('what the log recorded is escaped, in a run, the queue and a rebuilt log', () => {
  const hostile = row({ subject: { clientOrderId: '<img src=x>' }, ours: '<b>0.5</b>', broker: '"0.8" & more', resolution: 'escalated as item R-1', policy: 'escalate' });
  const html = reconciliationEvidenceHtml(
    log([
      { type: 'EventLogRebuilt', payload: { quarantinedPath: 'quarantine/<old>.sqlite', quarantinedSha256: 'ab', brokenAt: 9, problem: 'hash <broken>', broker: 'SIM', readableEvents: 8, discrepancies: [] } },
      { type: 'ReconciliationCompleted', payload: { runId: 'RUN-1', trigger: '<script>', broker: 'SIM', status: 'complete', parts: [], discrepancies: [hostile], records: 0, startedAt: '2026-01-05T14:30:00.000Z' } },
      { type: 'ReconciliationItemEscalated', payload: { itemId: 'R-1', runId: 'RUN-1', discrepancy: { ...hostile, resolution: 'waiting for a risk officer' }, evidence: { 'our fills': '<none>' }, brokerValue: [] } },
      { type: 'ReconciliationResolutionRefused', payload: { itemId: 'R-1', actor: '<eve>', role: 'trader', reason: 'x', errorKind: 'NotPermitted', detail: '<eve> is a trader' } },
    ]),
  );
  assert.ok(html);
  assert.equal(/<(img|b|script|eve|old|broken|none)[ >]/.test(html), false, 'no recorded text reaches the page as markup');
  for (const text of ['order &lt;img src=x&gt;', '&lt;b&gt;0.5&lt;/b&gt;', '&quot;0.8&quot; &amp; more', 'trigger &lt;script&gt;', 'our fills: &lt;none&gt;', '&lt;eve&gt; is a trader', 'quarantine/&lt;old&gt;.sqlite', 'hash &lt;broken&gt;']) {
    assert.ok(html.includes(text), text);
  }
  assert.ok(html.indexOf('Event log rebuilt') < html.indexOf('Reconciliation RUN-1'), 'in the order they happened');
});
