/**
 * The recipients projection: what the notifier knows about each user from the user.* events
 * (address, verification, time zone, unsubscribe, webhook, cap, quiet hours), and nothing else. Versioned
 * and idempotent: user.registered is version 0 and only ever creates, user.preferences-changed
 * replaces the whole set when its version is newer, and user.deleted leaves a tombstone that
 * holds no personal data and outranks every version, so a late or replayed event can never
 * bring a deleted user back.
 */
import type { EventData, EventType } from '@tickwatch/contracts';
import { insertOnce, isDuplicateKey } from '@tickwatch/infra/messaging/idempotency';
import { Schema, type Connection, type Model } from 'mongoose';

export interface RecipientDocument {
  _id: string;
  /** 0 from user.registered, then the preferences' version; MAX_SAFE_INTEGER once deleted. */
  version: number;
  deleted: boolean;
  deletedAt?: Date;
  email?: string;
  emailVerified?: boolean;
  timeZone?: string;
  alertsUnsubscribed?: boolean;
  webhookUrl?: string | null;
  webhookSecret?: string | null;
  maxAlertsPerHour?: number | null;
  quietHours?: QuietHours | null;
  updatedAt: Date;
}

export type QuietHours = NonNullable<
  EventData<typeof EventType.userPreferencesChanged>['quietHours']
>;

/** A user the notifier may deliver to (the deleted ones are told apart, not returned). */
export interface Recipient {
  readonly userId: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly timeZone: string;
  readonly alertsUnsubscribed: boolean;
  readonly webhook: { readonly url: string; readonly secret: string } | null;
  /** null until the user sets one: the configured default applies. */
  readonly maxAlertsPerHour: number | null;
  /** On the user's clock (`timeZone`); null: alerts never wait for the time of day. */
  readonly quietHours: QuietHours | null;
}

export type RecipientLookup =
  | { readonly kind: 'known'; readonly recipient: Recipient }
  | { readonly kind: 'deleted' }
  | { readonly kind: 'unknown' };

export type ProjectionOutcome = 'applied' | 'stale';

const TOMBSTONE_VERSION = Number.MAX_SAFE_INTEGER;

/** Everything personal a recipient holds: unset when the user is deleted. */
const PERSONAL_FIELDS = [
  'email',
  'emailVerified',
  'timeZone',
  'alertsUnsubscribed',
  'webhookUrl',
  'webhookSecret',
  'maxAlertsPerHour',
  'quietHours',
] as const;

const recipientFields = {
  _id: { type: String, required: true },
  version: { type: Number, required: true },
  deleted: { type: Boolean, default: false },
  deletedAt: Date,
  email: String,
  emailVerified: Boolean,
  timeZone: String,
  alertsUnsubscribed: Boolean,
  webhookUrl: String,
  webhookSecret: String,
  maxAlertsPerHour: Number,
  quietHours: { type: new Schema({ start: String, end: String }, { _id: false }), default: null },
  updatedAt: { type: Date, required: true },
};

export function recipientModel(connection: Connection): Model<RecipientDocument> {
  const existing = connection.models.Recipient as Model<RecipientDocument> | undefined;
  if (existing) return existing;
  const schema = new Schema<RecipientDocument>(recipientFields, {
    collection: 'recipients',
    versionKey: false,
  });
  return connection.model<RecipientDocument>('Recipient', schema);
}

export interface Recipients {
  registered(data: EventData<typeof EventType.userRegistered>): Promise<ProjectionOutcome>;
  preferencesChanged(
    data: EventData<typeof EventType.userPreferencesChanged>,
  ): Promise<ProjectionOutcome>;
  /** Tombstones the user: personal fields removed, later events for them ignored. */
  deleted(userId: string): Promise<void>;
  lookup(userId: string): Promise<RecipientLookup>;
}

export function createRecipients(model: Model<RecipientDocument>): Recipients {
  return {
    async registered(data) {
      // Creates only: preferences (version ≥ 1) or a tombstone that got here first win.
      const outcome = await insertOnce(model, {
        _id: data.userId,
        version: 0,
        deleted: false,
        email: data.email,
        emailVerified: data.emailVerified,
        timeZone: data.timeZone,
        alertsUnsubscribed: false,
        webhookUrl: null,
        webhookSecret: null,
        maxAlertsPerHour: null,
        quietHours: null,
        updatedAt: new Date(),
      });
      return outcome === 'applied' ? 'applied' : 'stale';
    },

    async preferencesChanged(data) {
      try {
        await model.updateOne(
          { _id: data.userId, version: { $lt: data.version } },
          {
            $set: {
              version: data.version,
              deleted: false,
              email: data.email,
              emailVerified: data.emailVerified,
              timeZone: data.timeZone,
              alertsUnsubscribed: data.alertsUnsubscribed,
              webhookUrl: data.webhookUrl,
              webhookSecret: data.webhookSecret,
              maxAlertsPerHour: data.maxAlertsPerHour,
              quietHours: data.quietHours,
              updatedAt: new Date(),
            },
          },
          { upsert: true },
        );
        return 'applied';
      } catch (error) {
        // The user exists with this version or a newer one (or a tombstone): the upsert's
        // insert collides on _id.
        if (isDuplicateKey(error)) return 'stale';
        throw error;
      }
    },

    async deleted(userId) {
      const now = new Date();
      await model.updateOne(
        { _id: userId },
        {
          $set: { version: TOMBSTONE_VERSION, deleted: true, deletedAt: now, updatedAt: now },
          $unset: Object.fromEntries(PERSONAL_FIELDS.map((field) => [field, 1])),
        },
        { upsert: true },
      );
    },

    async lookup(userId) {
      const doc = await model.findById(userId).lean();
      if (!doc) return { kind: 'unknown' };
      if (doc.deleted) return { kind: 'deleted' };
      return { kind: 'known', recipient: toRecipient(doc) };
    },
  };
}

function toRecipient(doc: RecipientDocument): Recipient {
  return {
    userId: doc._id,
    email: doc.email ?? '',
    emailVerified: doc.emailVerified ?? false,
    timeZone: doc.timeZone ?? 'UTC',
    alertsUnsubscribed: doc.alertsUnsubscribed ?? false,
    webhook:
      doc.webhookUrl && doc.webhookSecret
        ? { url: doc.webhookUrl, secret: doc.webhookSecret }
        : null,
    maxAlertsPerHour: doc.maxAlertsPerHour ?? null,
    quietHours: doc.quietHours ?? null,
  };
}
