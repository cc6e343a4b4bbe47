import { DateTime } from 'luxon';
import { TradingError } from '../shared';
import type { CalendarName } from '../model';
import type { SessionInfo } from './market-view';

/** A venue's trading calendar: its zone, sessions, holidays and early closes. */
export interface VenueCalendar {
  readonly name: CalendarName;
  /** IANA zone the venue keeps its hours in. */
  readonly zone: string;
  sessionAt(instant: Date): SessionInfo;
}

/** A full closure of the NYSE: its observed date (yyyy-MM-dd, America/New_York) and name. */
export interface VenueHoliday {
  readonly date: string;
  readonly name: string;
}

export const NYSE_ZONE = 'America/New_York';

/** The NYSE day in venue time (hours and minutes in America/New_York); the early-close hours apply on the days nyseEarlyCloses lists. */
export const NYSE_HOURS = {
  preMarketOpen: { hour: 4, minute: 0 },
  regularOpen: { hour: 9, minute: 30 },
  regularClose: { hour: 16, minute: 0 },
  afterHoursClose: { hour: 20, minute: 0 },
  earlyRegularClose: { hour: 13, minute: 0 },
  earlyAfterHoursClose: { hour: 17, minute: 0 },
} as const;

/** The first and last years the holiday rules here are written for: MLK Day became an NYSE holiday in 1998. */
export const NYSE_FIRST_YEAR = 1998;
export const NYSE_LAST_YEAR = 2099;
/** Juneteenth has closed the NYSE since 2022. */
const JUNETEENTH_FIRST_YEAR = 2022;

const SATURDAY = 6;
const SUNDAY = 7;
const MONDAY = 1;
const THURSDAY = 4;

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < NYSE_FIRST_YEAR || year > NYSE_LAST_YEAR) {
    throw new TradingError('InvalidInput', `NYSE calendar: the rules cover the years ${NYSE_FIRST_YEAR} to ${NYSE_LAST_YEAR} (got ${year})`, { year });
  }
}

// Calendar dates are worked out in UTC so that nothing depends on the host's zone.
function civilDate(year: number, month: number, day: number): DateTime {
  return DateTime.utc(year, month, day);
}

function nthWeekday(year: number, month: number, weekday: number, n: number): DateTime {
  const first = civilDate(year, month, 1);
  return first.plus({ days: ((weekday - first.weekday + 7) % 7) + 7 * (n - 1) });
}

function lastWeekday(year: number, month: number, weekday: number): DateTime {
  const last = civilDate(year, month, 1).endOf('month').startOf('day');
  return last.minus({ days: (last.weekday - weekday + 7) % 7 });
}

/** Easter Sunday in the Gregorian calendar (the anonymous computus of Meeus, Jones and Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return isoDate(civilDate(year, month, day));
}

function isoDate(date: DateTime): string {
  return date.toFormat('yyyy-MM-dd');
}

/** A Saturday holiday closes the Friday before unless that Friday ends a month (New Year's Day); a Sunday one closes the Monday after. */
function observed(date: DateTime): DateTime | null {
  if (date.weekday === SUNDAY) return date.plus({ days: 1 });
  if (date.weekday !== SATURDAY) return date;
  const friday = date.minus({ days: 1 });
  return friday.month === date.month ? friday : null;
}

const holidaysByYear = new Map<number, readonly VenueHoliday[]>();
const earlyClosesByYear = new Map<number, readonly string[]>();

/** NYSE full closures of a year, computed from the rules (observed dates), in date order. */
export function nyseHolidays(year: number): VenueHoliday[] {
  checkYear(year);
  let holidays = holidaysByYear.get(year);
  if (!holidays) {
    const good = DateTime.fromISO(easterSunday(year), { zone: 'utc' }).minus({ days: 2 });
    const rules: [string, DateTime | null][] = [
      ["New Year's Day", observed(civilDate(year, 1, 1))],
      ['Martin Luther King Jr. Day', nthWeekday(year, 1, MONDAY, 3)],
      ["Washington's Birthday", nthWeekday(year, 2, MONDAY, 3)],
      ['Good Friday', good],
      ['Memorial Day', lastWeekday(year, 5, MONDAY)],
      ['Juneteenth', year >= JUNETEENTH_FIRST_YEAR ? observed(civilDate(year, 6, 19)) : null],
      ['Independence Day', observed(civilDate(year, 7, 4))],
      ['Labor Day', nthWeekday(year, 9, MONDAY, 1)],
      ['Thanksgiving', nthWeekday(year, 11, THURSDAY, 4)],
      ['Christmas', observed(civilDate(year, 12, 25))],
    ];
    holidays = rules
      .filter((rule): rule is [string, DateTime] => rule[1] !== null)
      .map(([name, date]) => ({ date: isoDate(date), name }))
      .sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
    holidaysByYear.set(year, holidays);
  }
  return holidays.map(holiday => ({ ...holiday }));
}

/** NYSE 13:00 early closes of a year (yyyy-MM-dd), in date order. */
export function nyseEarlyCloses(year: number): string[] {
  checkYear(year);
  let closes = earlyClosesByYear.get(year);
  if (!closes) {
    const closed = new Set(nyseHolidays(year).map(holiday => holiday.date));
    const weekdayTradingDay = (date: DateTime): boolean => date.weekday < SATURDAY && !closed.has(isoDate(date));
    const candidates = [civilDate(year, 7, 3), nthWeekday(year, 11, THURSDAY, 4).plus({ days: 1 }), civilDate(year, 12, 24)];
    closes = candidates.filter(weekdayTradingDay).map(isoDate);
    earlyClosesByYear.set(year, closes);
  }
  return [...closes];
}

function holidayOn(date: DateTime): string | null {
  const day = isoDate(date);
  return nyseHolidays(date.year).find(holiday => holiday.date === day)?.name ?? null;
}

function isTradingDay(date: DateTime): boolean {
  return date.weekday < SATURDAY && holidayOn(date) === null;
}

function isEarlyClose(date: DateTime): boolean {
  return nyseEarlyCloses(date.year).includes(isoDate(date));
}

function localTimeOf(instant: DateTime): string {
  // The zone abbreviation ("EDT") comes from the locale; pinned so the host's locale cannot change it.
  return instant.setLocale('en-US').toFormat('yyyy-MM-dd HH:mm:ss ZZZZ');
}

function checkInstant(instant: Date): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new TradingError('InvalidInput', 'sessionAt: the instant is not a valid date', { instant: String(instant) });
  }
}

/**
 * The NYSE in America/New_York. Every closed period (night, weekend, holiday) has no trading day:
 * tradingDay, regularOpen and regularClose are null and earlyClose false, so 03:00 on a trading day
 * reads the same as 21:00 the night before; nextChange says when pre-market opens.
 */
class NyseCalendar implements VenueCalendar {
  readonly name = 'us-equity' as const;
  readonly zone = NYSE_ZONE;
  /**
   * The open session last computed: every instant inside it has the same answer but its local time.
   * A session lies within 04:00-20:00, and New York changes its offset at 02:00, so one offset and
   * one zone abbreviation serve the whole of it. Every decision and market message asks, so this
   * keeps the answer to a few microseconds instead of a few hundred.
   */
  private openSession: { readonly fromMs: number; readonly untilMs: number; readonly offsetMs: number; readonly zoneName: string; readonly info: SessionInfo } | null = null;

  sessionAt(instant: Date): SessionInfo {
    checkInstant(instant);
    const atMs = instant.getTime();
    const cached = this.openSession;
    if (cached && atMs >= cached.fromMs && atMs < cached.untilMs) return this.inside(cached, atMs);
    const info = this.compute(instant);
    if (info.session !== 'closed' && info.regularOpen && info.regularClose && info.nextChange) {
      const local = DateTime.fromJSDate(instant, { zone: NYSE_ZONE });
      const fromMs = info.session === 'pre-market' ? local.set({ hour: NYSE_HOURS.preMarketOpen.hour, minute: NYSE_HOURS.preMarketOpen.minute, second: 0, millisecond: 0 }).toMillis()
        : info.session === 'regular' ? info.regularOpen.getTime()
        : info.regularClose.getTime();
      this.openSession = { fromMs, untilMs: info.nextChange.getTime(), offsetMs: local.offset * 60_000, zoneName: local.setLocale('en-US').toFormat('ZZZZ'), info };
    }
    return info;
  }

  /** The cached session's answer at an instant inside it, with fresh dates a caller may keep. */
  private inside(cached: NonNullable<NyseCalendar['openSession']>, atMs: number): SessionInfo {
    const { info } = cached;
    const localTime = `${new Date(atMs + cached.offsetMs).toISOString().slice(0, 19).replace('T', ' ')} ${cached.zoneName}`;
    const copy = (date: Date | null) => (date === null ? null : new Date(date.getTime()));
    return { ...info, regularOpen: copy(info.regularOpen), regularClose: copy(info.regularClose), nextChange: copy(info.nextChange), localTime };
  }

  private compute(instant: Date): SessionInfo {
    const local = DateTime.fromJSDate(instant, { zone: NYSE_ZONE });
    const day = local.startOf('day');
    const localTime = localTimeOf(local);
    const closed = (closedReason: 'night' | 'weekend' | 'holiday', holiday: string | null): SessionInfo => ({
      session: 'closed',
      tradingDay: null,
      closedReason,
      holiday,
      earlyClose: false,
      regularOpen: null,
      regularClose: null,
      nextChange: this.nextPreMarketOpen(local),
      localTime,
    });

    if (local.weekday >= SATURDAY) return closed('weekend', null);
    const holiday = holidayOn(day);
    if (holiday !== null) return closed('holiday', holiday);

    const early = isEarlyClose(day);
    const at = (time: { hour: number; minute: number }): DateTime => day.set({ hour: time.hour, minute: time.minute, second: 0, millisecond: 0 });
    const preMarketOpen = at(NYSE_HOURS.preMarketOpen);
    const regularOpen = at(NYSE_HOURS.regularOpen);
    const regularClose = at(early ? NYSE_HOURS.earlyRegularClose : NYSE_HOURS.regularClose);
    const afterHoursClose = at(early ? NYSE_HOURS.earlyAfterHoursClose : NYSE_HOURS.afterHoursClose);
    if (local < preMarketOpen || local >= afterHoursClose) return closed('night', null);

    const [session, nextChange] =
      local < regularOpen ? (['pre-market', regularOpen] as const)
      : local < regularClose ? (['regular', regularClose] as const)
      : (['after-hours', afterHoursClose] as const);
    return {
      session,
      tradingDay: isoDate(day),
      closedReason: null,
      holiday: null,
      earlyClose: early,
      regularOpen: regularOpen.toJSDate(),
      regularClose: regularClose.toJSDate(),
      nextChange: nextChange.toJSDate(),
      localTime,
    };
  }

  /** The next pre-market open after a closed instant: today's if it is still ahead, else the next trading day's. */
  private nextPreMarketOpen(local: DateTime): Date {
    let day = local.startOf('day');
    const openOf = (date: DateTime): DateTime => date.set({ hour: NYSE_HOURS.preMarketOpen.hour, minute: NYSE_HOURS.preMarketOpen.minute });
    if (!(isTradingDay(day) && local < openOf(day))) {
      do day = day.plus({ days: 1 });
      while (!isTradingDay(day));
    }
    return openOf(day).toJSDate();
  }
}

/** A venue that never closes (crypto): always in the continuous session; its day is the UTC date. */
class ContinuousCalendar implements VenueCalendar {
  readonly name = 'continuous' as const;
  readonly zone = 'UTC';

  sessionAt(instant: Date): SessionInfo {
    checkInstant(instant);
    const utc = DateTime.fromJSDate(instant, { zone: 'utc' });
    return {
      session: 'continuous',
      tradingDay: isoDate(utc),
      closedReason: null,
      holiday: null,
      earlyClose: false,
      regularOpen: null,
      regularClose: null,
      nextChange: null,
      localTime: localTimeOf(utc),
    };
  }
}

const CALENDARS: Readonly<Record<CalendarName, VenueCalendar>> = {
  'us-equity': new NyseCalendar(),
  continuous: new ContinuousCalendar(),
};

/** The calendar an instrument names. */
/** A calendar of its own (the shared ones remember the last session they computed): for comparing answers in tests. */
export function newCalendar(name: CalendarName): VenueCalendar {
  calendarFor(name);
  return name === 'us-equity' ? new NyseCalendar() : new ContinuousCalendar();
}

export function calendarFor(name: CalendarName): VenueCalendar {
  const calendar = (CALENDARS as Partial<Record<string, VenueCalendar>>)[name];
  if (!calendar) throw new TradingError('InvalidInput', `No trading calendar is named "${String(name)}"`, { name });
  return calendar;
}
