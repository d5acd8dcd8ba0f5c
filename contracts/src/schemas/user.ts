/** user.* event payloads: what other services need to know about an account, and no more. */
import { z } from 'zod';
import { Id, TimeZone } from './common.ts';

export const UserRegistered = z.object({
  userId: Id,
  email: z.email(),
  /** Alerts go to an address only after its owner proved it (signed link). */
  emailVerified: z.boolean(),
  timeZone: TimeZone,
});

/** A time of day on the user's clock, `HH:MM` (24-hour). */
const ClockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day as HH:MM (24-hour)')
  .meta({ examples: ['22:00', '07:00'] });

/**
 * When alerts wait: from `start` to `end` on the user's clock (its `timeZone`, daylight saving
 * included), crossing midnight when `end` is earlier than `start`. Alerts that fire meanwhile
 * are held and go out as one digest when the quiet hours end; account emails never wait.
 */
export const QuietHours = z
  .object({ start: ClockTime, end: ClockTime })
  .refine((q) => q.start !== q.end, {
    message: 'quiet hours need an end different from their start',
    path: ['end'],
  });

/** The full set of delivery preferences after a change (not a diff), versioned. */
export const UserPreferencesChanged = z
  .object({
    userId: Id,
    version: z.int().min(1),
    email: z.email(),
    emailVerified: z.boolean(),
    timeZone: TimeZone,
    /** One-click unsubscribe (RFC 8058) sets this; alerts stop on every channel. */
    alertsUnsubscribed: z.boolean(),
    webhookUrl: z.url({ protocol: /^https?$/ }).nullable(),
    /**
     * Key of the webhook's HMAC-SHA256 signature (`X-Tickwatch-Signature`); null without a
     * webhook. A secret: never logged (infra's log redaction names it).
     */
    webhookSecret: z.string().min(16).max(256).nullable(),
    /** Per-user cap on notifications per hour. */
    maxAlertsPerHour: z.int().min(1).max(1000),
    /** null: no quiet hours (also what an event from before quiet hours existed means). */
    quietHours: QuietHours.nullable().default(null),
  })
  .refine((p) => (p.webhookUrl === null) === (p.webhookSecret === null), {
    message: 'a webhook URL and its secret are set together or not at all',
    path: ['webhookSecret'],
  });

/** Every service purges what it holds of this user. */
export const UserDeleted = z.object({
  userId: Id,
});
