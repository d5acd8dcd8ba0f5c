/**
 * One subscription's unsent updates: the async iterator a subscription resolver returns, which
 * graphql-ws reads one update at a time, each after the previous one was written to the socket.
 * What waits here is what the client has not taken yet, so this is where a slow client's
 * backlog is bounded:
 * - an update with a coalescing key (a ticker's price, a ticker's average of one window)
 *   replaces an unsent one with the same key, keeping its place in line;
 * - an update without one (an alert, a delivery) is never dropped while the connection lives.
 * `oldestWaitingSince` and `size` let the connection's guard close a client that stays behind.
 */

export interface LiveUpdate<T> {
  /** Updates with the same key replace each other while unsent; none: always kept. */
  readonly key?: string;
  readonly payload: T;
}

export interface LiveStream<T> extends AsyncIterableIterator<T> {
  /** Queues an update; returns true when it replaced an unsent one (coalesced). */
  push(update: LiveUpdate<T>): boolean;
  /** Unsent updates. */
  readonly size: number;
  /** When the oldest unsent update was queued (performance.now()), or null with none. */
  readonly oldestWaitingSince: number | null;
  readonly closed: boolean;
}

interface Waiting<T> {
  payload: T;
  readonly since: number;
}

export function createLiveStream<T>(onClose: (unsent: number) => void): LiveStream<T> {
  const pending = new Map<string, Waiting<T>>();
  let sequence = 0;
  let closed = false;
  let wake: ((result: IteratorResult<T>) => void) | null = null;

  const close = (): IteratorResult<T> => {
    if (!closed) {
      closed = true;
      const unsent = pending.size;
      pending.clear();
      onClose(unsent);
    }
    const done: IteratorResult<T> = { done: true, value: undefined };
    wake?.(done);
    wake = null;
    return done;
  };

  const stream: LiveStream<T> = {
    push({ key, payload }) {
      if (closed) return false;
      if (wake) {
        const resolve = wake;
        wake = null;
        resolve({ done: false, value: payload });
        return false;
      }
      const waiting = key === undefined ? undefined : pending.get(key);
      if (waiting) {
        waiting.payload = payload;
        return true;
      }
      sequence += 1;
      pending.set(key ?? `#${sequence}`, { payload, since: performance.now() });
      return false;
    },
    get size() {
      return pending.size;
    },
    get oldestWaitingSince() {
      for (const waiting of pending.values()) return waiting.since;
      return null;
    },
    get closed() {
      return closed;
    },
    next() {
      for (const [key, waiting] of pending) {
        pending.delete(key);
        return Promise.resolve({ done: false, value: waiting.payload });
      }
      if (closed) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => {
        wake = resolve;
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
