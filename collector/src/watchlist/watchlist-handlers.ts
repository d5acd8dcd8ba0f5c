/**
 * collector.watchlist handlers: rule.*, watch.*, interest.renewed and user.deleted become writes
 * of reference rows (references.ts), each a single guarded update, batched per delivery batch by
 * the store's bulk writer. A write that loses to a newer version or a tombstone resolves as a
 * duplicate: the event is stale and acked without effect.
 */
import { EventType, type Rule } from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import type { Handlers } from '@tickwatch/infra/messaging';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { ReferenceRow, ReferenceStore } from './references.ts';

/** How long a tombstone refuses late events: well past the retry tiers and a DLQ replay. */
export const TOMBSTONE_MS = 7 * 24 * 3_600_000;
/** An expired lease row is kept this long (harmless: inactive), then purged. */
const LEASE_PURGE_DELAY_MS = 24 * 3_600_000;

const ruleKey = (ruleId: string) => `rule:${ruleId}`;
const watchKey = (watchId: string) => `watch:${watchId}`;
const leaseKey = (holder: string, ticker: string) => `lease:${holder}:${ticker}`;

type Operation = AnyBulkWriteOperation<ReferenceRow>;

const tombstone = (now: Date) => ({
  deletedAt: now,
  purgeAt: new Date(now.getTime() + TOMBSTONE_MS),
});

/** A rule's row at its version, unless that version (or a newer one) is already stored. */
function ruleWrite(rule: Rule, deleted: boolean, now: Date): Operation {
  return {
    updateOne: {
      filter: { _id: ruleKey(rule.id), version: { $lt: rule.version } },
      update: {
        $set: {
          kind: 'rule',
          ticker: rule.ticker,
          userId: rule.userId,
          version: rule.version,
          expiresAt: rule.expiresAt === null ? null : new Date(rule.expiresAt),
          ...(deleted ? tombstone(now) : {}),
        },
      },
      upsert: true,
    },
  };
}

export function watchlistHandlers(
  store: ReferenceStore,
  logger: Logger,
  clock = () => new Date(),
): Handlers {
  const write = async (operation: Operation, eventId: string, type: string): Promise<void> => {
    const outcome = await store.writer.write(operation);
    if (outcome === 'duplicate') logger.debug({ eventId, type }, 'stale watchlist event ignored');
  };
  const onRule =
    (deleted: boolean) => async (event: { id: string; type: string; data: { rule: Rule } }) =>
      write(ruleWrite(event.data.rule, deleted, clock()), event.id, event.type);

  return {
    [EventType.ruleCreated]: onRule(false),
    [EventType.ruleUpdated]: onRule(false),
    [EventType.ruleDeleted]: onRule(true),

    [EventType.watchAdded]: (event) =>
      write(
        {
          updateOne: {
            // A tombstone makes the filter miss and the upsert collide: a late add stays removed.
            filter: { _id: watchKey(event.data.watchId), deletedAt: { $exists: false } },
            update: {
              $set: { kind: 'watch', ticker: event.data.ticker, userId: event.data.userId },
            },
            upsert: true,
          },
        },
        event.id,
        event.type,
      ),

    [EventType.watchRemoved]: (event) =>
      write(
        {
          updateOne: {
            filter: { _id: watchKey(event.data.watchId) },
            update: {
              $set: {
                kind: 'watch',
                ticker: event.data.ticker,
                userId: event.data.userId,
                ...tombstone(clock()),
              },
            },
            upsert: true,
          },
        },
        event.id,
        event.type,
      ),

    [EventType.interestRenewed]: (event) => {
      const { ticker, holder } = event.data;
      const expiresAt = new Date(event.data.expiresAt);
      return write(
        {
          updateOne: {
            filter: { _id: leaseKey(holder, ticker) },
            update: {
              $set: { kind: 'lease', ticker, holder },
              // A renewal delivered late never shortens a lease.
              $max: {
                expiresAt,
                purgeAt: new Date(expiresAt.getTime() + LEASE_PURGE_DELAY_MS),
              },
            },
            upsert: true,
          },
        },
        event.id,
        event.type,
      );
    },

    [EventType.userDeleted]: (event) =>
      write(
        {
          updateMany: {
            // Tombstones keep refusing late events for the user's rules and watches; the user
            // id itself is personal data and goes now.
            filter: { userId: event.data.userId },
            update: { $set: tombstone(clock()), $unset: { userId: '' } },
          },
        },
        event.id,
        event.type,
      ),
  };
}
