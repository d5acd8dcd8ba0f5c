/**
 * Coalesces the writes of concurrent handlers into one database round trip: every handler of a
 * delivery batch (the consumer runs up to `prefetch` at once) adds its item and waits; the
 * batch is written once the current turn of the event loop ends, with one bulkWrite per
 * collection, and each handler resolves (ack) or rejects (retry) with it. The embedded MongoDB
 * costs about a millisecond per write, so this is the difference between ~1,000 and many
 * thousands of events per second.
 */
export interface WriteBatcher<T> {
  /** Resolves once the batch holding `item` is durable. */
  add(item: T): Promise<void>;
  /** Batches written so far (for tests and metrics). */
  readonly batches: number;
}

export function createWriteBatcher<T>(
  write: (items: readonly T[]) => Promise<void>,
): WriteBatcher<T> {
  let pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let batches = 0;

  const flush = (): void => {
    const batch = pending;
    pending = [];
    batches += 1;
    write(batch.map((entry) => entry.item)).then(
      () => {
        for (const entry of batch) entry.resolve();
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  };

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ item, resolve, reject });
      });
    },
    get batches() {
      return batches;
    },
  };
}
