/**
 * The outbox relay: publishes each document's `pendingEvents` with confirms, in order, and
 * removes each entry only after its confirm. A crash between the confirm and the removal
 * publishes that entry again later, with the same id (consumers drop the repeat): the one
 * duplicate window, by design, instead of a loss window.
 *
 * - `flush(id)`: right after a service's write, for low latency.
 * - `sweep()`/`start()`: finds documents whose entries have waited longer than the grace
 *   period (a crash, a broker outage, a flush that lost a race) and flushes them.
 * - A document lease (`outboxLease`, one atomic update) keeps replicas from publishing the same
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
  flush(documentId: unknown): Promise<FlushResult>;
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

  /** Takes (or extends) the lease if there is something to publish; returns the entries. */
  const claim = async (id: unknown): Promise<PendingEvent[] | null> => {
    const now = new Date();
    const claimed = await raw
      .findOneAndUpdate(
        { _id: id, 'pendingEvents.0': { $exists: true }, ...leaseFree(now) },
        { $set: { outboxLease: { owner: relayId, until: new Date(now.getTime() + leaseMs) } } },
        { returnDocument: 'after', projection: { pendingEvents: 1 } },
      )
      .lean();
    return claimed ? claimed.pendingEvents : null;
  };

  /** Ends the lease if nothing is left; false when entries arrived meanwhile. */
  const releaseIfDone = async (id: unknown): Promise<boolean> => {
    const released = await raw.updateOne(
      { _id: id, 'outboxLease.owner': relayId, 'pendingEvents.0': { $exists: false } },
      { $unset: { outboxLease: 1, outboxPendingSince: 1 } },
    );
    return released.modifiedCount === 1;
  };

  const releaseLease = async (id: unknown): Promise<void> => {
    await raw.updateOne({ _id: id, 'outboxLease.owner': relayId }, { $unset: { outboxLease: 1 } });
  };

  /** A crash after the last removal leaves `outboxPendingSince` on an empty outbox: clear it. */
  const clearStaleMarker = async (id: unknown): Promise<void> => {
    await raw.updateOne(
      {
        _id: id,
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

  const flushNow = async (id: unknown): Promise<FlushResult> => {
    let published = 0;
    let failed = 0;
    for (;;) {
      const claimedAt = Date.now();
      const entries = await claim(id);
      if (!entries) {
        await clearStaleMarker(id);
        return { published, failed };
      }
      for (const entry of entries) {
        // A publish may take up to its timeout: start none that could outlive the lease, so
        // two relays never publish one document's entries at once.
        if (Date.now() - claimedAt > leaseMs / 2) {
          await releaseLease(id);
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
          await releaseLease(id);
          throw error;
        }
        if (afterPublish) await afterPublish(entry);
        await raw.updateOne({ _id: id }, { $pull: { pendingEvents: { id: entry.id } } });
        published += 1;
      }
      if (await releaseIfDone(id)) return { published, failed };
    }
  };

  // The lease keeps other relays out, but this relay may re-enter its own lease: two flushes
  // of one document in this process (a command's flush and the sweep, say) would publish the
  // same entries twice. They run one after the other instead.
  const flushing = new Map<string, Promise<FlushResult>>();
  const flush = (id: unknown): Promise<FlushResult> => {
    const key = String(id);
    const previous = flushing.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => flushNow(id));
    flushing.set(key, next);
    const forget = (): void => {
      if (flushing.get(key) === next) flushing.delete(key);
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
    for (const { _id: id } of waiting) {
      try {
        published += (await flush(id)).published;
      } catch (error) {
        logger.warn(
          { err: error, documentId: String(id) },
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
