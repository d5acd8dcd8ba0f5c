/**
 * Gathers an ordered queue's deliveries into batches and runs one batch at a time, in order.
 * No waiting for a batch to fill: a batch is what arrived while the previous one ran (or in the
 * same event-loop turn as the first message), up to `maxBatch`. Under light load that is one
 * message at the lowest latency; under load the batches grow by themselves, up to the prefetch.
 */
import type { IncomingMessage } from './broker-channel.ts';
import { Fifo } from './fifo.ts';

export interface BatchPumpOptions {
  readonly maxBatch: number;
  /** Once aborted, nothing more starts and what waits is dropped (unacked: the broker returns it). */
  readonly released: AbortSignal;
  /** Handles one batch; must not reject. */
  readonly run: (batch: IncomingMessage[]) => Promise<void>;
}

/** Returns the function that takes each delivery. */
export function createBatchPump({
  maxBatch,
  released,
  run,
}: BatchPumpOptions): (message: IncomingMessage) => void {
  const waiting = new Fifo<IncomingMessage>();
  let busy = false;
  let scheduled = false;

  const next = (): void => {
    scheduled = false;
    if (busy) return;
    if (released.aborted) {
      waiting.drainAll();
      return;
    }
    const batch: IncomingMessage[] = [];
    while (batch.length < maxBatch) {
      const message = waiting.shift();
      if (!message) break;
      batch.push(message);
    }
    if (batch.length === 0) return;
    busy = true;
    void run(batch).then(() => {
      busy = false;
      next();
    });
  };

  return (message) => {
    waiting.push(message);
    if (busy || scheduled) return;
    // The rest of this socket read's deliveries join the batch: they arrive in this same turn.
    scheduled = true;
    setImmediate(next);
  };
}
