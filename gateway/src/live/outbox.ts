/**
 * A connection's writer of subscription updates. An update goes to the socket at once while the
 * socket keeps up (fewer than `maxInFlight` writes the kernel has not taken yet); past that its
 * subscription keeps it (live-stream.ts: coalesced or queued) and the outbox writes the waiting
 * ones, oldest subscription first, as earlier writes complete. So a slow client's backlog waits
 * where it can be coalesced and measured (connection-guard.ts), not in the socket's buffer.
 */
import type { WebSocket } from 'ws';

/** A subscription with updates waiting for the socket. */
export interface Waiting {
  /** Writes its oldest waiting update; false when it has none left. */
  writeNext(): boolean;
}

export interface Outbox {
  /** Whether an update may be written now (nothing waits and the socket keeps up). */
  readonly writable: boolean;
  /** Writes a graphql-ws message (UTF-8 JSON) as a text frame. */
  write(message: Buffer): void;
  /** `subscription` has updates the socket could not take yet: write them when it can. */
  wait(subscription: Waiting): void;
  forget(subscription: Waiting): void;
}

/** A Buffer goes out as a binary frame unless told: graphql-ws messages are text. */
const TEXT = { binary: false } as const;

export function createOutbox(socket: WebSocket, maxInFlight = 8): Outbox {
  let inFlight = 0;
  const waiting = new Set<Waiting>();

  const flush = (): void => {
    while (inFlight < maxInFlight && waiting.size > 0) {
      for (const subscription of waiting) {
        waiting.delete(subscription);
        if (subscription.writeNext()) waiting.add(subscription); // its next waits its turn
        break;
      }
    }
  };
  const written = (): void => {
    inFlight -= 1;
    if (waiting.size > 0) flush();
  };

  return {
    get writable() {
      return inFlight < maxInFlight && waiting.size === 0;
    },
    write(message) {
      if (socket.readyState !== socket.OPEN) return;
      inFlight += 1;
      socket.send(message, TEXT, written);
    },
    wait(subscription) {
      waiting.add(subscription);
      if (inFlight < maxInFlight) flush();
    },
    forget(subscription) {
      waiting.delete(subscription);
    },
  };
}
