/**
 * The watchlist as reference rows: one per rule, watch or interest lease, each naming its
 * ticker and its user (or lease holder). A ticker is collected while at least one live row names
 * it, so removing one user's rule never stops another user's alerts, and a repeated or late
 * event changes nothing:
 *
 * - rule rows carry the rule's version; an event only applies over an older version;
 * - deletions leave a tombstone (`deletedAt`) that a late create or update cannot bring back,
 *   purged by a TTL index once no redelivery can still arrive;
 * - leases expire on their own (`expiresAt`); renewals only ever extend them.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { createBulkWriter, type BulkWriter } from '@tickwatch/infra/mongo/bulk-writer';
import { collectionOf } from '../store.ts';

export type ReferenceKind = 'rule' | 'watch' | 'lease';

export interface ReferenceRow {
  /** `rule:<id>`, `watch:<id>`, `lease:<holder>:<ticker>`. */
  _id: string;
  kind: ReferenceKind;
  ticker: string;
  userId?: string;
  holder?: string;
  /** Rules: the version this row reflects. */
  version?: number;
  /** Rules with an expiry, and leases: not collected after this instant. */
  expiresAt?: Date | null;
  /** A tombstone: the rule or watch is gone (kept to refuse late events). */
  deletedAt?: Date;
  /** When the TTL index removes the row. */
  purgeAt?: Date;
}

/** Writes go through the driver (bulk writer); the schema serves reads and declares indexes. */
const referenceFields = {
  _id: String,
  kind: String,
  ticker: String,
  userId: String,
  holder: String,
  version: Number,
  expiresAt: Date,
  deletedAt: Date,
  purgeAt: Date,
};
const referenceSchema = new Schema<ReferenceRow>(referenceFields, {
  collection: 'references',
  versionKey: false,
});
referenceSchema.index({ ticker: 1 });
referenceSchema.index({ userId: 1 });
referenceSchema.index({ purgeAt: 1 }, { expireAfterSeconds: 0 });

export interface ReferenceStore {
  /** One bulkWrite per delivery batch (infra's bulk writer). */
  readonly writer: BulkWriter<ReferenceRow>;
  /** Tickers named by at least one live, unexpired row at `now`. */
  activeTickers(now: Date): Promise<string[]>;
  /** Creates the indexes (TTL included). */
  ensureIndexes(): Promise<void>;
}

export function referenceStore(connection: Connection): ReferenceStore {
  const model =
    (connection.models.Reference as Model<ReferenceRow> | undefined) ??
    connection.model<ReferenceRow>('Reference', referenceSchema);
  return {
    writer: createBulkWriter(collectionOf<ReferenceRow>(connection, 'references')),
    async activeTickers(now) {
      const tickers: unknown[] = await model.distinct('ticker', {
        deletedAt: { $exists: false },
        $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
      });
      return tickers.filter((ticker): ticker is string => typeof ticker === 'string');
    },
    async ensureIndexes() {
      await model.createIndexes();
    },
  };
}
