import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHolidays, isHoliday } from 'nyse-holidays';
import { calendarFor, easterSunday, newCalendar, nyseEarlyCloses, nyseHolidays, SessionInfo } from '../domain/market';

// The calendar must not read the host's zone; the oracle does, so it alone runs with the zone pinned.
// Every session test also runs under zones far from New York, whatever TZ the test process has.
function inHostZone<T>(zone: string, run: () => T): T {
  const before = process.env.TZ;
  process.env.TZ = zone;
  try {
    return run();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

const HOST_ZONES = [process.env.TZ ?? '(host default)', 'Asia/Tokyo', 'UTC', 'Pacific/Kiritimati', 'America/Los_Angeles'];

function zoneTest(name: string, body: () => void): void {
  test(name, () => {
    for (const zone of HOST_ZONES) {
      if (zone === '(host default)') body();
      else inHostZone(zone, body);
    }
  });
}

const nyseCalendar = calendarFor('us-equity');

function at(iso: string): SessionInfo {
  return nyseCalendar.sessionAt(new Date(iso));
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

const TABLE_2026 = [
  ['2026-01-01', "New Year's Day"],
  ['2026-01-19', 'Martin Luther King Jr. Day'],
  ['2026-02-16', "Washington's Birthday"],
  ['2026-04-03', 'Good Friday'],
  ['2026-05-25', 'Memorial Day'],
  ['2026-06-19', 'Juneteenth'],
  ['2026-07-03', 'Independence Day'],
  ['2026-09-07', 'Labor Day'],
  ['2026-11-26', 'Thanksgiving'],
  ['2026-12-25', 'Christmas'],
];

const TABLE_2027 = [
  ['2027-01-01', "New Year's Day"],
  ['2027-01-18', 'Martin Luther King Jr. Day'],
  ['2027-02-15', "Washington's Birthday"],
  ['2027-03-26', 'Good Friday'],
  ['2027-05-31', 'Memorial Day'],
  ['2027-06-18', 'Juneteenth'],
  ['2027-07-05', 'Independence Day'],
  ['2027-09-06', 'Labor Day'],
  ['2027-11-25', 'Thanksgiving'],
  ['2027-12-24', 'Christmas'],
];

zoneTest('the NYSE closures of 2026 and 2027 are the exchange\'s published tables, observed dates included', () => {
  assert.deepEqual(nyseHolidays(2026).map(h => [h.date, h.name]), TABLE_2026);
  assert.deepEqual(nyseHolidays(2027).map(h => [h.date, h.name]), TABLE_2027);
});

zoneTest('a Saturday New Year\'s Day is not observed on the Friday that ends the year before', () => {
  // 1 January 2028 is a Saturday: 31 December 2027 trades, and 2028 has no New Year closure.
  assert.equal(nyseHolidays(2028).some(h => h.name === "New Year's Day"), false);
  assert.equal(nyseHolidays(2027).some(h => h.date === '2027-12-31'), false);
  assert.equal(at('2027-12-31T15:00:00Z').session, 'regular');
  // A Sunday holiday moves to the Monday: Christmas 2022 closed Monday 26 December.
  assert.ok(nyseHolidays(2022).some(h => h.date === '2022-12-26' && h.name === 'Christmas'));
  // Juneteenth closes the exchange only from 2022.
  assert.equal(nyseHolidays(2021).some(h => h.name === 'Juneteenth'), false);
});

test('Easter by the computus: 5 April 2026, 28 March 2027, 16 April 2028, 25 April 2038', () => {
  assert.deepEqual([2026, 2027, 2028, 2038].map(easterSunday), ['2026-04-05', '2027-03-28', '2028-04-16', '2038-04-25']);
});

zoneTest('early closes: the day after Thanksgiving, a trading Christmas Eve and a trading 3 July', () => {
  // 2026: 3 July is the observed Independence Day, so no early close then.
  assert.deepEqual(nyseEarlyCloses(2026), ['2026-11-27', '2026-12-24']);
  // 2027: 3 July is a Saturday and 24 December the observed Christmas.
  assert.deepEqual(nyseEarlyCloses(2027), ['2027-11-26']);
  // 2028: 3 July is a Monday; 24 December a Sunday.
  assert.deepEqual(nyseEarlyCloses(2028), ['2028-07-03', '2028-11-24']);
});

test('years outside the rules are refused with a clear error', () => {
  assert.throws(() => nyseHolidays(1997), (e: Error & { kind?: string }) => e.kind === 'InvalidInput' && /1998 to 2099/.test(e.message));
  assert.throws(() => nyseEarlyCloses(2026.5), (e: Error & { kind?: string }) => e.kind === 'InvalidInput');
  assert.throws(() => nyseCalendar.sessionAt(new Date('not a date')), (e: Error & { kind?: string }) => e.kind === 'InvalidInput');
});

zoneTest('daylight saving: 09:30 ET is 14:30Z before the spring change and 13:30Z after, 14:30Z again after the autumn one', () => {
  const friday = at('2026-03-06T14:30:00Z');
  assert.equal(friday.session, 'regular');
  assert.equal(friday.localTime, '2026-03-06 09:30:00 EST');
  assert.equal(iso(friday.regularOpen), '2026-03-06T14:30:00.000Z');
  assert.equal(iso(friday.regularClose), '2026-03-06T21:00:00.000Z');
  assert.equal(at('2026-03-06T14:29:59Z').session, 'pre-market');

  const monday = at('2026-03-09T13:30:00Z');
  assert.equal(monday.session, 'regular');
  assert.equal(monday.localTime, '2026-03-09 09:30:00 EDT');
  assert.equal(iso(monday.regularOpen), '2026-03-09T13:30:00.000Z');
  assert.equal(at('2026-03-09T13:29:59Z').session, 'pre-market');

  const november = at('2026-11-02T14:30:00Z');
  assert.equal(november.session, 'regular');
  assert.equal(november.localTime, '2026-11-02 09:30:00 EST');
  assert.equal(iso(november.regularOpen), '2026-11-02T14:30:00.000Z');
  // The Friday before the autumn change is still on daylight time.
  assert.equal(iso(at('2026-10-30T13:30:00Z').regularOpen), '2026-10-30T13:30:00.000Z');
});

zoneTest('a trading day: pre-market from 04:00, regular from 09:30 to 16:00, after-hours to 20:00, then night', () => {
  // Monday 9 March 2026, EDT (UTC-4).
  const night = at('2026-03-09T07:59:59Z');
  assert.deepEqual({ ...night, nextChange: iso(night.nextChange) }, {
    session: 'closed', tradingDay: null, closedReason: 'night', holiday: null, earlyClose: false,
    regularOpen: null, regularClose: null, nextChange: '2026-03-09T08:00:00.000Z', localTime: '2026-03-09 03:59:59 EDT',
  });
  const pre = at('2026-03-09T08:00:00Z');
  assert.equal(pre.session, 'pre-market');
  assert.equal(pre.tradingDay, '2026-03-09');
  assert.equal(iso(pre.nextChange), '2026-03-09T13:30:00.000Z');
  assert.equal(at('2026-03-09T13:29:59Z').session, 'pre-market');

  const regular = at('2026-03-09T13:30:00Z');
  assert.deepEqual({ ...regular, regularOpen: iso(regular.regularOpen), regularClose: iso(regular.regularClose), nextChange: iso(regular.nextChange) }, {
    session: 'regular', tradingDay: '2026-03-09', closedReason: null, holiday: null, earlyClose: false,
    regularOpen: '2026-03-09T13:30:00.000Z', regularClose: '2026-03-09T20:00:00.000Z', nextChange: '2026-03-09T20:00:00.000Z',
    localTime: '2026-03-09 09:30:00 EDT',
  });
  assert.equal(at('2026-03-09T19:59:59Z').session, 'regular');

  const afterHours = at('2026-03-09T20:00:00Z');
  assert.equal(afterHours.session, 'after-hours');
  assert.equal(afterHours.tradingDay, '2026-03-09');
  assert.equal(iso(afterHours.nextChange), '2026-03-10T00:00:00.000Z');
  assert.equal(at('2026-03-09T23:59:59Z').session, 'after-hours');

  const evening = at('2026-03-10T00:00:00Z');
  assert.equal(evening.session, 'closed');
  assert.equal(evening.closedReason, 'night');
  assert.equal(evening.tradingDay, null);
  assert.equal(evening.localTime, '2026-03-09 20:00:00 EDT');
  assert.equal(iso(evening.nextChange), '2026-03-10T08:00:00.000Z');
});

zoneTest('the weekend: from Friday 20:00 the next change is Monday 04:00', () => {
  const fridayNight = at('2026-03-07T01:00:00Z');
  assert.equal(fridayNight.closedReason, 'night');
  assert.equal(iso(fridayNight.nextChange), '2026-03-09T08:00:00.000Z');

  const saturday = at('2026-03-07T17:00:00Z');
  assert.equal(saturday.session, 'closed');
  assert.equal(saturday.closedReason, 'weekend');
  assert.equal(saturday.tradingDay, null);
  assert.equal(saturday.holiday, null);
  // The clocks change on the Sunday between: Monday 04:00 EDT is 08:00Z.
  assert.equal(iso(saturday.nextChange), '2026-03-09T08:00:00.000Z');
  assert.equal(at('2026-03-08T12:00:00Z').closedReason, 'weekend');
});

zoneTest('a holiday is closed all day under its name, and the next change skips it', () => {
  const thanksgiving = at('2026-11-26T15:00:00Z');
  assert.equal(thanksgiving.session, 'closed');
  assert.equal(thanksgiving.closedReason, 'holiday');
  assert.equal(thanksgiving.holiday, 'Thanksgiving');
  assert.equal(thanksgiving.tradingDay, null);
  assert.equal(iso(thanksgiving.nextChange), '2026-11-27T09:00:00.000Z');
  // The evening before a holiday waits for the day after it.
  assert.equal(iso(at('2026-11-26T03:00:00Z').nextChange), '2026-11-27T09:00:00.000Z');
  // Good Friday 2026 before a weekend: Thursday night waits for Monday 6 April.
  assert.equal(iso(at('2026-04-03T01:00:00Z').nextChange), '2026-04-06T08:00:00.000Z');
  assert.equal(at('2026-04-03T15:00:00Z').holiday, 'Good Friday');
});

zoneTest('the day after Thanksgiving closes at 13:00 and its after-hours session at 17:00', () => {
  const beforeClose = at('2026-11-27T17:59:59Z');
  assert.equal(beforeClose.session, 'regular');
  assert.equal(beforeClose.earlyClose, true);
  assert.equal(iso(beforeClose.regularClose), '2026-11-27T18:00:00.000Z');
  assert.equal(iso(beforeClose.nextChange), '2026-11-27T18:00:00.000Z');

  const one = at('2026-11-27T18:00:00Z');
  assert.equal(one.session, 'after-hours');
  assert.equal(one.earlyClose, true);
  assert.equal(one.localTime, '2026-11-27 13:00:00 EST');
  assert.equal(iso(one.nextChange), '2026-11-27T22:00:00.000Z');

  const five = at('2026-11-27T22:00:00Z');
  assert.equal(five.session, 'closed');
  assert.equal(five.closedReason, 'night');
  assert.equal(iso(five.nextChange), '2026-11-30T09:00:00.000Z');

  // A normal Wednesday before it does not close early.
  assert.equal(at('2026-11-25T20:59:59Z').session, 'regular');
  assert.equal(at('2026-11-25T20:59:59Z').earlyClose, false);
  // Christmas Eve 2026 closes at 13:00 too.
  assert.equal(at('2026-12-24T18:00:00Z').session, 'after-hours');
});

zoneTest('a 24/7 venue always trades: its day is the UTC date and nothing changes', () => {
  const continuous = calendarFor('continuous');
  for (const instant of ['2026-03-07T17:00:00Z', '2026-11-26T15:00:00Z', '2026-12-31T23:59:59Z', '2027-01-01T00:00:00Z']) {
    const info = continuous.sessionAt(new Date(instant));
    assert.equal(info.session, 'continuous');
    assert.equal(info.tradingDay, instant.slice(0, 10));
    assert.equal(info.closedReason, null);
    assert.equal(info.nextChange, null);
    assert.equal(info.regularOpen, null);
  }
  assert.equal(continuous.sessionAt(new Date('2026-03-09T13:30:00Z')).localTime, '2026-03-09 13:30:00 UTC');
});

test('every day of 2026, 2027 and 2028 is closed for a holiday exactly when the nyse-holidays package says so', () => {
  // The package reads dates in the host's zone, so it is asked with the zone pinned to New York.
  const oracle = inHostZone('America/New_York', () => {
    const listed = [2026, 2027, 2028].flatMap(year => getHolidays(year).map(h => h.dateString));
    const byDay = new Map<string, boolean>();
    for (let day = new Date(2026, 0, 1, 12); day.getFullYear() <= 2028; day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1, 12)) {
      const text = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
      byDay.set(text, isHoliday(day));
    }
    return { listed, byDay };
  });
  assert.equal(oracle.byDay.size, 365 + 365 + 366);

  const computed = [2026, 2027, 2028].flatMap(year => nyseHolidays(year).map(h => h.date));
  assert.deepEqual(computed, oracle.listed);
  for (const [day, closed] of oracle.byDay) {
    // 12:00 or 13:00 in New York on that day, read by the calendar under whatever zone the host has.
    const midday = at(`${day}T17:00:00Z`);
    assert.equal(midday.closedReason === 'holiday', closed, `${day}: calendar says ${midday.closedReason ?? midday.session}, oracle says ${closed ? 'holiday' : 'not a holiday'}`);
  }
});

test('an instant inside the session asked last gets the same answer as a fresh calendar computes, across DST changes and an early close', () => {
  const remembering = newCalendar('us-equity');
  const days = ['2026-03-06', '2026-03-09', '2026-11-02', '2026-11-27', '2026-12-24', '2027-03-15'];
  for (const day of days) {
    const start = Date.parse(`${day}T00:00:00Z`);
    for (let ms = start; ms < start + 30 * 3_600_000; ms += 97_000) {
      const at = new Date(ms);
      const fresh = newCalendar('us-equity').sessionAt(at);
      assert.deepEqual(remembering.sessionAt(at), fresh, `${at.toISOString()}`);
    }
  }
});
