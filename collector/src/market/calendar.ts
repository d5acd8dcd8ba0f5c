/**
 * Exchange calendars: trading sessions in the exchange's own time zone, weekends, and holidays.
 * Holidays come from date-holidays (maintained country rules), adjusted to what each exchange
 * observes: the NYSE trades on Columbus and Veterans Day but closes on Good Friday; XETRA trades
 * on several German public holidays. The collector uses calendars to slow polling while every
 * watched exchange is closed, and the simulated market to know when its tickers trade.
 */
import Holidays, { type HolidaysTypes } from 'date-holidays';
import type { MarketState } from '@tickwatch/contracts';
import { localTime, type LocalTime } from '@tickwatch/infra/time';

export interface ExchangeCalendar {
  /** ISO 10383 market identifier (XNYS, XLON...), or CRYPTO / FX. */
  readonly id: string;
  readonly timeZone: string;
  /** The session at an instant: PRE, REGULAR, POST or CLOSED. */
  stateAt(instant: number): MarketState;
}

/** `HH:MM` local times: [start, end). */
type Window = readonly [string, string];

interface HolidayRules {
  readonly country: string;
  readonly state?: string;
  readonly types: readonly HolidaysTypes.HolidayType[];
  /** date-holidays rules the exchange trades on anyway. */
  readonly remove?: readonly string[];
  /** Extra closures: date-holidays rule → name. */
  readonly add?: Readonly<Record<string, string>>;
}

interface SessionCalendarSpec {
  readonly id: string;
  readonly timeZone: string;
  readonly regular: Window;
  readonly pre?: Window;
  readonly post?: Window;
  readonly holidays: HolidayRules;
}

const minutesOf = (time: string): number => {
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  return hours * 60 + minutes;
};

const within = (minutes: number, [start, end]: Window): boolean =>
  minutes >= minutesOf(start) && minutes < minutesOf(end);

/** Monday to Friday, minus holidays, with pre, regular and post sessions. */
export function sessionCalendar(spec: SessionCalendarSpec): ExchangeCalendar {
  const holidays = holidayDates(spec.holidays);
  const tradingDay = (local: LocalTime): boolean =>
    local.weekday >= 1 && local.weekday <= 5 && !holidays(local.year).has(local.date);
  return {
    id: spec.id,
    timeZone: spec.timeZone,
    stateAt(instant) {
      const local = localTime(instant, spec.timeZone);
      if (!tradingDay(local)) return 'CLOSED';
      if (within(local.minutes, spec.regular)) return 'REGULAR';
      if (spec.pre && within(local.minutes, spec.pre)) return 'PRE';
      if (spec.post && within(local.minutes, spec.post)) return 'POST';
      return 'CLOSED';
    },
  };
}

/** The holiday dates (`YYYY-MM-DD`, local) of a year, computed once per year. */
function holidayDates(rules: HolidayRules): (year: number) => ReadonlySet<string> {
  const calendar = rules.state
    ? new Holidays(rules.country, rules.state, { types: [...rules.types] })
    : new Holidays(rules.country, { types: [...rules.types] });
  const removed = new Set(rules.remove ?? []);
  for (const [rule, name] of Object.entries(rules.add ?? {})) {
    calendar.setHoliday(rule, { name: { en: name }, type: 'public' });
  }
  const years = new Map<number, ReadonlySet<string>>();
  return (year) => {
    let dates = years.get(year);
    if (!dates) {
      dates = new Set(
        calendar
          .getHolidays(year)
          .filter((holiday) => !removed.has(holiday.rule))
          .map((holiday) => holiday.date.slice(0, 10)),
      );
      years.set(year, dates);
    }
    return dates;
  };
}

/** Crypto trades around the clock, every day. */
const crypto: ExchangeCalendar = { id: 'CRYPTO', timeZone: 'UTC', stateAt: () => 'REGULAR' };

/** Currencies trade from Sunday 17:00 to Friday 17:00, New York time. */
const fx: ExchangeCalendar = {
  id: 'FX',
  timeZone: 'America/New_York',
  stateAt(instant) {
    const { weekday, minutes } = localTime(instant, 'America/New_York');
    const fivePm = 17 * 60;
    if (weekday === 6) return 'CLOSED';
    if (weekday === 0) return minutes >= fivePm ? 'REGULAR' : 'CLOSED';
    if (weekday === 5) return minutes < fivePm ? 'REGULAR' : 'CLOSED';
    return 'REGULAR';
  },
};

const nyse = sessionCalendar({
  id: 'XNYS',
  timeZone: 'America/New_York',
  pre: ['04:00', '09:30'],
  regular: ['09:30', '16:00'],
  post: ['16:00', '20:00'],
  holidays: {
    country: 'US',
    types: ['public'],
    remove: ['2nd monday in October', '11-11'],
    add: { 'easter -2': 'Good Friday' },
  },
});

const london = sessionCalendar({
  id: 'XLON',
  timeZone: 'Europe/London',
  pre: ['07:50', '08:00'],
  regular: ['08:00', '16:30'],
  post: ['16:30', '16:40'],
  holidays: { country: 'GB', state: 'ENG', types: ['public', 'bank'] },
});

const xetra = sessionCalendar({
  id: 'XETR',
  timeZone: 'Europe/Berlin',
  regular: ['09:00', '17:30'],
  holidays: {
    country: 'DE',
    types: ['public', 'bank'],
    remove: ['easter 39', 'easter 50', '10-03'],
  },
});

const tokyo = sessionCalendar({
  id: 'XTKS',
  timeZone: 'Asia/Tokyo',
  regular: ['09:00', '15:30'],
  holidays: {
    country: 'JP',
    types: ['public'],
    add: { '12-31': 'Market holiday', '01-02': 'Market holiday', '01-03': 'Market holiday' },
  },
});

/** Yahoo's exchange codes (the `exchange` of a quote) → calendar. */
const BY_EXCHANGE_CODE: Readonly<Record<string, ExchangeCalendar>> = {
  NMS: nyse,
  NGM: nyse,
  NCM: nyse,
  NAS: nyse,
  NYQ: nyse,
  NYS: nyse,
  ASE: nyse,
  PCX: nyse,
  BTS: nyse,
  LSE: london,
  IOB: london,
  GER: xetra,
  JPX: tokyo,
  CCC: crypto,
  CCY: fx,
};

/** The calendar of a Yahoo exchange code; undefined for exchanges the collector has none for. */
export function calendarOf(exchange: string): ExchangeCalendar | undefined {
  return BY_EXCHANGE_CODE[exchange];
}

const MINUTE = 60_000;

/**
 * The first minute within `horizonMs` after `from` at which the exchange is not CLOSED, or
 * undefined. Stepping by the minute is plenty: sessions change on whole minutes.
 */
export function nextOpening(
  calendar: ExchangeCalendar,
  from: number,
  horizonMs: number,
): number | undefined {
  const start = Math.ceil(from / MINUTE) * MINUTE;
  for (let instant = start; instant <= from + horizonMs; instant += MINUTE) {
    if (calendar.stateAt(instant) !== 'CLOSED') return instant;
  }
  return undefined;
}
