/**
 * One bulkWrite per delivery batch for per-event handlers. A consumer runs up to `prefetch`
 * handlers at once; each hands its write to the writer and awaits its own outcome, and the
 * writer sends what was queued during one turn of the event loop (plus whatever queued while
 * the previous batch was on the wire) as one unordered bulkWrite. A handler still acks only
 * after its own write is durable, but the database sees one round trip per batch, not one per
 * message (the embedded server answers a simple write in about a millisecond, DESIGN.md §6).
 *
 *   const writer = createBulkWriter(References.collection);
 *   await writer.write({ updateOne: { filter, update, upsert: true } }); // 'applied' | 'duplicate'
 *
 * A write whose guarded upsert collides on a unique key (E11000: the filter excluded the
 * existing document, e.g. a newer version is stored) resolves 'duplicate' rather than failing,
 * so handlers can use version guards without a read. Any other per-operation error rejects only
 * that write (its message is retried by the consumer); a failure of the whole command rejects
 * every write of the batch.
 */
import type { AnyBulkWriteOperation, Document } from 'mongodb';

export type BulkWriteOutcome = 'applied' | 'duplicate';

/** The part of a driver (or mongoose) collection the writer uses. */
export interface BulkWriteTarget<T extends Document> {
  bulkWrite(operations: AnyBulkWriteOperation<T>[], options: { ordered: false }): Promise<unknown>;
}

export interface BulkWriter<T extends Document> {
  write(operation: AnyBulkWriteOperation<T>): Promise<BulkWriteOutcome>;
  /** Resolves once everything queued so far is written (or failed). */
  flush(): Promise<void>;
}

export interface BulkWriterOptions {
  /** Operations per bulkWrite at most (default 1 000); more wait for the next one. */
  readonly maxBatch?: number;
}

interface Pending<T extends Document> {
  readonly operation: AnyBulkWriteOperation<T>;
  resolve(outcome: BulkWriteOutcome): void;
  reject(error: Error): void;
}

/** What the driver's MongoBulkWriteError carries for each failed operation. */
interface WriteErrorLike {
  readonly index: number;
  readonly code?: number;
  readonly errmsg?: string;
}

const DUPLICATE_KEY = 11000;

export function createBulkWriter<T extends Document>(
  target: BulkWriteTarget<T>,
  { maxBatch = 1_000 }: BulkWriterOptions = {},
): BulkWriter<T> {
  let queue: Pending<T>[] = [];
  let running: Promise<void> | undefined;

  const drain = async (): Promise<void> => {
    // Let the handlers started in this turn of the event loop queue their writes first.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      await send(target, batch);
    }
    running = undefined;
  };

  return {
    write(operation) {
      return new Promise<BulkWriteOutcome>((resolve, reject) => {
        queue.push({ operation, resolve, reject });
        running ??= drain();
      });
    },
    async flush() {
      while (running) await running;
    },
  };
}

async function send<T extends Document>(
  target: BulkWriteTarget<T>,
  batch: readonly Pending<T>[],
): Promise<void> {
  try {
    await target.bulkWrite(
      batch.map((pending) => pending.operation),
      { ordered: false },
    );
  } catch (error) {
    const writeErrors = writeErrorsOf(error);
    if (!writeErrors) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const pending of batch) pending.reject(failure);
      return;
    }
    settleWithErrors(batch, writeErrors);
    return;
  }
  for (const pending of batch) pending.resolve('applied');
}

function settleWithErrors<T extends Document>(
  batch: readonly Pending<T>[],
  writeErrors: readonly WriteErrorLike[],
): void {
  const byIndex = new Map(writeErrors.map((writeError) => [writeError.index, writeError]));
  batch.forEach((pending, index) => {
    const writeError = byIndex.get(index);
    if (!writeError) pending.resolve('applied');
    else if (writeError.code === DUPLICATE_KEY) pending.resolve('duplicate');
    else pending.reject(new Error(writeError.errmsg ?? `write error ${String(writeError.code)}`));
  });
}

/** The per-operation errors of a partly failed unordered bulkWrite; undefined for any other error. */
function writeErrorsOf(error: unknown): readonly WriteErrorLike[] | undefined {
  if (typeof error !== 'object' || error === null || !('writeErrors' in error)) return undefined;
  const { writeErrors } = error;
  const list: unknown[] = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return list.length > 0 ? (list as WriteErrorLike[]) : undefined;
}
