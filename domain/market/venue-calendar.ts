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

/** NYSE full closures of a year, computed from the rules (observed dates), in date order. */
export function nyseHolidays(year: number): VenueHoliday[] {
  void year;
  throw new Error('nyseHolidays: to be implemented');
}

/** NYSE 13:00 early closes of a year (yyyy-MM-dd), in date order. */
export function nyseEarlyCloses(year: number): string[] {
  void year;
  throw new Error('nyseEarlyCloses: to be implemented');
}

/** The calendar an instrument names. */
export function calendarFor(name: CalendarName): VenueCalendar {
  void name;
  throw new Error('calendarFor: to be implemented');
}
