/**
 * A consumer of one queue: its own channel (so prefetch is per queue and one queue's trouble
 * stays on its channel), manual acks after the handler resolved, and a clean stop that
 * cancels, lets in-flight handlers finish, then closes.
 *
 * How each delivery is handled lives in work-delivery.ts (retry tiers) and
 * ordered-delivery.ts (in place); this file owns the subscription's life.
 */
import type { Logger } from '../log.ts';
import type { BackoffOptions } from './backoff.ts';
import type { BrokerChannel, IncomingMessage } from './broker-channel.ts';
import type { Session, SessionComponent } from './connection.ts';
import type { Handlers } from './handlers.ts';
import type { MessagingObserver } from './observer.ts';
import { handleLiveDelivery } from './live-delivery.ts';
import { handleOrderedDelivery } from './ordered-delivery.ts';
import type { Publisher } from './publisher.ts';
import type { QueueSpec, RetryTier } from './topology/model.ts';
import { handleWorkDelivery } from './work-delivery.ts';

export interface InPlaceRetryOptions {
  /** Handler attempts per delivery before the DLQ. */
  readonly attempts: number;
  readonly backoff: BackoffOptions;
}

export interface ConsumerOptions {
  readonly queue: QueueSpec;
  readonly handlers: Handlers;
  readonly prefetch: number;
  readonly publisher: Publisher;
  readonly observer: MessagingObserver;
  readonly logger: Logger;
  readonly retryTiers: readonly RetryTier[];
  /** Ordered queues only. */
  readonly inPlaceRetry: InPlaceRetryOptions;
  /** Subscribe this long after each (re)connect instead of at once (partition takeover). */
  readonly startDelayMs?: number;
}

export interface Consumer extends SessionComponent {
  /** Cancels, waits up to `timeoutMs` for running handlers, closes the channel. */
  stop(timeoutMs: number): Promise<void>;
  /** Handlers running now. */
  readonly running: number;
  /** Subscribed on the current session (false while waiting for the start delay). */
  readonly subscribed: boolean;
}

/** What a delivery handler needs; `settled` is aborted when the channel goes away. */
export interface DeliveryScope {
  readonly channel: BrokerChannel;
  readonly message: IncomingMessage;
  readonly options: ConsumerOptions;
  readonly logger: Logger;
  readonly released: AbortSignal;
}

export function createConsumer(options: ConsumerOptions): Consumer {
  const { queue, prefetch } = options;
  const logger = options.logger.child({ queue: queue.name });
  const ordered = queue.role === 'ordered';
  const handle =
    queue.role === 'ordered'
      ? handleOrderedDelivery
      : queue.role === 'live'
        ? handleLiveDelivery
        : handleWorkDelivery;
  let channel: BrokerChannel | undefined;
  let consumerTag: string | undefined;
  let release = new AbortController();
  let delayTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let running = 0;
  let idleWaiters: (() => void)[] = [];

  const settled = (): void => {
    running -= 1;
    if (running === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  const onMessage = (
    target: BrokerChannel,
    signal: AbortSignal,
    message: IncomingMessage,
  ): void => {
    running += 1;
    handle({ channel: target, message, options, logger, released: signal }).then(
      settled,
      (error: unknown) => {
        // The delivery handlers catch handler errors; this is a bug in them. Leave the message
        // unacked: it is redelivered when the channel closes.
        logger.error({ err: error }, 'delivery handling failed unexpectedly');
        settled();
      },
    );
  };

  const subscribe = async (session: Session): Promise<void> => {
    if (!session.alive || stopping) return;
    const signal = release.signal;
    const opened = await session.connection.openChannel(
      {
        closed: (error) => {
          if (error && !stopping) session.fail(error);
        },
      },
      { confirm: false },
    );
    channel = opened;
    await opened.prefetch(ordered ? 1 : prefetch);
    consumerTag = await opened.consume(
      queue.name,
      (message) => {
        onMessage(opened, signal, message);
      },
      {
        cancelled: () => {
          if (!stopping) session.fail(new Error(`broker cancelled the consumer of ${queue.name}`));
        },
      },
    );
    logger.debug('subscribed');
  };

  return {
    name: `consumer ${queue.name}`,
    get running() {
      return running;
    },
    get subscribed() {
      return consumerTag !== undefined;
    },

    async attach(session) {
      if (stopping) return;
      release = new AbortController();
      const delay = options.startDelayMs ?? 0;
      if (delay <= 0) {
        await subscribe(session);
        return;
      }
      delayTimer = setTimeout(() => {
        delayTimer = undefined;
        subscribe(session).catch((error: unknown) => {
          session.fail(error instanceof Error ? error : new Error(String(error)));
        });
      }, delay);
    },

    detach() {
      clearTimeout(delayTimer);
      delayTimer = undefined;
      // Running handlers finish, but their acks fail: the broker redelivers those messages.
      release.abort();
      channel = undefined;
      consumerTag = undefined;
    },

    async stop(timeoutMs) {
      stopping = true;
      clearTimeout(delayTimer);
      const current = channel;
      if (current?.isOpen && consumerTag !== undefined) {
        try {
          await current.cancel(consumerTag);
        } catch (error) {
          logger.warn({ err: error }, 'cancel failed; closing the channel instead');
        }
      }
      consumerTag = undefined;
      // In-place retry waits give up now; those messages return to the queue unacked.
      release.abort();
      if (running > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idleWaiters.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (running > 0) {
          logger.warn(
            { running },
            'handlers still running at shutdown: their messages will be redelivered',
          );
        }
      }
      channel = undefined;
      await current?.close();
    },
  };
}
