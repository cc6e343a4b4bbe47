import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecisionRow, DomainEvent, StoredEvent } from '../domain/state';
import { eventRuns, limitsInForceHtml, timelineSummaryHtml } from '../support/evidence';
import { stepEvidenceHtml } from '../support/step-evidence';

function log(events: DomainEvent[], at: (i: number) => string = () => '2026-01-05T14:30:00.000Z'): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: i + 1, at: at(i), prevHash: 'p', hash: `hash-of-event-${i + 1}` }) as StoredEvent);
}

const requested = (clientOrderId: string, quantity: string): DomainEvent => ({
  type: 'OrderRequested',
  payload: { clientOrderId, symbol: 'BTC-PERP', side: 'buy', orderType: 'market', quantity, reduceOnly: false },
});
const leverage = (observed: string, passed: boolean): DecisionRow =>
  passed ? { check: 'max leverage', observed, limit: '3.00x', passed: true, code: 'PASSED' } : { check: 'max leverage', observed, limit: '3.00x', passed: false, code: 'LEVERAGE_EXCEEDS_MAXIMUM' };
const mark = (price: string): DomainEvent => ({ type: 'MarkPriceUpdated', payload: { symbol: 'BTC-PERP', price } });
const reading = { breaker: 'daily loss', level: 'critical', observed: '5250', limit: '5000', observedText: '5,250.00 USD', limitText: '5,000.00 USD' } as const;

test("a step's evidence is the decisions it made, read against the orders placed before it", () => {
  const events = log([
    requested('IF10-000001', '0.5'),
    { type: 'RiskCheckPassed', payload: { clientOrderId: 'IF10-000001', settingsVersion: 1, checks: [leverage('2.50x', true)] } },
    requested('IF10-000002', '0.3'),
    { type: 'OrderRejected', payload: { clientOrderId: 'IF10-000002', stage: 'risk', reasonCode: 'LEVERAGE_EXCEEDS_MAXIMUM', reason: 'leverage', settingsVersion: 1, checks: [leverage('4.00x', false)] } },
  ]);
  // The second step began after event 3, the order it rejected was requested in it.
  const second = stepEvidenceHtml(events, 3);
  assert.ok(second);
  assert.match(second, /Risk decision — IF10-000002: buy 0\.3 BTC-PERP at market — <span class="ev-bad">REJECTED \(LEVERAGE_EXCEEDS_MAXIMUM\)<\/span> — failed: max leverage \(settings v1\), event 4/);
  assert.match(second, /<strong class="ev-bad">FAIL<\/strong> LEVERAGE_EXCEEDS_MAXIMUM/);
  assert.equal(second.includes('IF10-000001'), false, 'the first step made the approval, so it is on that step');
  // The first step's window holds only the approval; a step that recorded nothing of note has no evidence.
  const first = stepEvidenceHtml(events.slice(0, 2), 0);
  assert.ok(first?.includes('IF10-000001: buy 0.5 BTC-PERP at market — <span class="ev-ok">APPROVED</span>'));
  assert.equal(first?.includes('IF10-000002'), false);
  assert.equal(stepEvidenceHtml(events, 4), null);
  assert.equal(stepEvidenceHtml(log([mark('50000')]), 0), null);
});

test('a breaker tripped in one step and acting in the next shows its trip on the first and the rest of its response on the second', () => {
  const events = log([
    { type: 'BreakerTripped', payload: { ...reading, response: 'HALTED', limitsBefore: {} } },
    { type: 'BreakerActionTaken', payload: { breaker: 'daily loss', action: 'alert raised', outcome: 'done', detail: 'risk desk paged' } },
    mark('49000'),
    { type: 'BreakerActionTaken', payload: { breaker: 'daily loss', action: 'cancel order', outcome: 'done', detail: 'CB-000001 cancelled' } },
  ]);
  const tripStep = stepEvidenceHtml(events.slice(0, 2), 0);
  assert.ok(tripStep?.includes('Circuit breaker — daily loss — <span class="ev-bad">TRIPPED</span>'));
  assert.ok(tripStep?.includes('risk desk paged'));
  const nextStep = stepEvidenceHtml(events, 2);
  assert.ok(nextStep);
  assert.ok(nextStep.includes('Circuit breaker — daily loss, tripped at event 1 — its response, continued'));
  assert.ok(nextStep.includes('CB-000001 cancelled'));
  assert.equal(nextStep.includes('risk desk paged'), false, 'what the breaker did in the earlier step stays there');
});

test('a broker error is evidence of the step that met it', () => {
  const error: DomainEvent = {
    type: 'BrokerErrorRecorded',
    payload: {
      broker: 'SIM',
      operation: 'place order',
      clientOrderId: 'BE1-000001',
      errorKind: 'BrokerUnavailable',
      reason: 'connection refused',
      causeChain: ['BrokerUnavailable', 'ECONNREFUSED'],
      path: [{ layer: 'broker gateway', saw: 'connection refused' }],
    },
  };
  const events = log([mark('50000'), error]);
  assert.match(stepEvidenceHtml(events, 1) ?? '', /Broker error BrokerUnavailable at SIM \(place order, BE1-000001\), event 2/);
  assert.equal(stepEvidenceHtml(events.slice(0, 1), 0), null);
});

test('the timeline says which step recorded which events, a run of one type said once, and a time only where the clock moved', () => {
  const times = ['14:30:00.000', '14:30:00.000', '14:30:00.000', '14:30:00.000', '14:31:00.000', '14:32:00.000'];
  const events = log([{ type: 'AccountFunded', payload: { currency: 'USD', amount: '100000' } }, mark('50000'), mark('50010'), mark('50020'), mark('49000'), requested('T-1', '1')], i => `2026-01-05T${times[i]}Z`);
  assert.equal(eventRuns(events.slice(0, 4)), '1 AccountFunded, 2-4 MarkPriceUpdated (3)');
  const html = timelineSummaryHtml(events, [
    { by: 'an account funded with 100,000 USD', after: 0, upTo: 1 },
    { by: 'the market is:', after: 1, upTo: 4 },
    { by: 'a step that recorded nothing', after: 4, upTo: 4 },
    { by: '1 minute later the trader buys', after: 4, upTo: 6 },
  ]);
  assert.match(html, /Event timeline \(6 events, seq 1-6, hash-chained to hash-of-ev; simulated 2026-01-05 14:30:00\.000 to 2026-01-05 14:32:00\.000 UTC\)/);
  const rows = [...html.matchAll(/<tr>(<td.*?)<\/tr>/g)].map(r => [...r[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(c => c[1]));
  assert.deepEqual(rows, [
    ['an account funded with 100,000 USD', '14:30:00.000', '1 AccountFunded'],
    ['the market is:', '', '2-4 MarkPriceUpdated (3)'],
    ['1 minute later the trader buys', '14:31:00.000 to 14:32:00.000', '5 MarkPriceUpdated, 6 OrderRequested'],
  ]);
  assert.match(timelineSummaryHtml([], []), /no event recorded/);
});

test('the limits in force list the settings away from their defaults, beside the default, and count the rest', () => {
  const defaults = { max_leverage: '5', max_order_notional: '100000', price_collar_pct: '5' };
  const html = limitsInForceHtml(3, { max_leverage: '3', max_order_notional: '100000', price_collar_pct: '5', 'max_order_quantity.BTC-PERP': '2' }, defaults);
  assert.match(html, /Risk limits in force at the end of the scenario \(settings v3\)/);
  assert.match(html, /<li>max leverage \(x\) <strong>3<\/strong> \(default 5\)<\/li>/);
  assert.match(html, /<li>[^<]*BTC-PERP[^<]*<strong>2<\/strong> \(no default\)<\/li>/);
  assert.equal(html.includes('max order notional'), false, 'a setting at its default is not repeated');
  assert.match(html, /The 2 other settings are at their defaults/);
  assert.match(limitsInForceHtml(1, defaults, defaults), /Every setting is at its default/);
});
