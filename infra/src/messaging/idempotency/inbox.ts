/**
 * Idempotency, last resort: an inbox of handled event ids in its own collection. Only for an
 * effect that is not a database write (an email, a webhook call), where the effect cannot carry
 * its own key. Two writes can always be separated by a crash, so the order decides which way
 * it fails:
 *
 *   if (await inbox.seen(id)) return;  await sendEmail();  await inbox.record(id);
 *
 * The row is written AFTER the effect: a crash in between repeats the effect once (the one
 * documented duplicate window; SMTP Message-IDs derived from the event id let mail systems
 * drop it too). Writing it before would lose the effect on that crash instead, and a lost
 * alert is worse than a repeated one. Rows expire through a TTL index, since they only need to
 * outlive redeliveries.
 */
import { Schema, type Connection } from 'mongoose';

export interface InboxOptions {
  /** Distinguishes handlers sharing a collection: an event may matter to several. */
  readonly consumer: string;
  readonly collection?: string;
  /** How long a handled id is remembered (default 7 days: well past retries and DLQ replays). */
  readonly ttlSeconds?: number;
}

export interface Inbox {
  seen(eventId: string): Promise<boolean>;
  record(eventId: string): Promise<void>;
  /** Runs `effect` unless `eventId` was recorded; records it after. 'duplicate' if skipped. */
  once(eventId: string, effect: () => Promise<void>): Promise<'applied' | 'duplicate'>;
  /** Creates the TTL index (also done lazily by mongoose's autoIndex). */
  ensureIndexes(): Promise<void>;
}

interface InboxRow {
  _id: string;
  at: Date;
}

const inboxFields = {
  _id: { type: String, required: true },
  at: { type: Date, required: true },
};

export function createInbox(connection: Connection, options: InboxOptions): Inbox {
  const { consumer, collection = 'inbox', ttlSeconds = 7 * 24 * 3600 } = options;
  const schema = new Schema<InboxRow>(inboxFields, { collection, versionKey: false });
  schema.index({ at: 1 }, { expireAfterSeconds: ttlSeconds });
  const name = `Inbox_${collection}`;
  const model = connection.models[name] ?? connection.model<InboxRow>(name, schema);
  const key = (eventId: string): string => `${consumer}:${eventId}`;

  const seen = async (eventId: string): Promise<boolean> =>
    (await model.exists({ _id: key(eventId) })) !== null;
  const record = async (eventId: string): Promise<void> => {
    await model.updateOne(
      { _id: key(eventId) },
      { $setOnInsert: { at: new Date() } },
      { upsert: true },
    );
  };
  return {
    seen,
    record,
    async once(eventId, effect) {
      if (await seen(eventId)) return 'duplicate';
      await effect();
      await record(eventId);
      return 'applied';
    },
    async ensureIndexes() {
      await model.createIndexes();
    },
  };
}
