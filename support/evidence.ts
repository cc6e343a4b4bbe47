import { Decimal, DecisionRow, StoredEvent, SETTING_LABELS, formatSettingValue, settingLabel } from './sut';

/** Evidence for the living documentation: plain HTML a risk officer reads without reading code. */

export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Classes, not inline colours: scripts/report-style.css styles them for the light and the dark theme.
export interface Column {
  readonly title: string;
  /** Extra class for the column's cells. */
  readonly className?: string;
}

/** Figures ("250,000.00 USD", "4.00x", "5.001 %", "31 s", "12.50 bps") are right-aligned; words are not. */
const FIGURE_TEXT = /^-?[\d,]+(\.\d+)?( USD| %|x| s| bps)?( from mark)?$/;

/**
 * Cells are HTML: a caller escapes what it took from the log. A table of many rows names its kind
 * (tableClass) and the stylesheet styles its columns, so a row carries no more than its cells.
 */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[], rowClass: (i: number) => string = () => '', tableClass?: string): string {
  const head = columns.map(c => `<th>${escape(c.title)}</th>`).join('');
  const body = rows
    .map((r, i) => {
      const cells = r.map((c, j) => {
        const classes = [columns[j]?.className, FIGURE_TEXT.test(c) ? 'ev-num' : ''].filter(Boolean).join(' ');
        return `<td${classes ? ` class="${classes}"` : ''}>${c}</td>`;
      });
      const rc = rowClass(i);
      return `<tr${rc ? ` class="${rc}"` : ''}>${cells.join('')}</tr>`;
    })
    .join('');
  return `<div class="ev-scroll"><table class="ev-table${tableClass ? ` ${tableClass}` : ''}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

export function heading(html: string): string {
  return `<h4 class="ev-h">${html}</h4>`;
}

/** Read off the recorded event, so the report needs nothing of the system beyond its port. */
type DecisionMarketSummary = NonNullable<Extract<StoredEvent, { type: 'RiskCheckPassed' }>['payload']['market']>;

interface DecisionRecord {
  /** The event that recorded the decision. */
  readonly seq: number;
  readonly title: string;
  readonly outcome: string;
  readonly settingsVersion?: number;
  readonly checks: readonly DecisionRow[];
  /** The market the decision saw; absent where the system had no market data for the symbol. */
  readonly market?: DecisionMarketSummary;
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
      decisions.push({ seq: e.seq, title: label(e.payload.clientOrderId), outcome: 'APPROVED', settingsVersion: e.payload.settingsVersion, checks: e.payload.checks, market: e.payload.market });
    } else if (e.type === 'OrderRejected' && e.payload.stage === 'risk' && e.payload.checks) {
      const { reasonCode, settingsVersion, checks, market } = e.payload;
      decisions.push({ seq: e.seq, title: label(e.payload.clientOrderId), outcome: `REJECTED (${reasonCode})`, settingsVersion, checks, market });
    } else if (e.type === 'OrderReplaceRequested') {
      decisions.push({ seq: e.seq, title: `modify ${label(e.payload.clientOrderId)} to ${e.payload.quantity} @ ${e.payload.limitPrice ?? 'market'}`, outcome: 'APPROVED', settingsVersion: e.payload.settingsVersion, checks: e.payload.checks });
    } else if (e.type === 'OrderReplaceRefused' && e.payload.checks) {
      decisions.push({ seq: e.seq, title: `modify ${label(e.payload.clientOrderId)}`, outcome: 'REFUSED', checks: e.payload.checks });
    }
  }
  return decisions;
}

const DECISION_LEGEND =
  '<p class="ev-legend">Exposure figures are the worst case: as if this order and every working order filled. Volatilities are annualised; depth is the visible quantity on the side the order takes from.</p>';

/** The decisions recorded after event `since` (all of them by default); the events before it name their orders. */
export function decisionTablesHtml(events: readonly StoredEvent[], since = 0): string | null {
  const decisions = riskDecisions(events).filter(d => d.seq > since);
  if (decisions.length === 0) return null;
  // Said once, above the decisions it explains.
  return DECISION_LEGEND + decisions
    .map(d => {
      const approved = d.outcome === 'APPROVED';
      const failedChecks = d.checks.filter(c => !c.passed).map(c => c.check);
      const verdict = `<span class="${approved ? 'ev-ok' : 'ev-bad'}">${escape(d.outcome)}</span>`;
      const failedNote = failedChecks.length > 0 ? ` — failed: ${escape(failedChecks.join(', '))}` : '';
      const version = d.settingsVersion !== undefined ? ` (settings v${d.settingsVersion})` : '';
      const title = heading(`Risk decision — ${escape(d.title)} — ${verdict}${failedNote}${version}, event ${d.seq}`);
      const rows = d.checks.map(c => [
        escape(c.check),
        escape(c.observed),
        escape(c.limit),
        c.passed ? (c.note ? `pass: ${escape(c.note)}` : 'pass') : `<strong class="ev-bad">FAIL</strong> ${escape(c.code)}`,
      ]);
      // The check column does not wrap: the stylesheet says so for every ev-decision table.
      const columns: Column[] = [{ title: 'check' }, { title: 'value checked' }, { title: 'limit' }, { title: 'result: code or note' }];
      return title + table(columns, rows, i => (d.checks[i].passed ? '' : 'ev-fail'), 'ev-decision') + (d.market ? marketSeenHtml(d.market) : '');
    })
    .join('\n');
}

/** Grouped thousands; every recorded decimal kept unless decimals says how many to show. */
function grouped(value: Decimal, decimals?: number): string {
  const [whole, fraction] = (decimals === undefined ? value.toFixed() : value.toFixed(decimals, Decimal.ROUND_HALF_UP)).split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/** A recorded figure as a person reads it; what the market did not give is said in words, and a figure the report cannot read is shown as recorded. */
function marketFigure(recorded: string | null, absent: string, show: (value: Decimal) => string): string {
  if (recorded === null) return escape(absent);
  try {
    return escape(show(new Decimal(recorded)));
  } catch {
    return escape(recorded);
  }
}

/** The market beside a decision's rows, one row: what the market checks read when the decision was made. */
function marketSeenHtml(m: DecisionMarketSummary): string {
  const volatility = (fraction: Decimal) => `${grouped(fraction.times(100), 2)} %`;
  const columns: Column[] = [
    { title: 'session', className: 'ev-nowrap' },
    { title: 'trading status', className: 'ev-nowrap' },
    { title: 'volatility regime', className: 'ev-nowrap' },
    { title: 'realized volatility' },
    { title: 'implied volatility' },
    { title: 'best bid / ask', className: 'ev-nowrap' },
    { title: 'spread' },
    { title: 'visible depth, side taken' },
    { title: 'price band (LULD)' },
  ];
  const halted = m.haltReason ? `${m.status}: ${m.haltReason}` : m.status;
  const row = [
    escape(m.localTime ? `${m.session} (${m.localTime})` : m.session),
    m.status === 'open' ? escape(m.status) : `<strong class="ev-bad">${escape(halted)}</strong>`,
    escape(m.regimeDriver ? `${m.regime} (set by ${m.regimeDriver} volatility)` : m.regime),
    marketFigure(m.realizedVolatility, 'no estimate', volatility),
    marketFigure(m.impliedVolatility, 'no estimate', volatility),
    escape(m.bestBid || m.bestAsk ? `${m.bestBid ?? 'none'} / ${m.bestAsk ?? 'none'}` : 'no book'),
    marketFigure(m.spreadBps, 'no two-sided book', bps => `${grouped(bps, 2)} bps`),
    marketFigure(m.depth, 'no book', depth => grouped(depth)),
    escape(m.priceBand ?? 'none'),
  ];
  return '<p class="ev-legend">The market as this decision saw it:</p>' + table(columns, [row]);
}

/** Each broker error and the way it travelled: what every layer saw and did, from the gateway out. */
export function brokerErrorPathsHtml(events: readonly StoredEvent[]): string | null {
  const errors = events.filter((e): e is Extract<StoredEvent, { type: 'BrokerErrorRecorded' }> => e.type === 'BrokerErrorRecorded');
  if (errors.length === 0) return null;
  return errors
    .map(e => {
      const p = e.payload;
      const subject = [p.operation, p.clientOrderId, p.httpStatus !== undefined ? `HTTP ${p.httpStatus}` : undefined, p.reasonCode].filter(Boolean).join(', ');
      const title = heading(`Broker error ${escape(p.errorKind)} at ${escape(p.broker)} (${escape(subject)}), event ${e.seq}`);
      const rows = p.path.map((step, i) => [String(i + 1), escape(step.layer), escape(step.saw)]);
      return title + table([{ title: 'step' }, { title: 'layer', className: 'ev-nowrap' }, { title: 'what it saw and did' }], rows) + `<p class="ev-legend">cause chain: ${escape(p.causeChain.join(' <- '))}</p>`;
    })
    .join('\n');
}

/** Where a run of the log came from: a step (its text), the start-up before the first step, or the end. */
export interface RecordedBy {
  readonly by: string;
  /** The events after this seq and up to upTo are this part's. */
  readonly after: number;
  readonly upTo: number;
}

const simulated = (e: StoredEvent) => e.at.replace('T', ' ').replace('Z', '');
/** The time of day, with the date where it is not the day the scenario began. */
const simulatedOn = (day: string, e: StoredEvent) => (e.at.startsWith(day) ? e.at.slice(11).replace('Z', '') : simulated(e));

/** "10 OrderRequested, 11 RiskCheckPassed, 12-40 MarkPriceUpdated (29)": runs of one type said once. */
export function eventRuns(events: readonly StoredEvent[]): string {
  const runs: string[] = [];
  for (let i = 0; i < events.length; ) {
    let j = i + 1;
    while (j < events.length && events[j].type === events[i].type) j += 1;
    const n = j - i;
    runs.push(n === 1 ? `${events[i].seq} ${events[i].type}` : `${events[i].seq}-${events[j - 1].seq} ${events[i].type} (${n})`);
    i = j;
  }
  return runs.join(', ');
}

/**
 * The scenario's log in one table: which step recorded which events, by sequence number. The
 * evidence each step produced (decisions, breaker actions, broker errors, reconciliation runs)
 * is on that step; this says where every other event came from.
 */
export function timelineSummaryHtml(events: readonly StoredEvent[], parts: readonly RecordedBy[]): string {
  if (events.length === 0) return heading('Event timeline: no event recorded');
  const first = events[0];
  const last = events[events.length - 1];
  const day = first.at.slice(0, 10);
  // A time is given where the clock moved: a row without one is at the time the row above ended.
  let clock = '';
  const rows = parts
    .map(part => ({ part, own: events.filter(e => e.seq > part.after && e.seq <= part.upTo) }))
    .filter(({ own }) => own.length > 0)
    .map(({ part, own }) => {
      const [from, to] = [simulatedOn(day, own[0]), simulatedOn(day, own[own.length - 1])];
      const when = from === to ? (from === clock ? '' : from) : `${from === clock ? '' : from} to ${to}`;
      clock = to;
      return [escape(part.by), escape(when), escape(eventRuns(own))];
    });
  const title = heading(`Event timeline (${events.length} events, seq ${first.seq}-${last.seq}, hash-chained to ${escape(last.hash.slice(0, 10))}; simulated ${escape(simulated(first))} to ${escape(simulated(last))} UTC)`);
  const columns: Column[] = [{ title: 'recorded by' }, { title: `simulated time (UTC, ${day})` }, { title: 'events (seq, type)' }];
  return title + table(columns, rows, () => '', 'ev-timeline');
}

/**
 * The risk limits this scenario ran under that are not at their defaults, in the order the settings
 * are defined. The defaults themselves are listed once, on the report's index.
 */
export function limitsInForceHtml(version: number, settings: Readonly<Record<string, string>>, defaults: Readonly<Record<string, string>>): string {
  const order = Object.keys(SETTING_LABELS);
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  const changed = Object.entries(settings)
    .filter(([key, value]) => defaults[key] !== value)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  const atDefault = Object.keys(settings).length - changed.length;
  const where = 'listed on the report\'s index under "Risk limits in force"';
  const title = heading(`Risk limits in force at the end of the scenario (settings v${version})`);
  if (changed.length === 0) return title + `<p class="ev-legend">Every setting is at its default, ${escape(where)}.</p>`;
  // One line a setting, not a table row: a scenario sets a handful, and every scenario has this list.
  const items = changed.map(([key, value]) => `<li>${escape(settingLabel(key))} <strong>${escape(formatSettingValue(value))}</strong> (${defaults[key] === undefined ? 'no default' : `default ${escape(formatSettingValue(defaults[key]))}`})</li>`);
  const rest = atDefault === 1 ? 'The other setting is at its default' : `The ${atDefault} other settings are at their defaults`;
  return title + `<ul class="ev-list">${items.join('')}</ul><p class="ev-legend">${escape(`${rest}, ${where}.`)}</p>`;
}

/** What the system knew of one symbol's market at the end of a scenario (the port's MarketView, read through its fields). */
export interface MarketStateRow {
  readonly symbol: string;
  readonly session: { readonly session: string; readonly localTime: string; readonly holiday: string | null; readonly closedReason: string | null };
  readonly status: { readonly status: string; readonly reason: string | null; readonly awaitingReopeningPrint: boolean };
  readonly regime: string;
  readonly regimeDriver: string | null;
  readonly realizedVolatility: Decimal | null;
  readonly impliedVolatility: Decimal | null;
  readonly book: { readonly bids: readonly { price: Decimal; quantity: Decimal }[]; readonly asks: readonly { price: Decimal; quantity: Decimal }[]; readonly seq: number } | null;
  readonly bands: { readonly lower: Decimal; readonly upper: Decimal; readonly percent: Decimal; readonly doubled: boolean } | null;
  readonly closePreparation: boolean;
}

/** The market as the system held it when the scenario ended: one row a symbol, beside the decisions above it. */
export function marketStateHtml(rows: readonly MarketStateRow[]): string | null {
  if (rows.length === 0) return null;
  const share = (v: Decimal | null) => (v === null ? 'no estimate' : `${grouped(v.times(100), 2)} %`);
  const depth = (levels: readonly { quantity: Decimal }[]) => grouped(levels.reduce((t, l) => t.plus(l.quantity), new Decimal(0)));
  const cells = rows.map(m => {
    const bid = m.book?.bids[0]?.price;
    const ask = m.book?.asks[0]?.price;
    const spread = bid && ask && bid.plus(ask).gt(0) ? `${grouped(ask.minus(bid).div(bid.plus(ask).div(2)).times(10_000), 2)} bps` : 'no two-sided book';
    const closed = m.session.holiday ?? m.session.closedReason;
    const status = m.status.status === 'open' ? (m.status.awaitingReopeningPrint ? 'open, awaiting the reopening print' : 'open') : `${m.status.status}: ${m.status.reason ?? 'no reason given'}`;
    return [
      escape(m.symbol),
      escape(`${m.session.session}${closed ? ` (${closed})` : ''}${m.closePreparation ? ', close preparation' : ''}, ${m.session.localTime}`),
      m.status.status === 'open' ? escape(status) : `<strong class="ev-bad">${escape(status)}</strong>`,
      escape(m.regimeDriver ? `${m.regime} (set by ${m.regimeDriver})` : m.regime),
      escape(share(m.realizedVolatility)),
      escape(share(m.impliedVolatility)),
      escape(m.book ? `${bid ?? 'none'} / ${ask ?? 'none'} (book #${m.book.seq})` : 'no book'),
      escape(spread),
      escape(m.book ? `${depth(m.book.bids)} / ${depth(m.book.asks)}` : 'no book'),
      escape(m.bands ? `${grouped(m.bands.lower, 2)} - ${grouped(m.bands.upper, 2)} (${grouped(m.bands.percent.times(100), 1)} %${m.bands.doubled ? ', doubled' : ''})` : 'none'),
    ];
  });
  const columns: Column[] = [
    { title: 'symbol' },
    { title: 'session' },
    { title: 'trading status' },
    { title: 'volatility regime' },
    { title: 'realized volatility' },
    { title: 'implied volatility' },
    { title: 'best bid / ask' },
    { title: 'spread' },
    { title: 'depth bid / ask' },
    { title: 'price band (LULD)' },
  ];
  return heading('The market at the end of the scenario, as the system held it from the venue\'s feed') + table(columns, cells, () => '', 'ev-market');
}
