/** Building blocks shared by the event schemas. */
import { z } from 'zod';

/** Entity ids (users, rules, watches, alerts, deliveries) are UUIDs chosen by their owner. */
export const Id = z.uuid().meta({ description: 'UUID' });

/** A point in time as an ISO 8601 UTC instant with a `Z` suffix. */
export const Instant = z.iso
  .datetime()
  .meta({ description: 'ISO 8601 instant in UTC', examples: ['2026-10-02T20:00:01.000Z'] });

/** A price or threshold: a finite positive number (never text: "9" > "10" as strings). */
export const Price = z.number().positive().meta({ description: 'Positive finite number' });

/** ISO 4217 code after normalisation (the collector turns GBp pence into GBP pounds). */
export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'a currency is a three-letter upper-case ISO 4217 code')
  .meta({ examples: ['USD', 'GBP'] });

/** Moving-average windows the alerter maintains, in minutes. */
export const AverageWindowMinutes = z
  .literal([5, 10, 15])
  .meta({ description: 'Sliding window length in minutes' });

/** How an alert reaches its user. */
export const Channel = z.enum(['EMAIL', 'WEBHOOK']);
export type Channel = z.infer<typeof Channel>;

/** An IANA time zone name such as Europe/London (checked against the runtime's zone database). */
export const TimeZone = z
  .string()
  .refine(isTimeZone, 'expected an IANA time zone name such as Europe/London')
  .meta({ examples: ['Europe/London'] });

/** Zones already proven valid: building a DateTimeFormat costs ~100 µs, far more than the rest of an event. */
const knownTimeZones = new Set<string>();

function isTimeZone(zone: string): boolean {
  if (knownTimeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  knownTimeZones.add(zone);
  return true;
}
