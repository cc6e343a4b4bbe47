import { Decimal, describeError } from '../shared';
import type { CalendarName, Instrument } from '../model';
import type { TradingLedger } from '../state';
import type { Telemetry } from '../telemetry';
// Type-only: the watch acts through the execution coordinator it is handed, never by importing it.
import type { CancelResult, OrderInput, PlaceResult } from '../execution';
import type { SessionInfo } from './market-view';
import { calendarFor } from './venue-calendar';

/** Inside the close preparation window: the regular session, at or after its close less the minutes given. */
export function inClosePreparation(session: SessionInfo, now: Date, minutes: Decimal): boolean {
  if (session.session !== 'regular' || !session.regularClose) return false;
  const starts = session.regularClose.getTime() - minutes.times(60_000).toNumber();
  return now.getTime() >= starts && now.getTime() < session.regularClose.getTime();
}

/** When the close preparation window of a session opens. */
export function closePreparationStarts(regularClose: Date, minutes: Decimal): Date {
  return new Date(regularClose.getTime() - minutes.times(60_000).toNumber());
}

/** What the watch does to orders, through the execution coordinator (so every order passes the risk checks). */
export interface SessionWatchOrders {
  place(input: OrderInput): Promise<PlaceResult>;
  cancel(clientOrderId: string, reason: string): Promise<CancelResult>;
}

export interface SessionWatchPorts {
  readonly ledger: TradingLedger;
  readonly clock: { now(): Date };
  readonly orders: SessionWatchOrders;
  readonly telemetry?: Telemetry;
}

export const CLOSE_PREPARATION_ACTOR = 'close preparation';
export const DAY_ORDER_EXPIRY_REASON = 'day order expired at the close';

/** The flattening order of a symbol on a trading day: one id, so a second attempt the same day is refused as a duplicate. */
export function closePreparationOrderId(tradingDay: string, symbol: string): string {
  return `CP-${tradingDay}-${symbol.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 36);
}

/**
 * The venue's day as it passes, run on every market data message (the clock says when): records
 * each session change of a calendar once; at the start of close preparation flattens the positions
 * of instruments that do not carry overnight; at the regular close cancels the day orders still
 * working; on a halt, cancels the halted symbols' working orders if the policy says so. Each daily
 * action happens once a trading day, read from the log, so a restart does not repeat it.
 */
export class SessionWatch {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly ports: SessionWatchPorts) {}

  /** The calendars with sessions among the listed instruments (a 24/7 calendar has none to watch). */
  private calendars(): CalendarName[] {
    return [...new Set(this.ports.ledger.state.instruments.all().map(i => i.calendar))].filter(c => c !== 'continuous');
  }

  private instrumentsOn(calendar: CalendarName): Instrument[] {
    return this.ports.ledger.state.instruments.all().filter(i => i.calendar === calendar && i.tradable);
  }

  run(): void {
    const now = this.ports.clock.now();
    for (const calendar of this.calendars()) {
      const session = calendarFor(calendar).sessionAt(now);
      this.recordSession(calendar, session);
      this.prepareForClose(calendar, session, now);
      this.expireDayOrders(calendar, session, now);
    }
  }

  /** A halt: with the halt_order_policy 'cancel', the working orders of the halted symbols are cancelled; with 'hold' they wait. */
  halted(symbols: readonly string[], reason: string): void {
    const state = this.ports.ledger.state;
    if (state.settings.limits.haltOrderPolicy !== 'cancel') return;
    const halted = new Set(symbols);
    for (const order of state.workingOrders()) {
      if (halted.has(order.symbol) && order.status !== 'pending_cancel') this.track(this.ports.orders.cancel(order.clientOrderId, `halt: ${reason}`));
    }
  }

  /** Resolves when every order action started so far has been answered. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private recordSession(calendar: CalendarName, session: SessionInfo): void {
    const last = this.ports.ledger.state.market.sessions.get(calendar);
    if (last && last.session === session.session && last.tradingDay === session.tradingDay) return;
    this.ports.ledger.record({ type: 'MarketSessionChanged', payload: { calendar, session: session.session, tradingDay: session.tradingDay, localTime: session.localTime } });
  }

  private prepareForClose(calendar: CalendarName, session: SessionInfo, now: Date): void {
    const state = this.ports.ledger.state;
    const day = session.tradingDay;
    if (!day || !session.regularClose || state.market.closePreparations.has(day)) return;
    if (!inClosePreparation(session, now, state.settings.limits.closePreparationMinutes)) return;
    const onCalendar = new Map(this.instrumentsOn(calendar).map(i => [i.symbol, i] as const));
    const open = state.openPositions().filter(p => onCalendar.has(p.symbol));
    const flattened = open.filter(p => onCalendar.get(p.symbol)?.closePolicy === 'flatten');
    const carried = open.filter(p => onCalendar.get(p.symbol)?.closePolicy !== 'flatten');
    // Recorded before the orders go out: the log says the day's preparation began, whatever the orders meet.
    this.ports.ledger.record({
      type: 'ClosePreparationStarted',
      payload: { tradingDay: day, closesAt: session.regularClose.toISOString(), flattened: flattened.map(p => p.symbol), carried: carried.map(p => p.symbol) },
    });
    for (const position of flattened) this.track(this.flatten(day, position.symbol));
  }

  /** Cancel the symbol's working orders first (a working order on the closing side would make the flattening order add risk), then close it at market. */
  private async flatten(day: string, symbol: string): Promise<void> {
    const state = this.ports.ledger.state;
    const working = state.workingOrders().filter(o => o.symbol === symbol && o.status !== 'pending_cancel');
    await Promise.allSettled(working.map(o => this.ports.orders.cancel(o.clientOrderId, CLOSE_PREPARATION_ACTOR)));
    const quantity = state.position(symbol).netQuantity;
    if (quantity.isZero()) return;
    const result = await this.ports.orders.place({
      clientOrderId: closePreparationOrderId(day, symbol),
      symbol,
      side: quantity.isPositive() ? 'sell' : 'buy',
      type: 'market',
      quantity: quantity.abs().toString(),
      reduceOnly: true,
    });
    if (result.outcome !== 'accepted') this.ports.telemetry?.increment(`market.close_preparation.flatten_${result.outcome}`);
  }

  private expireDayOrders(calendar: CalendarName, session: SessionInfo, now: Date): void {
    const state = this.ports.ledger.state;
    const day = session.tradingDay;
    if (!day || !session.regularClose || now.getTime() < session.regularClose.getTime() || state.market.dayOrderExpiries.has(day)) return;
    const onCalendar = new Set(this.instrumentsOn(calendar).map(i => i.symbol));
    const expiring = state.workingOrders().filter(o => o.timeInForce === 'day' && onCalendar.has(o.symbol) && o.status !== 'pending_cancel');
    this.ports.ledger.record({ type: 'DayOrdersExpired', payload: { tradingDay: day, orders: expiring.map(o => o.clientOrderId) } });
    for (const order of expiring) this.track(this.ports.orders.cancel(order.clientOrderId, DAY_ORDER_EXPIRY_REASON));
  }

  private track(work: Promise<unknown>): void {
    const settled = work.catch(error => this.ports.telemetry?.increment(`market.session_watch.errors.${describeError(error).kind}`));
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }
}
