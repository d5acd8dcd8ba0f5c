/**
 * Idempotency, second choice: the dedupe marker is written in the same document as the effect.
 * When the effect is an update of an existing document (a counter, a state machine, a
 * watchlist), the update itself carries "and remember event X" and only applies if X is not
 * remembered yet. One single-document write: the effect and the marker cannot be separated by
 * a crash, so the effect happens exactly once (no transaction needed).
 *
 * The document keeps the last `keep` event ids (`processedEvents`, a capped array). That must
 * cover how late a redelivery can come for this document (retry tiers, a replay from the DLQ);
 * ordered consumers also compare versions / market times, which has no horizon at all.
 */
import type { Model, UpdateQuery } from 'mongoose';
import { isDuplicateKey } from './insert-once.ts';

export const PROCESSED_EVENTS = 'processedEvents';

export type ApplyOutcome = 'applied' | 'duplicate' | 'missing';

export interface ApplyOnceOptions {
  /** Event ids remembered per document (default 100). */
  readonly keep?: number;
  /** Create the document when missing (the marker is written with it). */
  readonly upsert?: boolean;
}

/** `update` plus "remember eventId", for use as one updateOne on `filter`. */
export function markerUpdate<T>(
  update: UpdateQuery<T>,
  eventId: string,
  keep = 100,
): UpdateQuery<T> {
  const push = (update.$push ?? {}) as Record<string, unknown>;
  if (PROCESSED_EVENTS in push)
    throw new Error(`applyOnce: the update already pushes ${PROCESSED_EVENTS}`);
  return {
    ...update,
    $push: { ...push, [PROCESSED_EVENTS]: { $each: [eventId], $slice: -keep } },
  };
}

/**
 * Applies `update` to the document matching `filter` unless it already remembers `eventId`.
 * 'missing' when no document matches at all (and `upsert` is off).
 */
export async function applyOnce<T>(
  model: Model<T>,
  filter: Record<string, unknown>,
  update: UpdateQuery<T>,
  eventId: string,
  { keep = 100, upsert = false }: ApplyOnceOptions = {},
): Promise<ApplyOutcome> {
  const guarded = { ...filter, [PROCESSED_EVENTS]: { $ne: eventId } };
  try {
    const result = await model.updateOne(guarded, markerUpdate(update, eventId, keep), { upsert });
    if (result.matchedCount === 1 || result.upsertedCount === 1) return 'applied';
  } catch (error) {
    // An upsert racing a document that already remembers the event collides on _id.
    if (upsert && isDuplicateKey(error)) return 'duplicate';
    throw error;
  }
  const remembered = await model.exists({ ...filter, [PROCESSED_EVENTS]: eventId });
  return remembered ? 'duplicate' : 'missing';
}
