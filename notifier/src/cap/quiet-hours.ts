/**
 * Quiet hours (README "Accounts"): from `start` to `end` on the user's wall clock, crossing
 * midnight when `end` is earlier. The clock is the zone's (infra/time, the runtime's zone
 * database), so daylight saving moves the hours with the clock: 22:00-07:00 stays 22:00-07:00
 * local, the night lasting an hour less or more. An end time the clock skips (02:30 on a
 * spring-forward night) ends them when the clock jumps past it; an end time the clock shows
 * twice ends them the first time.
 */
import { localTime } from '@tickwatch/infra/time';
import type { QuietHours } from '../recipients/recipients.ts';

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1_440;

function minutesOf(clock: string): number {
  const [hours = 0, minutes = 0] = clock.split(':').map(Number);
  return hours * 60 + minutes;
}

function within(minutes: number, start: number, end: number): boolean {
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

/** When the quiet hours `now` falls in end; null when `now` is not in quiet hours. */
export function quietHoursEnd(
  now: number,
  quietHours: QuietHours | null,
  timeZone: string,
): Date | null {
  if (!quietHours) return null;
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  const clockAt = (instant: number): number => localTime(instant, timeZone).minutes;
  const quietAt = (instant: number): boolean => within(clockAt(instant), start, end);
  if (!quietAt(now)) return null;

  // The wall-clock distance to `end` from this minute; a clock change on the way is off by its
  // size, which stepping back by the difference the clock then shows takes away.
  const thisMinute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  let candidate = thisMinute + ((end - clockAt(now) + DAY_MINUTES) % DAY_MINUTES) * MINUTE_MS;
  for (let step = 0; step < 3; step += 1) {
    const off =
      ((clockAt(candidate) - end + DAY_MINUTES + DAY_MINUTES / 2) % DAY_MINUTES) - DAY_MINUTES / 2;
    if (off === 0) break;
    candidate -= off * MINUTE_MS;
  }
  if (candidate > now && !quietAt(candidate) && quietAt(candidate - MINUTE_MS)) {
    return new Date(candidate);
  }
  // `end` does not exist that night (the clock skips it): the first minute the clock is past it.
  let instant = thisMinute + MINUTE_MS;
  for (let minutes = 0; minutes < 2 * DAY_MINUTES && quietAt(instant); minutes += 1) {
    instant += MINUTE_MS;
  }
  return new Date(instant);
}
