import { Decimal } from '../domain/shared/decimal';
import { BREAKER_LEVEL_SETTINGS, BreakerSnapshot } from '../domain/breakers';
import { EventOf, StoredEvent } from '../domain/state/events';
import { PlaceResult } from '../domain/execution/execution-coordinator';
import { DEFAULT_BOOK_DEPTH, TradingWorld } from './world';
import { asSystemText } from './parameter-types';

/**
 * The circuit-breaker vocabulary of the DSL: arm the breakers, set their levels, move the market
 * over (virtual) time, send a basket with a tick in the middle, and find what the breakers recorded.
 */

/** Percent levels are entered as a person writes them; the correlation jump is a plain number. */
export function setBreakerLevels(world: TradingWorld, levels: readonly { breaker: string; warning: string; critical: string }[]): void {
  const changes: Record<string, string> = {};
  for (const { breaker, warning, critical } of levels) {
    const keys = BREAKER_LEVEL_SETTINGS[breaker];
    if (!keys) throw new Error(`no standard breaker "${breaker}"; known: ${Object.keys(BREAKER_LEVEL_SETTINGS).join(', ')}`);
    changes[keys.warning] = asSystemText(warning.replace(/ ?%$/, ''));
    changes[keys.critical] = asSystemText(critical.replace(/ ?%$/, ''));
  }
  world.changeSettings(changes, 'risk officer', 'circuit breaker levels');
}

/** Let time pass, then a new mark: the broker's book follows the mark unless bids are given. */
export function markLater(world: TradingWorld, ms: number, symbol: string, price: Decimal, bids?: readonly { price: Decimal; quantity: Decimal }[]): void {
  world.clock.advance(ms);
  if (!bids) {
    world.mark(symbol, price);
    return;
  }
  // The thin book is in place before the tick reaches the system, as it would be at the venue.
  world.broker.setMark(symbol, price);
  world.broker.setBook(symbol, 'bids', bids.map(b => ({ ...b })));
  world.broker.setBook(symbol, 'asks', [{ price, quantity: DEFAULT_BOOK_DEPTH }]);
  world.system.updateMark(symbol, price);
}

/** Every symbol marked again once a minute at its current mark (a quiet market), then the responses settle. */
export async function calmMarket(world: TradingWorld, minutes: number): Promise<void> {
  for (let i = 0; i < minutes; i += 1) {
    world.clock.advance(60_000);
    for (const [symbol, price] of [...world.system.state.marks.entries()]) world.mark(symbol, price);
    await world.system.breakers.idle();
  }
}

export interface BasketWithTick {
  readonly sentBeforeTick: PlaceResult[];
  readonly sentAfterTick: PlaceResult[];
  /** The log position of the tick that moved the market. */
  readonly tickSeq: number;
}

/**
 * An execution algorithm sends orders one after another without waiting for the broker's answers;
 * after the n-th has gone out, the market ticks. Each order's submission is recorded in the same
 * synchronous step as its risk check, so "sent before the tick" is exact, not a matter of timing.
 */
export async function sendBasketWithTick(
  world: TradingWorld,
  orders: { count: number; side: 'buy' | 'sell'; quantity: Decimal; symbol: string; price: Decimal },
  tick: { after: number; symbol: string; price: Decimal },
): Promise<BasketWithTick> {
  const pending: Promise<PlaceResult>[] = [];
  const input = () => ({ symbol: orders.symbol, side: orders.side, type: 'limit', quantity: orders.quantity.toString(), limitPrice: orders.price.toString() });
  let tickSeq = 0;
  for (let i = 1; i <= orders.count; i += 1) {
    pending.push(world.system.coordinator.place(input()));
    if (i === tick.after) {
      world.mark(tick.symbol, tick.price);
      tickSeq = world.system.events.filter(e => e.type === 'MarkPriceUpdated').pop()!.seq;
    }
  }
  const results = await Promise.all(pending);
  world.basket = results;
  world.placeResults.push(...results);
  await world.system.breakers.idle();
  const waiting = new Set(['submitted', 'pending_cancel']);
  await world.waitUntil('no order of the basket to wait for the broker any more', () =>
    results.every(r => (r.outcome === 'rejected' && r.stage === 'input') || !waiting.has(world.system.state.order(r.order.clientOrderId).status)),
  );
  await world.system.breakers.idle();
  // Until the broker's reports (a cancel by the kill switch, say) have been applied here too.
  for (const r of results) if (r.outcome !== 'rejected') await world.settle(r.order.clientOrderId);
  return { sentBeforeTick: results.slice(0, tick.after), sentAfterTick: results.slice(tick.after), tickSeq };
}

/** Metrics a risk officer can pick for a breaker registered at runtime. */
export function markPriceMetric(symbol: string): (snapshot: BreakerSnapshot) => Decimal | null {
  return snapshot => snapshot.state.marks.get(symbol) ?? null;
}

export function breakerEvents<T extends StoredEvent['type']>(world: TradingWorld, type: T, breaker?: string): (StoredEvent & EventOf<T>)[] {
  return world.system.events.filter(
    (e): e is StoredEvent & EventOf<T> => e.type === type && (breaker === undefined || (e.payload as { breaker?: string }).breaker === breaker),
  );
}

export function tripOf(world: TradingWorld, breaker: string): StoredEvent & EventOf<'BreakerTripped'> {
  const trips = breakerEvents(world, 'BreakerTripped', breaker);
  if (trips.length === 0) {
    const levels = breakerEvents(world, 'BreakerLevelChanged', breaker).map(e => `${e.payload.to} at ${e.payload.observedText}`);
    throw new Error(`breaker ${breaker} has not tripped (levels seen: ${levels.join(', ') || 'none'}; tripped: ${breakerEvents(world, 'BreakerTripped').map(e => e.payload.breaker).join(', ') || 'none'})`);
  }
  return trips[trips.length - 1];
}

/** A figure from the log, rounded as the Gherkin gives it (a share as a percentage). */
export function shownAs(raw: string, expected: Decimal, percent: boolean): string {
  const value = percent ? new Decimal(raw).times(100) : new Decimal(raw);
  return value.toDecimalPlaces(Math.max(0, expected.decimalPlaces()), Decimal.ROUND_HALF_UP).toString();
}
