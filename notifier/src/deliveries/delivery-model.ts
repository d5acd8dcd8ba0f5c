/**
 * The delivery document: one per (alert or test request, channel), and one per digest. It is
 * the notifier's outbox aggregate (DESIGN.md §5): every state change is one write of this
 * document together with the notification.* events it causes.
 *
 *   PENDING ──claim──▶ SENDING (lease: owner, until) ──▶ SENT
 *      ▲                  │  │                        └─▶ FAILED   (permanent, or retries exhausted)
 *      └──── transient ───┘  └──▶ CAPPED (over the hourly cap, or quiet hours) ──digest sent──▶ DIGESTED
 */
import type { EventData, EventType } from '@tickwatch/contracts';
import { outboxPlugin, type OutboxFields } from '@tickwatch/infra/messaging/outbox';
import { Schema, type Connection, type Model } from 'mongoose';

export const DeliveryState = {
  pending: 'PENDING',
  sending: 'SENDING',
  sent: 'SENT',
  failed: 'FAILED',
  capped: 'CAPPED',
  digested: 'DIGESTED',
} as const;
export type DeliveryState = (typeof DeliveryState)[keyof typeof DeliveryState];

export const DeliveryKind = {
  alert: 'ALERT',
  test: 'TEST',
  digest: 'DIGEST',
  /** An account email (verification, reset, email change): claimed like the rest, never capped. */
  account: 'ACCOUNT',
} as const;
export type DeliveryKind = (typeof DeliveryKind)[keyof typeof DeliveryKind];

export type Channel = 'EMAIL' | 'WEBHOOK';
export type Alert = EventData<typeof EventType.alertTriggered>;

/** A capped alert carried by a digest. */
export interface DigestItem {
  readonly deliveryId: string;
  readonly alert: Alert;
  /** Why it waited: RATE_CAPPED or QUIET_HOURS (the digest says so). */
  readonly heldBy?: string;
}

export interface DeliveryFailure {
  /** SMTP_ERROR, WEBHOOK_ERROR, UNVERIFIED, UNSUBSCRIBED, NO_WEBHOOK, UNKNOWN_RECIPIENT... */
  readonly code: string;
  readonly reason: string;
  /** Retrying cannot help (a rejected address, a 4xx webhook answer). */
  readonly permanent: boolean;
}

export interface DeliveryDocument extends OutboxFields {
  _id: string;
  kind: DeliveryKind;
  /** The alert id, the test request id, or (digest) the first capped delivery's id. */
  sourceId: string;
  userId: string;
  channel: Channel;
  alert?: Alert;
  items?: DigestItem[];
  state: DeliveryState;
  lease?: { owner: string; until: Date };
  /** Sends tried so far (claims). */
  attempts: number;
  /** The last failure; with state FAILED, the final one. */
  failure?: DeliveryFailure;
  messageId?: string | null;
  /** CAPPED: when the user's window opens again (or quiet hours end) and the digest is due. */
  digestDueAt?: Date;
  /** DIGESTED: the digest that carried it. */
  digestId?: string;
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
}

const deliveryFields = {
  _id: { type: String, required: true },
  kind: { type: String, required: true, enum: Object.values(DeliveryKind) },
  sourceId: { type: String, required: true },
  userId: { type: String, required: true },
  channel: { type: String, required: true },
  alert: Schema.Types.Mixed,
  items: Schema.Types.Mixed,
  state: { type: String, required: true, enum: Object.values(DeliveryState) },
  lease: { type: new Schema({ owner: String, until: Date }, { _id: false }) },
  attempts: { type: Number, default: 0 },
  failure: Schema.Types.Mixed,
  messageId: String,
  digestDueAt: Date,
  digestId: String,
  createdAt: { type: Date, required: true },
  updatedAt: { type: Date, required: true },
  sentAt: Date,
};

export function deliveryModel(connection: Connection): Model<DeliveryDocument> {
  const existing = connection.models.Delivery as Model<DeliveryDocument> | undefined;
  if (existing) return existing;
  const schema = new Schema<DeliveryDocument>(deliveryFields, {
    collection: 'deliveries',
    versionKey: false,
    minimize: false,
  });
  schema.plugin(outboxPlugin);
  // Sparse: only CAPPED deliveries carry a due time, so the digest sweep reads what is waiting.
  schema.index({ digestDueAt: 1 }, { sparse: true });
  // Account deletion purges a user's deliveries.
  schema.index({ userId: 1 });
  return connection.model<DeliveryDocument>('Delivery', schema);
}
