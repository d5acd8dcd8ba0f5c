/**
 * The confirmed publisher. A publish resolves only when the broker confirmed it, and rejects
 * with a coded error otherwise; nothing is ever dropped silently.
 *
 * - Unroutable: with `mandatory`, RabbitMQ sends `basic.return` and then a *positive* confirm.
 *   Returns are correlated to their publish by messageId, and that publish rejects naming the
 *   routing key.
 * - Back-pressure: at most `maxInFlight` unconfirmed publishes; when the socket buffer is full
 *   (`publish` returned false) nothing more is written until `drain`.
 * - Blocked (`connection.blocked`, a broker memory or disk alarm): nothing is written until
 *   the broker unblocks; publishes wait in the buffer like when disconnected, or reject at once
 *   with MESSAGING_BLOCKED when the caller chose `whenBlocked: 'fail'`. Writing into a blocked
 *   connection would stall its socket, and with it the acks of consumers that could drain the
 *   very queues the alarm is about.
 * - Disconnected: publishes wait in a bounded buffer (FIFO) and go out after the reconnect.
 *   Publishes that were written but not confirmed when the connection died go back to the
 *   front of the buffer and are sent again: the broker may have stored them, so this is
 *   at-least-once, and consumers drop the repeat by event id.
 * - Every publish has a deadline covering buffering and confirm; past it, it rejects.
 * - A message the channel cannot encode rejects on its own; the publishes behind it go out.
 */
import type { Logger } from '../log.ts';
import {
  ChannelClosedError,
  type BrokerChannel,
  type ConfirmOutcome,
  type OutgoingMessage,
  type ReturnedMessage,
} from './broker-channel.ts';
import type { Session, SessionComponent } from './connection.ts';
import { IdleWaiters, settledWithin } from './deadline.ts';
import { errorMessage, MessagingError, MessagingErrorCode, UnroutableError } from './errors.ts';
import { Fifo } from './fifo.ts';
import { tracedPublish } from './tracing.ts';
import type { MessagingObserver } from './observer.ts';

export type { OutgoingMessage } from './broker-channel.ts';

export interface PublishCallOptions {
  /**
   * Wait in the buffer while disconnected (default). False: reject at once when not connected,
   * and reject (instead of resending) if the connection dies before the confirm, also when it was
   * still waiting behind the in-flight window. Consumers use false for retry/DLQ republishes:
   * their delivery dies with the connection and is redelivered, so a copy sent after the
   * reconnect would only duplicate it.
   */
  readonly buffer?: boolean;
  /** While the broker blocks publishing: wait (subject to the publish timeout) or fail now. */
  readonly whenBlocked?: WhenBlocked;
}

/** What a publish does while the broker blocks publishing (a resource alarm). */
export type WhenBlocked = 'wait' | 'fail';

export interface PublisherOptions {
  readonly logger: Logger;
  readonly observer: MessagingObserver;
  /** Unconfirmed publishes on the wire at most. */
  readonly maxInFlight: number;
  /** Publishes waiting (disconnected, or behind the in-flight window) at most. */
  readonly maxBuffered: number;
  /** From the call to the confirm, including time spent buffered, ms. */
  readonly publishTimeoutMs: number;
  /** Default for publishes that do not say. */
  readonly whenBlocked: WhenBlocked;
}

export interface Publisher extends SessionComponent {
  publish(message: OutgoingMessage, options?: PublishCallOptions): Promise<void>;
  /** Stops accepting, waits up to `timeoutMs` for everything pending, rejects the rest. */
  shutdown(timeoutMs: number): Promise<void>;
  /** The broker blocked publishing (`reason`) or unblocked it (undefined). */
  setBlocked(reason: string | undefined): void;
  readonly pending: number;
}

type PendingState = 'queued' | 'sent' | 'done';

interface Pending {
  readonly message: OutgoingMessage;
  readonly buffer: boolean;
  readonly failWhenBlocked: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** performance.now() after which it rejects; deadlines are in creation order (one timeout). */
  readonly deadline: number;
  state: PendingState;
  /** Channel generation it was written on; confirms from an older channel are ignored. */
  generation: number;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { observer, logger, maxInFlight, maxBuffered, publishTimeoutMs } = options;
  const queue = new Fifo<Pending>();
  const inFlight = new Set<Pending>();
  /**
   * `basic.return`s waiting for their confirm, by messageId. Only unroutable publishes land
   * here, so the common path pays one failed Map lookup per confirm, nothing per publish.
   */
  const returns = new Map<string, ReturnedMessage[]>();
  /** Every unsettled publish in creation order, hence deadline order: swept from the head. */
  const deadlines = new Fifo<Pending>();
  let sweeper: NodeJS.Timeout | undefined;
  const sweepEveryMs = Math.max(10, Math.min(250, publishTimeoutMs / 4));
  /** Live entries in `queue` (timed-out ones stay in the Fifo until shifted, then skipped). */
  let queued = 0;
  let channel: BrokerChannel | undefined;
  let generation = 0;
  let awaitingDrain = false;
  /** The broker's reason while it blocks publishing on this connection. */
  let blockedReason: string | undefined;
  let accepting = true;
  const idle = new IdleWaiters();

  const settle = (pending: Pending, error?: Error): void => {
    if (pending.state === 'done') return;
    if (pending.state === 'queued') queued -= 1;
    pending.state = 'done';
    const { exchange, routingKey } = pending.message;
    if (error) {
      const outcome =
        error instanceof UnroutableError
          ? 'returned'
          : error instanceof MessagingError && error.code === MessagingErrorCode.nacked
            ? 'nacked'
            : error instanceof MessagingError && error.code === MessagingErrorCode.publishTimeout
              ? 'timeout'
              : 'rejected';
      observer.publishSettled({ exchange, routingKey, outcome });
      pending.reject(error);
    } else {
      observer.publishSettled({ exchange, routingKey, outcome: 'confirmed' });
      pending.resolve();
    }
    if (queued === 0 && inFlight.size === 0) idle.wakeAll();
  };

  /** The return for this publish, if the broker sent one (it precedes the confirm). */
  const takeReturn = (pending: Pending): ReturnedMessage | undefined => {
    if (returns.size === 0) return undefined;
    const { exchange, routingKey, properties } = pending.message;
    const list = returns.get(properties.messageId);
    const at = list?.findIndex((r) => r.exchange === exchange && r.routingKey === routingKey) ?? -1;
    if (!list || at < 0) return undefined;
    const [returned] = list.splice(at, 1);
    if (list.length === 0) returns.delete(properties.messageId);
    return returned;
  };

  const sweep = (): void => {
    const now = performance.now();
    for (;;) {
      const head = deadlines.peek();
      if (!head || (head.state !== 'done' && head.deadline > now)) break;
      deadlines.shift();
      if (head.state === 'done') continue;
      const where =
        head.state === 'sent'
          ? 'sent, no confirm from the broker'
          : `never sent: ${notSentBecause()}`;
      inFlight.delete(head);
      settle(
        head,
        new MessagingError(
          MessagingErrorCode.publishTimeout,
          `publish to "${head.message.exchange}" with routing key "${head.message.routingKey}" not confirmed within ${publishTimeoutMs} ms (${where})`,
        ),
      );
    }
    if (deadlines.length === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
    pump();
  };

  const notSentBecause = (): string => {
    if (!channel) return 'not connected';
    if (blockedReason !== undefined) return `broker blocked publishing: ${blockedReason}`;
    return 'behind the in-flight window';
  };

  const blockedError = (routingKey: string): MessagingError =>
    new MessagingError(
      MessagingErrorCode.blocked,
      `broker blocked publishing (${blockedReason ?? 'resource alarm'}): "${routingKey}" not sent`,
    );

  const onConfirm = (pending: Pending, sentOn: number, outcome: ConfirmOutcome): void => {
    // The channel closed under it: detach() decides (resend or reject) for all of them.
    if (outcome === 'closed') return;
    // Taken in any case, so that the return of a publish that timed out meanwhile (the confirm
    // follows its return) does not stay in the map.
    const returned = takeReturn(pending);
    // A confirm from a channel we already gave up on: the publish was requeued or settled.
    if (pending.state !== 'sent' || pending.generation !== sentOn) return;
    inFlight.delete(pending);
    const { exchange, routingKey } = pending.message;
    if (outcome === 'nack') {
      settle(
        pending,
        new MessagingError(
          MessagingErrorCode.nacked,
          `broker refused publish to "${exchange}" with routing key "${routingKey}" (nack: a full queue with reject-publish, or an internal error)`,
        ),
      );
    } else if (returned) {
      observer.returned({ exchange, routingKey });
      settle(pending, new UnroutableError(exchange, routingKey, returned.replyText));
    } else {
      settle(pending);
    }
    pump();
  };

  const onReturn = (returned: ReturnedMessage): void => {
    if (returned.messageId === undefined) return;
    const list = returns.get(returned.messageId);
    if (list) list.push(returned);
    else returns.set(returned.messageId, [returned]);
  };

  const send = (pending: Pending, target: BrokerChannel): void => {
    const { exchange, routingKey, content, properties } = pending.message;
    queued -= 1;
    pending.state = 'sent';
    pending.generation = generation;
    inFlight.add(pending);
    const sentOn = generation;
    let writable: boolean;
    try {
      writable = target.publish(exchange, routingKey, content, properties, (outcome) => {
        onConfirm(pending, sentOn, outcome);
      });
    } catch (error) {
      inFlight.delete(pending);
      if (error instanceof ChannelClosedError) {
        // The channel closed before we learnt of it; detach() follows and resends.
        pending.state = 'queued';
        queued += 1;
        queue.unshiftAll([pending]);
        channel = undefined;
        return;
      }
      // This message cannot be encoded; the channel is fine and the next one goes out.
      settle(
        pending,
        new MessagingError(
          MessagingErrorCode.invalidMessage,
          `cannot publish to "${exchange}" with routing key "${routingKey}": ${errorMessage(error)}`,
          { cause: error },
        ),
      );
      return;
    }
    observer.published({ exchange, routingKey });
    if (!writable) awaitingDrain = true;
  };

  const pump = (): void => {
    while (
      channel &&
      !awaitingDrain &&
      blockedReason === undefined &&
      inFlight.size < maxInFlight &&
      queued > 0
    ) {
      const pending = queue.shift();
      if (pending && pending.state === 'queued') send(pending, channel);
    }
  };

  const reject = (code: MessagingErrorCode, message: string): Promise<void> =>
    Promise.reject(new MessagingError(code, message));

  /** Queues a publish (traced by `publish`); resolves on the confirm. */
  const enqueue = (
    message: OutgoingMessage,
    { buffer = true, whenBlocked = options.whenBlocked }: PublishCallOptions = {},
  ): Promise<void> => {
    const { exchange, routingKey } = message;
    if (!accepting) {
      return reject(MessagingErrorCode.closed, `publisher closed: not publishing "${routingKey}"`);
    }
    if (!buffer && !channel) {
      return reject(
        MessagingErrorCode.notConnected,
        `not connected: cannot publish "${routingKey}" to "${exchange}" now`,
      );
    }
    if (blockedReason !== undefined && whenBlocked === 'fail') {
      return Promise.reject(blockedError(routingKey));
    }
    if (queued >= maxBuffered) {
      return reject(
        MessagingErrorCode.bufferFull,
        `publish buffer full (${maxBuffered} waiting${channel ? '' : ', disconnected'}): "${routingKey}" not accepted`,
      );
    }
    return new Promise<void>((resolve, rejectPublish) => {
      const pending: Pending = {
        message,
        buffer,
        failWhenBlocked: whenBlocked === 'fail',
        resolve,
        reject: rejectPublish,
        deadline: performance.now() + publishTimeoutMs,
        state: 'queued',
        generation: -1,
      };
      deadlines.push(pending);
      sweeper ??= setInterval(sweep, sweepEveryMs);
      queue.push(pending);
      queued += 1;
      pump();
    });
  };

  return {
    name: 'publisher',
    get pending() {
      return queued + inFlight.size;
    },

    publish(message, callOptions) {
      return tracedPublish(message, (traced) => enqueue(traced, callOptions));
    },

    async attach(session: Session) {
      const opened = await session.connection.openChannel(
        {
          closed: (error) => {
            if (error) session.fail(error);
          },
          returned: onReturn,
          drained: () => {
            awaitingDrain = false;
            pump();
          },
        },
        { confirm: true },
      );
      generation += 1;
      channel = opened;
      awaitingDrain = false;
      pump();
    },

    detach() {
      channel = undefined;
      generation += 1;
      awaitingDrain = false;
      const unconfirmed = [...inFlight];
      inFlight.clear();
      returns.clear();
      const lost = (pending: Pending): MessagingError =>
        new MessagingError(
          MessagingErrorCode.notConnected,
          `connection lost before the broker confirmed "${pending.message.routingKey}"`,
        );
      // Written but unconfirmed: the broker may have them. Resent first, in their order.
      const resend: Pending[] = [];
      for (const pending of unconfirmed) {
        if (pending.buffer && accepting) {
          pending.state = 'queued';
          queued += 1;
          resend.push(pending);
        } else {
          settle(pending, lost(pending));
        }
      }
      // Not written yet: the buffered ones wait; the unbuffered ones fail now, as promised.
      const waiting: Pending[] = [];
      for (const pending of queue.drainAll()) {
        if (pending.state !== 'queued') continue; // timed out meanwhile
        if (pending.buffer) waiting.push(pending);
        else settle(pending, lost(pending));
      }
      if (resend.length > 0) {
        logger.info({ count: resend.length }, 'resending unconfirmed publishes after reconnect');
      }
      queue.unshiftAll([...resend, ...waiting]);
    },

    setBlocked(reason) {
      blockedReason = reason;
      if (reason === undefined) {
        pump();
        return;
      }
      // Those that asked to fail fast and are still waiting fail now; the sent ones wait for
      // their confirm (the broker has them, or will after the alarm).
      const waiting = queue.drainAll();
      const keep: Pending[] = [];
      for (const pending of waiting) {
        if (pending.state !== 'queued') continue;
        if (pending.failWhenBlocked) settle(pending, blockedError(pending.message.routingKey));
        else keep.push(pending);
      }
      queue.unshiftAll(keep);
    },

    async shutdown(timeoutMs) {
      accepting = false;
      if (queued > 0 || inFlight.size > 0) await settledWithin(idle.wait(), timeoutMs);
      const left = [...queue.drainAll(), ...inFlight];
      inFlight.clear();
      returns.clear();
      clearInterval(sweeper);
      sweeper = undefined;
      for (const pending of left) {
        settle(
          pending,
          new MessagingError(
            MessagingErrorCode.closed,
            `publisher closed before "${pending.message.routingKey}" was confirmed`,
          ),
        );
      }
    },
  };
}
