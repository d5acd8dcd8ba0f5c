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
  })
  .refine((p) => (p.webhookUrl === null) === (p.webhookSecret === null), {
    message: 'a webhook URL and its secret are set together or not at all',
    path: ['webhookSecret'],
  });

/** Every service purges what it holds of this user. */
export const UserDeleted = z.object({
  userId: Id,
});
