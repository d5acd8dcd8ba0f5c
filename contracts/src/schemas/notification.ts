/** notification.* events: test notifications asked for, and the fate of every delivery. */
import { z } from 'zod';
import { Channel, Id } from './common.ts';

/** A user asked for a test notification on the given channels. */
export const NotificationRequested = z.object({
  requestId: Id,
  userId: Id,
  channels: z.array(Channel).min(1),
});

const Delivery = z.object({
  /** Derived from (alert id or request id) + channel. */
  deliveryId: Id,
  /** The alert delivered; null for a test notification. */
  alertId: Id.nullable(),
  userId: Id,
  channel: Channel,
  attempts: z.int().min(1),
});

export const NotificationSent = Delivery.extend({
  /** The email's Message-ID or the webhook response id, when there is one. */
  messageId: z.string().nullable(),
});

export const NotificationFailed = Delivery.extend({
  /** Machine-readable cause: SMTP_ERROR, WEBHOOK_ERROR, UNVERIFIED, UNSUBSCRIBED, RATE_CAPPED... */
  code: z.string().min(1).max(64),
  reason: z.string().max(1024),
  /** False when the delivery will be retried. */
  permanent: z.boolean(),
});
