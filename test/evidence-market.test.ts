import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decisionTablesHtml, riskDecisions, marketStateHtml } from '../support/evidence';
import type { DomainEvent, StoredEvent, DecisionRow } from '../domain/state';
import { Decimal } from '../domain/shared';

function log(events: DomainEvent[]): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: i + 1, at: '2024-03-04T15:00:00.000Z', prevHash: 'p', hash: `h${i + 1}` }) as StoredEvent);
}

const requested = (clientOrderId: string): DomainEvent => ({
  type: 'OrderRequested',
  payload: { clientOrderId, symbol: 'AAPL', side: 'buy', orderType: 'market', quantity: '100', reduceOnly: false },
});

const passedRow: DecisionRow = { check: 'spread', observed: '12.50 bps', limit: '50.00 bps', passed: true, code: 'PASSED' };
const haltRow: DecisionRow = { check: 'trading halt', observed: 'halted (NEWS_PENDING)', limit: 'open', passed: false, code: 'SYMBOL_HALTED' };

/** The decision tables of an order and the risk decision on it. */
function rendered(clientOrderId: string, decision: DomainEvent): string {
  const html = decisionTablesHtml(log([requested(clientOrderId), decision]));
  assert.ok(html, 'a decision renders');
  return html;
}

/** The cells of the table that follows the "market as this decision saw it" legend, in order. */
function marketCells(html: string): string[][] {
  return html
    .split('The market as this decision saw it')
    .slice(1)
    .map(part => {
      const body = part.slice(part.indexOf('<tbody>'), part.indexOf('</tbody>'));
      return [...body.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(m => m[1]);
    });
}

test('an approved decision shows beside its rows every figure of the market it saw', () => {
  const market = {
    session: 'regular',
    localTime: '2026-01-06 10:15:00 EST',
    status: 'open',
    haltReason: null,
    regime: 'elevated',
    regimeDriver: 'implied',
    bestBid: '199.95',
    bestAsk: '200.2',
    priceBand: '190.00 - 210.00 (5.0 % around 200.00)',
    spreadBps: '12.5031',
    depth: '15000.5',
    impliedVolatility: '0.35',
    realizedVolatility: '0.2844',
  } as const;
  const html = rendered('c-1', { type: 'RiskCheckPassed', payload: { clientOrderId: 'c-1', settingsVersion: 3, checks: [passedRow], market } });
  for (const title of ['session', 'trading status', 'volatility regime', 'realized volatility', 'implied volatility', 'best bid / ask', 'spread', 'visible depth, side taken', 'price band (LULD)']) {
    assert.ok(html.includes(`<th>${title}</th>`), title);
  }
  assert.deepEqual(marketCells(html), [
    ['regular (2026-01-06 10:15:00 EST)', 'open', 'elevated (set by implied volatility)', '28.44 %', '35.00 %', '199.95 / 200.2', '12.50 bps', '15,000.5', '190.00 - 210.00 (5.0 % around 200.00)'],
  ]);
  // Figures are right-aligned like the decision's own, words are not.
  assert.match(html, /<td class="ev-num">12\.50 bps<\/td>/);
  assert.match(html, /<td class="ev-nowrap">regular \(2026-01-06 10:15:00 EST\)<\/td>/);
  // The market follows the decision table it belongs to.
  assert.ok(html.indexOf('Risk decision') < html.indexOf('The market as this decision saw it'));
});

test('a rejection in a halt marks the status, and what the market did not give is said in words', () => {
  const market = { session: 'regular', status: 'halted', haltReason: 'NEWS_PENDING', regime: 'calm', spreadBps: null, depth: null, impliedVolatility: null, realizedVolatility: null } as const;
  const html = rendered('c-2', { type: 'OrderRejected', payload: { clientOrderId: 'c-2', stage: 'risk', reasonCode: 'SYMBOL_HALTED', reason: 'AAPL is halted', settingsVersion: 1, checks: [haltRow], market } });
  // An older summary without the later fields still renders.
  assert.deepEqual(marketCells(html), [['regular', '<strong class="ev-bad">halted: NEWS_PENDING</strong>', 'calm', 'no estimate', 'no estimate', 'no book', 'no two-sided book', 'no book', 'none']]);
  assert.equal(riskDecisions(log([requested('c-2')])).length, 0);
});

test('a decision made without market data shows its rows and nothing more', () => {
  const decision: DomainEvent = { type: 'RiskCheckPassed', payload: { clientOrderId: 'c-3', settingsVersion: 1, checks: [passedRow] } };
  const html = rendered('c-3', decision);
  assert.ok(html.includes('Risk decision'));
  assert.equal(html.includes('The market as this decision saw it'), false);
  assert.equal(html.includes('trading status'), false);
  assert.equal(riskDecisions(log([requested('c-3'), decision]))[0].market, undefined);
});

test('the market at the end of a scenario: one row a symbol with its session, halt, regime, book, spread, depth and band', () => {
  const d = (v: string) => new Decimal(v);
  const html = marketStateHtml([
    {
      symbol: 'AAPL',
      session: { session: 'regular', localTime: '2026-01-05 10:05:00 EST', holiday: null, closedReason: null },
      status: { status: 'paused', reason: 'LULD_PAUSE', awaitingReopeningPrint: true },
      regime: 'stress',
      regimeDriver: 'implied',
      realizedVolatility: null,
      impliedVolatility: d('0.6'),
      book: { bids: [{ price: d('199.75'), quantity: d('300') }], asks: [{ price: d('200.25'), quantity: d('200') }, { price: d('200.3'), quantity: d('100') }], seq: 7 },
      bands: { lower: d('190'), upper: d('210'), percent: d('0.05'), doubled: false },
      closePreparation: false,
    },
  ]);
  assert.ok(html);
  for (const text of ['AAPL', 'regular, 2026-01-05 10:05:00 EST', 'paused: LULD_PAUSE', 'stress (set by implied)', 'no estimate', '60.00 %', '199.75 / 200.25 (book #7)', '25.00 bps', '300 / 300', '190.00 - 210.00 (5.0 %)']) {
    assert.ok(html.includes(text), text);
  }
  assert.equal(marketStateHtml([]), null);
});
