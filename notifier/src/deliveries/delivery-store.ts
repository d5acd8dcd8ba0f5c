/**
 * Every write of the delivery state machine (delivery-model.ts), each one atomic on one
 * document and carrying the notification.* events it causes (outbox). The claim is what makes
 * a delivery go out once: it creates the document or takes it from PENDING (or from SENDING
 * whose lease ran out: its holder died) to SENDING with this process's lease, in one
 * findOneAndUpdate; anyone else finds it SENDING, SENT, FAILED or CAPPED and leaves it.
 */
import type { TickwatchEvent } from '@tickwatch/contracts';
import { isDuplicateKey } from '@tickwatch/infra/messaging/idempotency';
import {
  withOutbox,
  withOutboxListsOnInsert,
  type TraceContext,
} from '@tickwatch/infra/messaging/outbox';
import type { Model, UpdateQuery } from 'mongoose';
import { FailureCode } from './delivery-error.ts';
import {
  DeliveryState,
  type Alert,
  type Channel,
  type DeliveryDocument,
  type DeliveryFailure,
  type DeliveryKind,
  type DigestItem,
} from './delivery-model.ts';

/** What a delivery is about, fixed when it is first created. */
export interface DeliverySpec {
  readonly id: string;
  readonly kind: DeliveryKind;
  readonly sourceId: string;
  readonly userId: string;
  readonly channel: Channel;
  readonly alert?: Alert;
  readonly items?: readonly DigestItem[];
}

export type ClaimResult =
  | { readonly claimed: true; readonly delivery: DeliveryDocument }
  | { readonly claimed: false; readonly delivery: DeliveryDocument | null };

export interface ClaimOptions {
  /** Also take a FAILED delivery whose failure was not permanent (an operator's DLQ replay). */
  readonly retryFailed?: boolean;
}

/** A state change's events and the trace they continue. */
export interface Emitted {
  readonly events: readonly TickwatchEvent[];
  readonly trace: TraceContext;
}

export interface DeliveryStore {
  claim(spec: DeliverySpec, options?: ClaimOptions): Promise<ClaimResult>;
  /** SENDING → SENT. False if the document is gone or no longer SENDING. */
  markSent(id: string, messageId: string | null, emitted: Emitted): Promise<boolean>;
  /** SENDING (ours) → PENDING, to be claimed again by the retry. */
  release(id: string, failure: DeliveryFailure, emitted: Emitted): Promise<boolean>;
  /** SENDING (ours) → FAILED. */
  markFailed(id: string, failure: DeliveryFailure, emitted: Emitted): Promise<boolean>;
  /** SENDING (ours) → CAPPED until the digest due at `dueAt`; `failure` says why it waits. */
  markCapped(id: string, dueAt: Date, failure: DeliveryFailure, emitted: Emitted): Promise<boolean>;
  /** CAPPED deliveries wait longer (their digest fell in quiet hours), for `failure`'s reason. */
  postpone(ids: readonly string[], dueAt: Date, failure: DeliveryFailure): Promise<void>;
  /**
   * The user's alerts held for quiet hours become due now (their quiet hours changed): the
   * next digest pass sends them, or holds them again until the new quiet hours end.
   */
  reconsiderQuietHours(userId: string): Promise<void>;
  /** CAPPED deliveries whose digest is due, oldest first. */
  dueForDigest(now: Date, limit: number): Promise<DeliveryDocument[]>;
  /** CAPPED → DIGESTED for the items a sent (or failed) digest carried. */
  markDigested(ids: readonly string[], digestId: string): Promise<void>;
  /** Deletes everything held about a user's deliveries (account deletion). */
  purgeUser(userId: string): Promise<number>;
  find(id: string): Promise<DeliveryDocument | null>;
}

export interface DeliveryStoreOptions {
  readonly model: Model<DeliveryDocument>;
  /** Names this process in leases. */
  readonly owner: string;
  /** How long a claim lasts; longer than the slowest send can take, ms. */
  readonly leaseMs: number;
}

export function createDeliveryStore(options: DeliveryStoreOptions): DeliveryStore {
  const { model, owner, leaseMs } = options;

  /** One transition out of SENDING, by its holder (`ours`) or by whoever sees it first. */
  const leave = async (
    id: string,
    ours: boolean,
    update: UpdateQuery<DeliveryDocument>,
    { events, trace }: Emitted,
  ): Promise<boolean> => {
    const filter = {
      _id: id,
      state: DeliveryState.sending,
      ...(ours ? { 'lease.owner': owner } : {}),
    };
    const now = new Date();
    const change = {
      ...update,
      $set: { ...(update.$set as object), updatedAt: now },
      $unset: { ...(update.$unset as object), lease: 1 },
    };
    const result = await model.updateOne(filter, withOutbox(change, events, trace));
    return result.modifiedCount === 1;
  };

  return {
    async claim(spec, { retryFailed = false } = {}) {
      const now = new Date();
      const claimable: Record<string, unknown>[] = [
        { state: DeliveryState.pending },
        { state: DeliveryState.sending, 'lease.until': { $lt: now } },
      ];
      if (retryFailed) claimable.push({ state: DeliveryState.failed, 'failure.permanent': false });
      try {
        // The raw collection: mongoose would cast the filter and add defaults to an upsert.
        const delivery = await model.collection.findOneAndUpdate(
          { _id: spec.id as never, $or: claimable },
          withOutboxListsOnInsert({
            $set: {
              state: DeliveryState.sending,
              lease: { owner, until: new Date(now.getTime() + leaseMs) },
              updatedAt: now,
            },
            $inc: { attempts: 1 },
            $setOnInsert: {
              kind: spec.kind,
              sourceId: spec.sourceId,
              userId: spec.userId,
              channel: spec.channel,
              ...(spec.alert ? { alert: spec.alert } : {}),
              ...(spec.items ? { items: spec.items } : {}),
              createdAt: now,
            },
          }),
          { upsert: true, returnDocument: 'after' },
        );
        if (delivery) return { claimed: true, delivery: delivery as unknown as DeliveryDocument };
      } catch (error) {
        // It exists and is not claimable: the upsert's insert collided on _id.
        if (!isDuplicateKey(error)) throw error;
      }
      return { claimed: false, delivery: await model.findById(spec.id).lean() };
    },

    markSent: (id, messageId, emitted) =>
      // Whoever reports SENT first records it: the message is out, whoever's lease it was.
      leave(
        id,
        false,
        { $set: { state: DeliveryState.sent, messageId, sentAt: new Date() } },
        emitted,
      ),

    release: (id, failure, emitted) =>
      leave(id, true, { $set: { state: DeliveryState.pending, failure } }, emitted),

    markFailed: (id, failure, emitted) =>
      leave(id, true, { $set: { state: DeliveryState.failed, failure } }, emitted),

    markCapped: (id, dueAt, failure, emitted) =>
      leave(
        id,
        true,
        { $set: { state: DeliveryState.capped, digestDueAt: dueAt, failure } },
        emitted,
      ),

    async postpone(ids, dueAt, failure) {
      await model.updateMany(
        { _id: { $in: ids }, state: DeliveryState.capped },
        { $set: { digestDueAt: dueAt, failure, updatedAt: new Date() } },
      );
    },

    async reconsiderQuietHours(userId) {
      const now = new Date();
      await model.updateMany(
        {
          userId,
          state: DeliveryState.capped,
          'failure.code': FailureCode.quietHours,
          digestDueAt: { $gt: now },
        },
        { $set: { digestDueAt: now, updatedAt: now } },
      );
    },

    async dueForDigest(now, limit) {
      return model
        .find({ digestDueAt: { $lte: now }, state: DeliveryState.capped })
        .sort({ digestDueAt: 1, createdAt: 1, _id: 1 })
        .limit(limit)
        .lean();
    },

    async markDigested(ids, digestId) {
      await model.updateMany(
        { _id: { $in: ids }, state: DeliveryState.capped },
        {
          $set: { state: DeliveryState.digested, digestId, updatedAt: new Date() },
          $unset: { digestDueAt: 1 },
        },
      );
    },

    async purgeUser(userId) {
      return (await model.deleteMany({ userId })).deletedCount;
    },

    find: (id) => model.findById(id).lean(),
  };
}
