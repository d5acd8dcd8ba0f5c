/**
 * Idempotency, first choice: the effect is keyed by the event id. When a handler's effect is
 * "a new document" (a delivery, an alert-history row, a read-model entry per event), give that
 * document a unique key derived from the event id. A redelivery then hits the unique index and
 * changes nothing. There is no separate marker to lose or to repeat: the effect is the marker.
 */
import type { Model } from 'mongoose';

export type OnceOutcome = 'applied' | 'duplicate';

/** MongoDB's duplicate-key error (11000), as the driver and mongoose report it. */
export function isDuplicateKey(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000
  );
}

/**
 * Inserts `doc`, whose `_id` (or another uniquely indexed field) is derived from the event id.
 * 'duplicate' when it is already there: the event was handled before.
 */
export async function insertOnce<T>(model: Model<T>, doc: Partial<T>): Promise<OnceOutcome> {
  try {
    await model.collection.insertOne(model.castObject(doc) as Record<string, unknown>);
    return 'applied';
  } catch (error) {
    if (isDuplicateKey(error)) return 'duplicate';
    throw error;
  }
}
