import { Decimal, ZERO } from '../shared';
import { Order, Position, isWorking } from '../model';
import type { BrokerFill, BrokerOrderView, BrokerPosition, BrokerBalance } from '../execution';
import type { BookedFill } from '../state';
import { averagesAgree } from './position-reconciler';
import { DiscrepancyFigures } from './discrepancy';


/** What a comparison finds, before a policy is applied: the row's figures and what would fix it. */
export interface Finding extends DiscrepancyFigures {
  readonly evidence?: Readonly<Record<string, string>>;
  /** What the broker's side holds, for the policy to act on. */
  readonly fill?: BrokerFill;
  readonly view?: BrokerOrderView;
  readonly order?: Order;
  readonly brokerPosition?: { readonly symbol: string; readonly netQuantity: Decimal; readonly averageEntryPrice: Decimal };
  readonly brokerCash?: { readonly currency: string; readonly amount: Decimal };
}

const diff = (broker: Decimal, ours: Decimal) => broker.minus(ours).toString();

function describeFills(fills: readonly { tradeId: string; quantity: Decimal; price: Decimal }[]): string {
  return fills.length === 0 ? 'none' : fills.map(f => `${f.tradeId}: ${f.quantity.toString()} @ ${f.price.toString()}`).join('; ');
}

/** What a person needs to decide a dispute on an order: both sides' fills of it and both sides' view of the order. */
export function orderEvidence(order: Order | undefined, view: BrokerOrderView | undefined, ours: readonly BookedFill[], theirs: readonly BrokerFill[]): Record<string, string> {
  return {
    'our fills': describeFills(ours),
    "the broker's fills": describeFills(theirs),
    "the broker's order": view ? `${view.status}, ${view.filledQuantity.toString()} of ${view.quantity.toString()} filled at ${view.averageFillPrice.toString()}` : 'not known',
    'our order': order ? `${order.status}, ${order.filledQuantity.toString()} of ${order.quantity.toString()} filled at ${order.averageFillPrice.toString()}` : 'none',
  };
}

/**
 * Orders: the broker's open orders against the log's working ones, and every working order's
 * broker view (asked by id when it is not among the open ones; undefined when the broker does not know it).
 */
export function compareOrders(
  working: readonly Order[],
  knownHere: (clientOrderId: string) => boolean,
  brokerOpen: readonly BrokerOrderView[],
  viewOf: (clientOrderId: string) => BrokerOrderView | undefined,
): Finding[] {
  const findings: Finding[] = [];
  for (const view of brokerOpen) {
    if (knownHere(view.clientOrderId)) continue;
    findings.push({
      class: 'order unknown here',
      part: 'orders',
      subject: { clientOrderId: view.clientOrderId, symbol: view.symbol },
      ours: 'none',
      broker: `${view.status} ${view.side} ${view.quantity.toString()} ${view.symbol}${view.limitPrice ? ` at ${view.limitPrice.toString()}` : ''}, ${view.filledQuantity.toString()} filled`,
      difference: null,
      tolerance: null,
      view,
    });
  }
  for (const order of working) {
    const view = viewOf(order.clientOrderId);
    if (!view) {
      findings.push({
        class: 'order unknown at broker',
        part: 'orders',
        subject: { clientOrderId: order.clientOrderId, symbol: order.symbol },
        ours: `${order.status}, ${order.filledQuantity.toString()} of ${order.quantity.toString()} filled`,
        broker: 'not known',
        difference: null,
        tolerance: null,
        order,
      });
      continue;
    }
    const brokerWorking = view.status === 'open' || view.status === 'partially_filled';
    const termsDiffer = !view.quantity.eq(order.quantity) || (view.limitPrice?.toString() ?? '') !== (order.limitPrice?.toString() ?? '');
    if (brokerWorking && termsDiffer && order.status !== 'pending_replace') {
      findings.push({
        class: 'order terms mismatch',
        part: 'orders',
        subject: { clientOrderId: order.clientOrderId, symbol: order.symbol },
        ours: `${order.quantity.toString()}${order.limitPrice ? ` at ${order.limitPrice.toString()}` : ''}`,
        broker: `${view.quantity.toString()}${view.limitPrice ? ` at ${view.limitPrice.toString()}` : ''}`,
        difference: diff(view.quantity, order.quantity),
        tolerance: null,
        order,
        view,
      });
    }
  }
  return findings;
}

/**
 * Trade history by trade id: the broker's fills against the log's. A fill the log lacks is missing
 * (or belongs to an order the system never had); one the broker lacks is unknown to it; one both
 * hold with other figures is a correction. Inferred fills carry no broker trade id and are not asked for.
 */
export function compareTrades(
  booked: ReadonlyMap<string, BookedFill>,
  brokerFills: readonly BrokerFill[],
  knownOrder: (clientOrderId: string) => boolean,
  quarantined: ReadonlySet<string>,
): Finding[] {
  const findings: Finding[] = [];
  const brokerIds = new Set<string>();
  for (const fill of brokerFills) {
    brokerIds.add(fill.tradeId);
    const ours = booked.get(fill.tradeId);
    const subject = { tradeId: fill.tradeId, clientOrderId: fill.clientOrderId, symbol: fill.symbol };
    const theirs = `${fill.quantity.toString()} @ ${fill.price.toString()}`;
    if (ours) {
      if (!ours.quantity.eq(fill.quantity) || !ours.price.eq(fill.price)) {
        findings.push({ class: 'trade mismatch', part: 'trades', subject, ours: `${ours.quantity.toString()} @ ${ours.price.toString()}`, broker: theirs, difference: diff(fill.price, ours.price), tolerance: null, dispute: true, fill });
      }
      continue;
    }
    if (quarantined.has(fill.tradeId)) continue;
    if (knownOrder(fill.clientOrderId)) {
      findings.push({ class: 'missing fill', part: 'trades', subject, ours: 'none', broker: theirs, difference: fill.quantity.toString(), tolerance: null, fill });
    } else {
      findings.push({ class: 'fill for unknown order', part: 'trades', subject, ours: 'no such order', broker: theirs, difference: fill.quantity.toString(), tolerance: null, fill });
    }
  }
  for (const fill of booked.values()) {
    if (fill.inferred || brokerIds.has(fill.tradeId)) continue;
    findings.push({
      class: 'unknown fill',
      part: 'trades',
      subject: { tradeId: fill.tradeId, clientOrderId: fill.clientOrderId, symbol: fill.symbol },
      ours: `${fill.quantity.toString()} @ ${fill.price.toString()}`,
      broker: 'not in its history',
      difference: fill.quantity.negated().toString(),
      tolerance: null,
      dispute: true,
    });
  }
  return findings;
}

/**
 * Order totals: what the broker counts as filled against the log, for every order the broker
 * answered for, and whether it closed one the log still has working.
 */
export function compareOrderTotals(orders: readonly Order[], viewOf: (clientOrderId: string) => BrokerOrderView | undefined, fillsOf: (clientOrderId: string) => readonly BookedFill[], brokerFillsOf: (clientOrderId: string) => readonly BrokerFill[]): Finding[] {
  const findings: Finding[] = [];
  for (const order of orders) {
    const view = viewOf(order.clientOrderId);
    if (!view) continue;
    const subject = { clientOrderId: order.clientOrderId, symbol: order.symbol };
    const ours = `${order.filledQuantity.toString()} filled at ${order.averageFillPrice.toString()}`;
    const broker = `${view.filledQuantity.toString()} filled at ${view.averageFillPrice.toString()}`;
    if (view.filledQuantity.gt(order.filledQuantity)) {
      findings.push({ class: 'missing fill', part: 'orders', subject, ours, broker, difference: diff(view.filledQuantity, order.filledQuantity), tolerance: null, order, view });
    } else if (view.filledQuantity.lt(order.filledQuantity)) {
      const evidence = orderEvidence(order, view, fillsOf(order.clientOrderId), brokerFillsOf(order.clientOrderId));
      findings.push({ class: 'broker filled less', part: 'orders', subject, ours, broker, difference: diff(view.filledQuantity, order.filledQuantity), tolerance: null, dispute: true, evidence, order, view });
    }
    if (isWorking(order) && (view.status === 'cancelled' || view.status === 'expired' || view.status === 'rejected') && !view.filledQuantity.lt(order.filledQuantity)) {
      findings.push({ class: 'status mismatch', part: 'orders', subject, ours: order.status, broker: view.status, difference: null, tolerance: null, order, view });
    }
  }
  return findings;
}

/**
 * Positions: quantity within the instrument's lot (a difference smaller than a lot cannot be
 * traded), average price within 0.01 %. The broker's report is authoritative, flat included: a
 * symbol it does not list is flat there.
 */
export function comparePositions(local: readonly Position[], broker: readonly BrokerPosition[], lotOf: (symbol: string) => Decimal): Finding[] {
  const findings: Finding[] = [];
  const theirs = new Map(broker.map(p => [p.symbol, p]));
  const symbols = new Set([...local.filter(p => !p.netQuantity.isZero()).map(p => p.symbol), ...broker.filter(p => !p.netQuantity.isZero()).map(p => p.symbol)]);
  const ours = new Map(local.map(p => [p.symbol, p]));
  for (const symbol of [...symbols].sort()) {
    const mine = ours.get(symbol);
    const quantity = mine?.netQuantity ?? ZERO;
    const average = mine?.averageEntryPrice ?? ZERO;
    const other = theirs.get(symbol);
    const brokerQuantity = other?.netQuantity ?? ZERO;
    const brokerAverage = other?.averageEntryPrice ?? ZERO;
    const brokerPosition = { symbol, netQuantity: brokerQuantity, averageEntryPrice: brokerAverage };
    const lot = lotOf(symbol);
    if (brokerQuantity.minus(quantity).abs().gte(lot)) {
      findings.push({ class: 'quantity mismatch', part: 'positions', subject: { symbol }, ours: quantity.toString(), broker: brokerQuantity.toString(), difference: diff(brokerQuantity, quantity), tolerance: `${lot.toString()} (one lot)`, brokerPosition });
      continue;
    }
    if (!quantity.isZero() && !averagesAgree(average, brokerAverage)) {
      findings.push({ class: 'average price mismatch', part: 'positions', subject: { symbol }, ours: average.toString(), broker: brokerAverage.toString(), difference: diff(brokerAverage, average), tolerance: '0.01 %', brokerPosition });
    }
  }
  return findings;
}

/** Cash per currency: equal, within the tolerance (a fee or rounding difference, recorded), or drifted. */
export function compareBalances(ours: ReadonlyMap<string, Decimal>, broker: readonly BrokerBalance[], tolerance: Decimal): Finding[] {
  const findings: Finding[] = [];
  const theirs = new Map(broker.map(b => [b.currency, b.cash]));
  for (const currency of [...new Set([...ours.keys(), ...theirs.keys()])].sort()) {
    const mine = ours.get(currency) ?? ZERO;
    const other = theirs.get(currency) ?? ZERO;
    if (mine.eq(other)) continue;
    const within = other.minus(mine).abs().lte(tolerance);
    findings.push({
      class: within ? 'within tolerance' : 'balance drift',
      part: 'balances',
      subject: { currency },
      ours: mine.toString(),
      broker: other.toString(),
      difference: diff(other, mine),
      tolerance: tolerance.toString(),
      brokerCash: { currency, amount: other },
    });
  }
  return findings;
}
