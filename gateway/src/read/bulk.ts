/**
 * bulkWrite helpers for idempotent projections. Writes are unordered; a duplicate-key error on
 * an upsert means "already there / not newer" (the filter did not match a document that
 * exists), which is the point of the write, not a failure. Any other error fails the batch.
 */
import {
  MongoBulkWriteError,
  type AnyBulkWriteOperation,
  type Document,
  type WriteError,
} from 'mongodb';
import type { Model } from 'mongoose';
import { isDuplicateKey } from '@tickwatch/infra/messaging/idempotency';

/** Runs `operations`; returns the indexes of those refused as duplicates. */
export async function bulkWriteIdempotent<T extends Document>(
  model: Model<T>,
  operations: AnyBulkWriteOperation<T>[],
): Promise<Set<number>> {
  const duplicates = new Set<number>();
  if (operations.length === 0) return duplicates;
  try {
    await model.collection.bulkWrite(operations as AnyBulkWriteOperation[], { ordered: false });
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error;
    const errors = ([] as WriteError[]).concat(error.writeErrors as WriteError | WriteError[]);
    if (errors.some((e) => !isDuplicateKey(e))) throw error;
    for (const e of errors) duplicates.add(e.index);
  }
  return duplicates;
}
