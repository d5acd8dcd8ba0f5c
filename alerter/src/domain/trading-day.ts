/**
 * Trading days in the exchange's time zone (ONCE_PER_DAY): a quote belongs to the calendar
 * date its market time has on the exchange's clock. Computed with the runtime's zone database
 * (Intl), so daylight-saving changes are the zone's, not an assumed 24-hour day: a day can
 * last 23 or 25 hours, and in some zones start at 01:00 because midnight does not exist.
 */
import { formatterPerZone } from '@tickwatch/infra/time';

const MINUTE_MS = 60_000;
/** A trading day is shorter than this (the longest calendar day has 25 hours). */
const LONGEST_DAY_MS = 26 * 3_600_000;

// en-CA formats dates as YYYY-MM-DD.
const formatterFor = formatterPerZone('en-CA', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The exchange's date of an instant, `YYYY-MM-DD`. */
export function tradingDay(instantMs: number, timeZone: string): string {
  return formatterFor(timeZone).format(instantMs);
}

/**
 * The first instant of the trading day after the one `instantMs` is in. Zone offsets are whole
 * minutes, so a binary search over minutes finds the exact boundary whatever the zone does.
 */
export function startOfNextTradingDay(instantMs: number, timeZone: string): number {
  const today = tradingDay(instantMs, timeZone);
  const base = Math.floor(instantMs / MINUTE_MS) * MINUTE_MS;
  let low = 1; // in minutes after `base`; the answer is in (0, high]
  let high = LONGEST_DAY_MS / MINUTE_MS;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (tradingDay(base + mid * MINUTE_MS, timeZone) > today) high = mid;
    else low = mid + 1;
  }
  return base + low * MINUTE_MS;
}
