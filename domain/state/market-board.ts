import { Decimal } from '../shared';
import type { HaltReason, MarketWideLevel, SessionName, TradingStatusValue } from '../market';
import type { CalendarName } from '../model';
import type { EventOf } from './events';
import type { Commit } from './projection';

/** A symbol's (or MARKET_WIDE's) trading status as the log last recorded it. */
export interface RecordedTradingStatus {
  readonly status: TradingStatusValue;
  readonly reason: HaltReason | null;
  readonly since: string;
  readonly reopeningPrice: Decimal | null;
  /** A halt or pause leaves market orders waiting for the reopening print; a reopening that carries it ends the wait. */
  readonly awaitingReopeningPrint: boolean;
  /** Order of recording, to tell which of a symbol's and the market-wide status is the later. */
  readonly order: number;
}

export interface RecordedMarketWideTrigger {
  readonly level: MarketWideLevel;
  readonly halts: boolean;
  readonly haltEnds: string | null;
  readonly at: string;
}

export interface RecordedSession {
  readonly session: SessionName;
  readonly tradingDay: string | null;
  readonly localTime: string;
}

type MarketEvent = EventOf<
  'MarketStatusChanged' | 'ImpliedVolatilityUpdated' | 'PriorCloseRecorded' | 'MarketWideBreakerTriggered' | 'MarketSessionChanged' | 'ClosePreparationStarted' | 'DayOrdersExpired'
>;

/**
 * What the log says about the market, so a restart keeps it: trading statuses (halts survive a
 * restart), implied volatilities, prior closes, the market-wide breaker levels reached each day,
 * the last session of each calendar, and the close actions taken each day (each once a day).
 */
export class MarketBoard {
  readonly statuses = new Map<string, RecordedTradingStatus>();
  readonly impliedVolatility = new Map<string, Decimal>();
  readonly priorCloses = new Map<string, { readonly price: Decimal; readonly tradingDay: string }>();
  /** Per trading day, the market-wide levels reached. */
  readonly marketWideTriggers = new Map<string, RecordedMarketWideTrigger[]>();
  readonly sessions = new Map<CalendarName, RecordedSession>();
  readonly closePreparations = new Map<string, EventOf<'ClosePreparationStarted'>['payload']>();
  readonly dayOrderExpiries = new Map<string, readonly string[]>();
  private recorded = 0;

  /** The levels reached on a trading day. */
  levelsReached(tradingDay: string): ReadonlySet<MarketWideLevel> {
    return new Set((this.marketWideTriggers.get(tradingDay) ?? []).map(t => t.level));
  }

  prepare(event: MarketEvent): Commit {
    switch (event.type) {
      case 'MarketStatusChanged': {
        const p = event.payload;
        const reopeningPrice = p.reopeningPrice !== undefined ? new Decimal(p.reopeningPrice) : null;
        return (at: string) => {
          const before = this.statuses.get(p.symbol);
          const awaiting = p.status !== 'open' ? true : reopeningPrice !== null ? false : (before?.awaitingReopeningPrint ?? false);
          this.recorded += 1;
          this.statuses.set(p.symbol, {
            status: p.status,
            reason: p.reason === 'REOPENED' ? null : p.reason,
            since: at,
            reopeningPrice,
            awaitingReopeningPrint: awaiting,
            order: this.recorded,
          });
        };
      }
      case 'ImpliedVolatilityUpdated': {
        const value = new Decimal(event.payload.value);
        return () => this.impliedVolatility.set(event.payload.underlying, value);
      }
      case 'PriorCloseRecorded': {
        const price = new Decimal(event.payload.price);
        return () => this.priorCloses.set(event.payload.symbol, { price, tradingDay: event.payload.tradingDay });
      }
      case 'MarketWideBreakerTriggered': {
        const p = event.payload;
        return (at: string) => {
          const day = this.marketWideTriggers.get(p.tradingDay) ?? [];
          this.marketWideTriggers.set(p.tradingDay, [...day, { level: p.level, halts: p.halts, haltEnds: p.haltEnds, at }]);
        };
      }
      case 'MarketSessionChanged': {
        const p = event.payload;
        return () => this.sessions.set(p.calendar, { session: p.session, tradingDay: p.tradingDay, localTime: p.localTime });
      }
      case 'ClosePreparationStarted':
        return () => this.closePreparations.set(event.payload.tradingDay, event.payload);
      case 'DayOrdersExpired':
        return () => this.dayOrderExpiries.set(event.payload.tradingDay, event.payload.orders);
    }
  }
}
