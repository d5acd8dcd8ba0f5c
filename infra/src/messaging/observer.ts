/**
 * Metrics hooks. The telemetry layer implements this with prom-client counters and histograms;
 * the messaging layer only calls it. Every method must be cheap and must not throw (calls are
 * guarded anyway: a broken observer never breaks messaging).
 */

/** What became of a consumed message. */
export type ConsumeOutcome =
  /** Handled and acked. */
  | 'ack'
  /** Handler failed; republished to a retry tier (or retried in place, ordered). */
  | 'retry'
  /** Sent to the DLQ: invalid, Permanent, or retries exhausted. */
  | 'dead-letter'
  /** Could not be settled (channel lost, or republish failed): the broker redelivers it. */
  | 'requeue'
  /** Live queues only (lossy by design): invalid or failed, acked and counted. */
  | 'dropped';

export type PublishOutcome = 'confirmed' | 'nacked' | 'returned' | 'timeout' | 'rejected';

export interface MessagingObserver {
  /** A message was written to the channel (each resend after a reconnect counts again). */
  published(info: { exchange: string; routingKey: string }): void;
  /** A publish settled: confirmed by the broker, or failed with the outcome. */
  publishSettled(info: { exchange: string; routingKey: string; outcome: PublishOutcome }): void;
  /** The broker returned a mandatory publish as unroutable. */
  returned(info: { exchange: string; routingKey: string }): void;
  /** A delivery was settled; `durationMs` is the handler's run time (0 if it never ran). */
  consumed(info: {
    queue: string;
    type: string;
    outcome: ConsumeOutcome;
    durationMs: number;
  }): void;
  /** The connection is up and set up (topology declared, consumers resumed). */
  connected(info: { reconnect: boolean }): void;
  /** The connection was lost or failed; another attempt follows after `delayMs`. */
  reconnecting(info: { attempt: number; delayMs: number; error: Error }): void;
  /**
   * The broker blocked publishing on this connection (`connection.blocked`: a memory or disk
   * alarm). Publishes wait (or fail fast, `whenBlocked: 'fail'`) until `unblocked`.
   */
  blocked(info: { reason: string }): void;
  /** Publishing flows again: the alarm cleared, or the blocked connection was replaced. */
  unblocked(): void;
}

export const noopObserver: MessagingObserver = {
  published() {},
  publishSettled() {},
  returned() {},
  consumed() {},
  connected() {},
  reconnecting() {},
  blocked() {},
  unblocked() {},
};

/** Wraps an observer so that a throwing hook is swallowed (and reported once per hook). */
export function guardObserver(
  observer: MessagingObserver,
  report: (hook: string, error: unknown) => void,
): MessagingObserver {
  const reported = new Set<string>();
  const guard =
    <A extends unknown[]>(hook: keyof MessagingObserver, call: (...info: A) => void) =>
    (...info: A): void => {
      try {
        call(...info);
      } catch (error) {
        if (!reported.has(hook)) {
          reported.add(hook);
          report(hook, error);
        }
      }
    };
  return {
    published: guard('published', (i) => {
      observer.published(i);
    }),
    publishSettled: guard('publishSettled', (i) => {
      observer.publishSettled(i);
    }),
    returned: guard('returned', (i) => {
      observer.returned(i);
    }),
    consumed: guard('consumed', (i) => {
      observer.consumed(i);
    }),
    connected: guard('connected', (i) => {
      observer.connected(i);
    }),
    reconnecting: guard('reconnecting', (i) => {
      observer.reconnecting(i);
    }),
    blocked: guard('blocked', (i) => {
      observer.blocked(i);
    }),
    unblocked: guard('unblocked', () => {
      observer.unblocked();
    }),
  };
}
