/**
 * Coalesces the writes of concurrent handlers into one database round trip: every handler of a
 * delivery batch (the consumer runs up to `prefetch` at once) adds its item and waits; the
 * batch is written with one bulkWrite per collection, and each handler resolves (ack) or
 * rejects (retry) with it. The embedded MongoDB costs about a millisecond per write, so this is
 * the difference between ~1,000 and many thousands of events per second.
 *
 * A batch is written `lingerMs` after its first item, or at once when it holds `maxItems` (the
 * consumer's prefetch: no more can arrive before these are acked). The linger is for light
 * load: at 200 quotes/s the quotes arrive one by one, and written as they came every quote
 * cost four database round trips and an ack of its own, each a socket write that wakes another
 * process (the gateway spent 0.4 of a core on it, bench/read-models.bench.ts); 50 ms gathers
 * about ten of them for one write, and a read model 50 ms behind is not one a reader can tell.
 */
export interface WriteBatcher<T> {
  /** Resolves once the batch holding `item` is durable. */
  add(item: T): Promise<void>;
  /** Batches written so far (for tests and metrics). */
  readonly batches: number;
}

export interface WriteBatcherOptions {
  /** How long the first item of a batch waits for others, ms (0: the rest of this turn). */
  readonly lingerMs: number;
  /** A batch this large is written at once. */
  readonly maxItems: number;
}

export function createWriteBatcher<T>(
  write: (items: readonly T[]) => Promise<void>,
  { lingerMs, maxItems }: WriteBatcherOptions,
): WriteBatcher<T> {
  let pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** Cancels the scheduled write of the pending batch. */
  let cancel: (() => void) | undefined;
  let batches = 0;

  const flush = (): void => {
    cancel?.();
    cancel = undefined;
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
        pending.push({ item, resolve, reject });
        if (pending.length >= maxItems) {
          flush();
        } else if (pending.length === 1 && lingerMs > 0) {
          const timer = setTimeout(flush, lingerMs);
          cancel = () => {
            clearTimeout(timer);
          };
        } else if (pending.length === 1) {
          const immediate = setImmediate(flush);
          cancel = () => {
            clearImmediate(immediate);
          };
        }
      });
    },
    get batches() {
      return batches;
    },
  };
}
