/**
 * Deleted accounts: the deletion strips the user document to a tombstone (ids and the outbox
 * with the last rule.deleted / watch.removed / user.deleted events). Deleting the document in
 * that same write would delete those events with it; so the tombstone stays until the relay has
 * published them all, then goes. `remove` does it right after the deletion; the reaper catches
 * tombstones whose events went out later (broker down, a crash), through the sparse
 * `deletedAt` index.
 */
import type { Logger } from '@tickwatch/infra/log';
import { periodic } from '@tickwatch/infra/periodic';
import type { OutboxRelay } from '@tickwatch/infra/messaging/outbox';
import type { Component } from '@tickwatch/infra/service';
import type { UserModel } from './user-model.ts';

export interface Tombstones extends Component {
  /** Publishes the tombstone's events now and removes it if nothing is left to publish. */
  remove(userId: string): Promise<void>;
  /** Removes every drained tombstone; returns how many. */
  reap(): Promise<number>;
  start(): void;
}

const drained = { deletedAt: { $exists: true }, 'pendingEvents.0': { $exists: false } };

export function createTombstones(options: {
  readonly users: UserModel;
  readonly relay: Pick<OutboxRelay, 'flush'>;
  readonly logger: Logger;
  readonly intervalMs?: number;
}): Tombstones {
  const { users, relay, logger, intervalMs = 30_000 } = options;

  const reap = async (): Promise<number> => {
    const result = await users.deleteMany(drained);
    if (result.deletedCount > 0)
      logger.info({ removed: result.deletedCount }, 'removed drained tombstones');
    return result.deletedCount;
  };

  const reaper = periodic(reap, {
    intervalMs,
    onError: (error) => {
      logger.warn({ err: error }, 'tombstone reaping failed');
    },
  });

  return {
    name: 'tombstones',
    async remove(userId) {
      try {
        await relay.flush(userId);
      } catch (error) {
        logger.warn(
          { err: error, userId },
          'tombstone events not published yet; the sweep will, then the reaper removes it',
        );
        return;
      }
      await users.deleteOne({ _id: userId, ...drained });
    },
    reap,
    start: reaper.start,
    stop: reaper.stop,
  };
}
