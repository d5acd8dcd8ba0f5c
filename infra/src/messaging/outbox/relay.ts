/**
 * The outbox relay: publishes each document's `pendingEvents` with confirms, in order, and
 * removes the entries only after their confirms, those of every document flushed together in
 * one command. A crash between the confirms and the removal publishes those entries again
 * later, with the same ids (consumers drop the repeats): the one duplicate window, by design,
 * instead of a loss window.
 *
 * - `flush(...ids)`: right after a service's write (a command's document, a batch's), for low
 *   latency; a flush costs four commands however many documents it covers.
 * - `sweep()`/`start()`: finds documents whose entries have waited longer than the grace
 *   period (a crash, a broker outage, a flush that lost a race) and flushes them.
 * - A document lease (`outboxLease`, taken in one update) keeps replicas from publishing the same
 *   document at once; it only saves duplicate work (correctness comes from ids), and it
 *   expires by itself if its holder dies.
 * - An entry the broker can never accept (invalid, unroutable) is moved to `failedEvents` in
 *   one update, logged, and the document carries on: nothing blocks an aggregate forever and
 *   nothing disappears silently.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Model } from 'mongoose';
import type { Logger } from '../../log.ts';
import { periodic } from '../../periodic.ts';
import { encodeEvent } from '../envelope.ts';
import { errorMessage, MessagingErrorCode } from '../errors.ts';
import type { Messaging } from '../messaging.ts';
import type { OutboxFields, PendingEvent } from './pending-events.ts';

export interface OutboxRelayOptions<T extends OutboxFields> {
  readonly model: Model<T>;
  readonly messaging: Pick<Messaging, 'publishMessage'>;
  readonly logger: Logger;
  /** Names this relay in leases and logs (default: host, pid and a random part). */
  readonly relayId?: string;
  /**
   * How long a claim on a document lasts, ms (default 60 000). No publish starts in its second
   * half, so keep it at least twice messaging's `publishTimeoutMs` (30 000): then a publish
   * always ends, confirmed or timed out, before another relay can claim the document and
   * publish its entries out of order.
   */
  readonly leaseMs?: number;
  /** Time between sweeps, ms (default 5 000). */
  readonly sweepIntervalMs?: number;
  /** Entries younger than this are left to `flush`, ms (default 2 000). */
  readonly sweepGraceMs?: number;
  /** Documents per sweep (default 100). */
  readonly sweepBatch?: number;
  /** Test seam: runs after an entry's publish was confirmed, before the entry is removed. */
  readonly afterPublish?: (entry: PendingEvent) => Promise<void>;
}

export interface FlushResult {
  readonly published: number;
  /** Entries set aside in `failedEvents`. */
  readonly failed: number;
}

export interface OutboxRelay {
  /** Publishes the pending entries of these documents (a command's, or a batch's). */
  flush(...documentIds: unknown[]): Promise<FlushResult>;
  /** One pass over waiting documents; returns the number of entries published. */
  sweep(): Promise<number>;
  /** Sweeps every `sweepIntervalMs` until `stop()`. */
  start(): void;
  /** Stops sweeping and waits for the pass in progress. */
  stop(): Promise<void>;
}

/** Errors retrying cannot fix: the event is invalid, cannot be encoded, or no queue is bound. */
function isPermanent(error: unknown): boolean {
  if (error instanceof Error && error.name === 'EventValidationError') return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === MessagingErrorCode.unroutable || code === MessagingErrorCode.invalidMessage;
}

type Filter = Record<string, unknown>;

export function createOutboxRelay<T extends OutboxFields>(
  options: OutboxRelayOptions<T>,
): OutboxRelay {
  const {
    model,
    messaging,
    leaseMs = 60_000,
    sweepIntervalMs = 5_000,
    sweepGraceMs = 2_000,
    sweepBatch = 100,
    afterPublish,
  } = options;
  const relayId = options.relayId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const logger = options.logger.child({
    component: 'outbox-relay',
    collection: model.collection.name,
  });
  // Mongoose's typed filters do not follow dotted paths into arrays; these are plain queries.
  const raw = model as unknown as Model<OutboxFields>;

  const leaseFree = (now: Date): Filter => ({
    $or: [
      { outboxLease: null },
      { 'outboxLease.until': { $lt: now } },
      { 'outboxLease.owner': relayId },
    ],
  });

  /**
   * Takes (or extends) the lease of those of `ids` with something to publish; returns their
   * entries, by document. Two commands, however many documents.
   */
  const claim = async (ids: readonly unknown[]): Promise<Map<unknown, PendingEvent[]>> => {
    const now = new Date();
    await raw.updateMany(
      { _id: { $in: ids }, 'pendingEvents.0': { $exists: true }, ...leaseFree(now) },
      { $set: { outboxLease: { owner: relayId, until: new Date(now.getTime() + leaseMs) } } },
    );
    const claimed = await raw
      .find(
        { _id: { $in: ids }, 'pendingEvents.0': { $exists: true }, 'outboxLease.owner': relayId },
        { pendingEvents: 1 },
      )
      .lean();
    return new Map(claimed.map((doc) => [doc._id, doc.pendingEvents]));
  };

  /** Removes the published entries: one command for every document. */
  const removePublished = async (published: Map<unknown, string[]>): Promise<void> => {
    const removals = [...published].filter(([, entryIds]) => entryIds.length > 0);
    if (removals.length === 0) return;
    await raw.bulkWrite(
      removals.map(([id, entryIds]) => ({
        updateOne: {
          filter: { _id: id },
          update: { $pull: { pendingEvents: { id: { $in: entryIds } } } },
        },
      })),
      { ordered: false },
    );
  };

  /** Ends the leases of the documents left with nothing; returns how many it ended. */
  const releaseDone = async (ids: readonly unknown[]): Promise<number> => {
    const released = await raw.updateMany(
      { _id: { $in: ids }, 'outboxLease.owner': relayId, 'pendingEvents.0': { $exists: false } },
      { $unset: { outboxLease: 1, outboxPendingSince: 1 } },
    );
    return released.modifiedCount;
  };

  const releaseLeases = async (ids: readonly unknown[]): Promise<void> => {
    await raw.updateMany(
      { _id: { $in: ids }, 'outboxLease.owner': relayId },
      { $unset: { outboxLease: 1 } },
    );
  };

  /** A crash after the last removal leaves `outboxPendingSince` on an empty outbox: clear it. */
  const clearStaleMarkers = async (ids: readonly unknown[]): Promise<void> => {
    await raw.updateMany(
      {
        _id: { $in: ids },
        'pendingEvents.0': { $exists: false },
        outboxPendingSince: { $exists: true },
        ...leaseFree(new Date()),
      },
      { $unset: { outboxPendingSince: 1, outboxLease: 1 } },
    );
  };

  const setAside = async (id: unknown, entry: PendingEvent, error: unknown): Promise<void> => {
    logger.error(
      { err: error, eventId: entry.id, type: entry.type, documentId: String(id) },
      'outbox entry can never be published; moved to failedEvents',
    );
    await raw.updateOne(
      { _id: id },
      {
        $pull: { pendingEvents: { id: entry.id } },
        $push: { failedEvents: { ...entry, error: errorMessage(error), failedAt: new Date() } },
      },
    );
  };

  /**
   * Publishes the entries of `ids`, each document's in order, then removes the published ones
   * and ends the leases in one command each, whatever the number of documents: a batch of
   * aggregates costs four commands, not three per entry. Goes round again for documents that
   * got new entries meanwhile.
   */
  const flushNow = async (ids: readonly unknown[]): Promise<FlushResult> => {
    let published = 0;
    let failed = 0;
    let round = ids;
    while (round.length > 0) {
      const claimedAt = Date.now();
      const claimed = await claim(round);
      if (claimed.size < round.length) {
        const claimedKeys = new Set([...claimed.keys()].map(String));
        await clearStaleMarkers(round.filter((id) => !claimedKeys.has(String(id))));
      }
      if (claimed.size === 0) break;
      const done = new Map<unknown, string[]>();
      const stop = async (): Promise<void> => {
        await removePublished(done);
        await releaseLeases([...claimed.keys()]);
      };
      for (const [id, entries] of claimed) {
        const publishedIds: string[] = [];
        done.set(id, publishedIds);
        for (const entry of entries) {
          // A publish may take up to its timeout: start none that could outlive the lease, so
          // two relays never publish one document's entries at once.
          if (Date.now() - claimedAt > leaseMs / 2) {
            await stop();
            return { published, failed };
          }
          try {
            const trace = {
              ...(entry.traceparent ? { traceparent: entry.traceparent } : {}),
              ...(entry.tracestate ? { tracestate: entry.tracestate } : {}),
            };
            await messaging.publishMessage(encodeEvent(entry.event, trace));
          } catch (error) {
            if (isPermanent(error)) {
              await setAside(id, entry, error);
              failed += 1;
              continue;
            }
            // Transient (not connected, timeout, nack): leave it for the next sweep, in order.
            await stop();
            throw error;
          }
          if (afterPublish) await afterPublish(entry);
          publishedIds.push(entry.id);
          published += 1;
        }
      }
      await removePublished(done);
      const ended = await releaseDone([...claimed.keys()]);
      // Documents still leased got entries while we published: once more for them.
      round = ended === claimed.size ? [] : [...claimed.keys()];
    }
    return { published, failed };
  };

  // The lease keeps other relays out, but this relay may re-enter its own lease: two flushes
  // of one document in this process (a command's flush and the sweep, say) would publish the
  // same entries twice. They run one after the other instead.
  const flushing = new Map<string, Promise<FlushResult>>();
  const flush = (...ids: unknown[]): Promise<FlushResult> => {
    const keys = [...new Set(ids.map(String))];
    const previous = keys.map((key) =>
      (flushing.get(key) ?? Promise.resolve()).catch(() => undefined),
    );
    const next = Promise.all(previous).then(() => flushNow(ids));
    for (const key of keys) flushing.set(key, next);
    const forget = (): void => {
      for (const key of keys) if (flushing.get(key) === next) flushing.delete(key);
    };
    next.then(forget, forget);
    return next;
  };

  const sweep = async (): Promise<number> => {
    const cutoff = new Date(Date.now() - sweepGraceMs);
    const waiting = await raw
      .find({ outboxPendingSince: { $lte: cutoff } }, { _id: 1 })
      .sort({ outboxPendingSince: 1 })
      .limit(sweepBatch)
      .lean();
    let published = 0;
    if (waiting.length > 0) {
      try {
        published = (await flush(...waiting.map((doc) => doc._id))).published;
      } catch (error) {
        logger.warn(
          { err: error, documents: waiting.length },
          'outbox flush failed; retrying next sweep',
        );
      }
    }
    if (published > 0) logger.info({ published }, 'outbox sweep published leftovers');
    return published;
  };

  const sweeper = periodic(sweep, {
    intervalMs: sweepIntervalMs,
    onError: (error) => {
      logger.warn({ err: error }, 'outbox sweep failed');
    },
  });

  return {
    flush,
    sweep,
    start: sweeper.start,
    stop: sweeper.stop,
  };
}
