/**
 * Slow-client protection: a client that does not read what it subscribed to must not hold
 * memory or slow anyone else. Each connection's backlog is bounded where it waits: in its
 * subscriptions' streams (prices coalesced per ticker, alerts and deliveries kept) and in the
 * socket's write buffer (`ws` `bufferedAmount`). A sweep closes a connection that stays over
 * a limit (4008, README "Live subscriptions"), and cuts it if even the close frame cannot
 * get through.
 */
import type { WebSocket } from 'ws';
import type { LiveSubscriber } from './live-hub.ts';

export interface GuardLimits {
  /** Longest an update may wait unsent before its connection counts as slow, ms. */
  readonly maxLagMs: number;
  /** Unsent updates per connection (alerts and deliveries are never dropped, so this bounds them). */
  readonly maxPending: number;
  /** Bytes written to the socket and not yet taken by the network. */
  readonly maxBufferedBytes: number;
  /** How long a closed connection may take to finish the close handshake, ms. */
  readonly closeGraceMs: number;
}

export function isSlow(
  socket: Pick<WebSocket, 'bufferedAmount'>,
  subscriber: LiveSubscriber,
  limits: GuardLimits,
  now = performance.now(),
): boolean {
  if (socket.bufferedAmount > limits.maxBufferedBytes) return true;
  let pending = 0;
  for (const stream of subscriber.streams) {
    pending += stream.size;
    const since = stream.oldestWaitingSince;
    if (since !== null && now - since > limits.maxLagMs) return true;
  }
  return pending > limits.maxPending;
}

export function guardConnections(options: {
  readonly clients: () => Iterable<WebSocket>;
  readonly subscriberOf: (socket: WebSocket) => LiveSubscriber | undefined;
  readonly limits: GuardLimits;
  readonly close: (socket: WebSocket) => void;
}): { stop(): void } {
  const { limits } = options;
  const sweep = (): void => {
    const now = performance.now();
    for (const socket of options.clients()) {
      const subscriber = options.subscriberOf(socket);
      if (socket.readyState !== socket.OPEN || !subscriber) continue;
      if (!isSlow(socket, subscriber, limits, now)) continue;
      options.close(socket);
      setTimeout(() => {
        if (socket.readyState !== socket.CLOSED) socket.terminate();
      }, limits.closeGraceMs).unref();
    }
  };
  const timer = setInterval(sweep, Math.max(100, Math.min(1_000, limits.maxLagMs / 4)));
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
    },
  };
}
