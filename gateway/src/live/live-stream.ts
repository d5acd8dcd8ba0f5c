/**
 * One subscription: it writes each update to its connection's outbox as a graphql-ws `next`
 * message (the shared execution's JSON with this subscription's id around it), and keeps what
 * the socket cannot take yet. What waits here is what the client has not taken, so this is
 * where a slow client's backlog is bounded:
 * - an update with a coalescing key (a ticker's price, a ticker's average of one window)
 *   replaces an unsent one with the same key, keeping its place in line;
 * - an update without one (an alert, a delivery) is never dropped while the connection lives.
 * `oldestWaitingSince` and `size` let the connection's guard close a client that stays behind.
 *
 * To graphql-ws it is the subscription's async iterator: one that yields nothing (the updates
 * went past it) and ends when graphql-ws returns it (the client completed or went away).
 */
import type { Outbox, Waiting } from './outbox.ts';
import type { SharedExecution } from './shared-execution.ts';

export interface LiveUpdate {
  /** Updates with the same key replace each other while unsent; none: always kept. */
  readonly key?: string;
  /** The `next` message's payload as UTF-8 JSON (from the shared execution). */
  readonly payload: Buffer;
}

export interface LiveStream extends AsyncIterableIterator<never> {
  readonly execution: SharedExecution;
  /** Sends or queues an update; returns true when it replaced an unsent one (coalesced). */
  push(update: LiveUpdate): boolean;
  /** Unsent updates. */
  readonly size: number;
  /** When the oldest unsent update was queued (performance.now()), or null with none. */
  readonly oldestWaitingSince: number | null;
  readonly closed: boolean;
  /** Unsubscribes (graphql-ws calls it when the client completes or goes away). */
  return(): Promise<IteratorResult<never>>;
}

const CLOSING_BRACE = 0x7d;

interface Pending {
  payload: Buffer;
  readonly since: number;
}

export function createLiveStream(options: {
  /** The graphql-ws operation id. */
  readonly id: string;
  readonly outbox: Outbox;
  readonly execution: SharedExecution;
  readonly onClose: (unsent: number) => void;
}): LiveStream {
  const { outbox } = options;
  // The message around the shared payload, encoded once per subscription: each frame is one
  // allocation (from Node's pool) and two copies, not a string to encode per socket.
  const head = Buffer.from(`{"id":${JSON.stringify(options.id)},"type":"next","payload":`);
  const frame = (payload: Buffer): Buffer => {
    const message = Buffer.allocUnsafe(head.length + payload.length + 1);
    head.copy(message, 0);
    payload.copy(message, head.length);
    message[message.length - 1] = CLOSING_BRACE;
    return message;
  };
  // Created on the first update that has to wait: most subscriptions never need one.
  let pending: Map<string, Pending> | null = null;
  let sequence = 0;
  let closed = false;
  let ended: ((result: IteratorResult<never>) => void) | null = null;
  const done: IteratorResult<never> = { done: true, value: undefined };

  const waiting: Waiting = {
    writeNext() {
      if (!pending) return false;
      for (const [key, update] of pending) {
        pending.delete(key);
        outbox.write(frame(update.payload));
        return pending.size > 0;
      }
      return false;
    },
  };

  const close = (): IteratorResult<never> => {
    if (!closed) {
      closed = true;
      outbox.forget(waiting);
      const unsent = pending?.size ?? 0;
      pending = null;
      options.onClose(unsent);
    }
    ended?.(done);
    ended = null;
    return done;
  };

  const stream: LiveStream = {
    execution: options.execution,
    push({ key, payload }) {
      if (closed) return false;
      if (!pending?.size && outbox.writable) {
        outbox.write(frame(payload));
        return false;
      }
      pending ??= new Map();
      const unsent = key === undefined ? undefined : pending.get(key);
      if (unsent) {
        unsent.payload = payload;
        return true;
      }
      sequence += 1;
      pending.set(key ?? `#${sequence}`, { payload, since: performance.now() });
      outbox.wait(waiting);
      return false;
    },
    get size() {
      return pending?.size ?? 0;
    },
    get oldestWaitingSince() {
      if (pending) for (const update of pending.values()) return update.since;
      return null;
    },
    get closed() {
      return closed;
    },
    next() {
      if (closed) return Promise.resolve(done);
      return new Promise((resolve) => {
        ended = resolve;
      });
    },
    return() {
      return Promise.resolve(close());
    },
    throw(error: unknown) {
      close();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
