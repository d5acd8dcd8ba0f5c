/**
 * A consumer of one queue: its own channel (so prefetch is per queue and one queue's trouble
 * stays on its channel), manual acks after the handler resolved, and a clean stop that
 * cancels, lets in-flight handlers finish, then closes, all within one deadline.
 *
 * Each session gets its own subscription (channel, abort signal). Whatever was delivered on a
 * dead session finishes on its own dead channel: its ack fails harmlessly and the broker
 * redelivers the message. An ordered queue subscribes again only once those handlers are done,
 * or the redelivered message would run next to its own earlier run, and its successors could
 * overtake it.
 *
 * How each delivery is handled lives in work-delivery.ts (retry tiers), live-delivery.ts
 * (lossy) and ordered-batch.ts (in place, in batches); this file owns the subscription's life,
 * and makes sure every delivery ends settled, even when its path fails unexpectedly.
 */
import type { Logger } from '../log.ts';
import { createAckWindow, type AckWindow } from './ack-window.ts';
import { createBatchPump } from './batch-pump.ts';
import type { BrokerChannel, IncomingMessage } from './broker-channel.ts';
import type { Session, SessionComponent } from './connection.ts';
import { IdleWaiters, settledWithin, sleep } from './deadline.ts';
import { giveBack } from './delivery-outcomes.ts';
import { deliveryScope, type DeliveryScope, type SubscriptionScope } from './delivery-scope.ts';
import { errorMessage } from './errors.ts';
import type { Handlers } from './handlers.ts';
import { handleLiveDelivery } from './live-delivery.ts';
import { traceProcessing } from './tracing.ts';
import type { MessagingObserver } from './observer.ts';
import { handleOrderedBatch, type OrderedBatchOptions } from './ordered-batch.ts';
import type { Publisher } from './publisher.ts';
import type { QueueSpec, RetryTier } from './topology/model.ts';
import { handleWorkDelivery } from './work-delivery.ts';

/** How deliveries reach application code: one handler call each, or ordered batches. */
export type DeliveryMode =
  | { readonly kind: 'each'; readonly handlers: Handlers; readonly prefetch: number }
  | ({
      readonly kind: 'batches';
      readonly maxBatch: number;
      readonly prefetch: number;
    } & OrderedBatchOptions);

export interface ConsumerOptions {
  readonly queue: QueueSpec;
  /** `batches` for ordered queues, `each` for work and live queues. */
  readonly delivery: DeliveryMode;
  readonly publisher: Publisher;
  readonly observer: MessagingObserver;
  readonly logger: Logger;
  readonly retryTiers: readonly RetryTier[];
  /** Subscribe this long after each (re)connect instead of at once (partition takeover). */
  readonly startDelayMs?: number;
}

export interface Consumer extends SessionComponent {
  /** Cancels, waits up to `timeoutMs` for running handlers, closes the channel. */
  stop(timeoutMs: number): Promise<void>;
  /** Handlers (or batches) running now. */
  readonly running: number;
  /** Subscribed on the current session (false while waiting for the start delay). */
  readonly subscribed: boolean;
}

/** A live queue's acks wait this long to go out together (see ack-window.ts). */
const LIVE_ACK_LINGER_MS = 50;

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(errorMessage(error));

export function createConsumer(options: ConsumerOptions): Consumer {
  const { queue, delivery, publisher, observer, retryTiers } = options;
  const logger = options.logger.child({ queue: queue.name });
  const ordered = delivery.kind === 'batches';
  let channel: BrokerChannel | undefined;
  let consumerTag: string | undefined;
  let acks: AckWindow | undefined;
  /** Aborted when the session ends or on stop: its deliveries stop starting handlers. */
  let release = new AbortController();
  let stopping = false;
  let running = 0;
  const idle = new IdleWaiters();

  /**
   * Counts `work` as running until it settles. A rejection is a bug in a delivery path (they
   * catch handler errors), and must not leave a message unacked on a live channel, where it
   * would hold its place (the whole partition, with prefetch 1) until the channel closes.
   */
  const track = (work: Promise<void>, recover: (error: Error) => void): Promise<void> => {
    running += 1;
    const done = (): void => {
      running -= 1;
      if (running === 0) idle.wakeAll();
    };
    return work.then(done, (error: unknown) => {
      logger.error({ err: error }, 'delivery handling failed unexpectedly; giving it back');
      try {
        recover(asError(error));
      } catch (recoverError) {
        logger.error({ err: recoverError }, 'could not give the delivery back');
      }
      done();
    });
  };

  /** The function each delivery of a new subscription goes to. */
  const receiver = (scope: SubscriptionScope): ((message: IncomingMessage) => void) => {
    if (delivery.kind === 'batches') {
      return createBatchPump({
        maxBatch: delivery.maxBatch,
        released: scope.released,
        run: (batch) =>
          track(
            traceProcessing(queue.name, batch, (span) =>
              handleOrderedBatch(scope, batch, delivery, span),
            ),
            (error) => {
              scope.giveBack(batch[0] as IncomingMessage, error);
            },
          ),
      });
    }
    const { handlers } = delivery;
    return (message) => {
      let single: DeliveryScope | undefined;
      const work = traceProcessing(queue.name, [message], (span) => {
        single = deliveryScope(scope, message, span);
        return queue.role === 'live'
          ? handleLiveDelivery(single, handlers)
          : handleWorkDelivery(single, handlers, retryTiers);
      });
      void track(work, (error) => {
        if (single) giveBack(single, message.type ?? 'unknown', error);
        else scope.giveBack(message, error);
      });
    };
  };

  const subscriptionScope = (
    session: Session,
    opened: BrokerChannel,
    window: AckWindow | undefined,
    signal: AbortSignal,
  ): SubscriptionScope => ({
    queue: queue.name,
    channel: window ?? opened,
    publish: (message, publishOptions) => publisher.publish(message, publishOptions),
    observer,
    logger,
    released: signal,
    giveBack: ordered
      ? (_message, reason) => {
          // Closing the channel returns every unacked delivery in order; a nack would not.
          session.fail(new Error(`giving back deliveries of ${queue.name}: ${reason.message}`));
        }
      : (message) => {
          (window ?? opened).nack(message.deliveryTag, true);
        },
  });

  /** Opens a channel and subscribes, unless the session or this subscription ends meanwhile. */
  const subscribe = async (session: Session, signal: AbortSignal): Promise<void> => {
    const wanted = (): boolean => session.alive && !signal.aborted;
    if (!wanted()) return;
    let opened: BrokerChannel | undefined;
    try {
      opened = await session.connection.openChannel(
        {
          closed: (error) => {
            if (error && !signal.aborted) session.fail(error);
          },
        },
        { confirm: false },
      );
      if (!wanted()) return;
      await opened.prefetch(delivery.prefetch);
      const window =
        queue.role === 'live'
          ? createAckWindow(opened, {
              lingerMs: LIVE_ACK_LINGER_MS,
              maxPending: Math.ceil(delivery.prefetch / 2),
            })
          : undefined;
      const receive = receiver(subscriptionScope(session, opened, window, signal));
      const tag = await opened.consume(
        queue.name,
        (message) => {
          // Stopping, or a delivery racing the end of its session: left unacked, it returns to
          // the queue when the channel closes.
          if (signal.aborted) return;
          window?.delivered(message.deliveryTag);
          receive(message);
        },
        {
          cancelled: () => {
            // The queue was deleted (or lost): recycling declares it again and resubscribes.
            if (!signal.aborted) {
              session.fail(new Error(`broker cancelled the consumer of ${queue.name}`));
            }
          },
        },
      );
      if (!wanted()) return;
      channel = opened;
      consumerTag = tag;
      acks = window;
      opened = undefined;
      logger.debug('subscribed');
    } catch (error) {
      // A failure of a session or subscription that has ended anyway is not worth reporting.
      if (wanted()) throw error;
    } finally {
      // Set only when it was not kept: stop() or detach() came first and did not see it.
      await opened?.close();
    }
  };

  /** Subscribes after the takeover delay and, for ordered queues, once earlier runs finished. */
  const subscribeLater = async (session: Session, signal: AbortSignal, delayMs: number) => {
    if (delayMs > 0 && !(await sleep(delayMs, signal))) return;
    while (ordered && running > 0) {
      await idle.wait();
      if (signal.aborted) return;
    }
    try {
      await subscribe(session, signal);
    } catch (error) {
      session.fail(asError(error));
    }
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
      const delayMs = options.startDelayMs ?? 0;
      if (delayMs <= 0 && !(ordered && running > 0)) {
        await subscribe(session, release.signal);
        return;
      }
      void subscribeLater(session, release.signal, delayMs);
    },

    detach() {
      // Running handlers finish, but their acks fail: the broker redelivers those messages.
      release.abort();
      channel = undefined;
      consumerTag = undefined;
      acks = undefined;
    },

    async stop(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      const left = (): number => deadline - performance.now();
      stopping = true;
      // No handler starts from now on; in-place retry waits give up (those messages return to
      // the queue unacked); a takeover waiting for its delay is dropped.
      release.abort();
      const current = channel;
      const tag = consumerTag;
      const gathered = acks;
      channel = undefined;
      consumerTag = undefined;
      acks = undefined;
      if (current?.isOpen && tag !== undefined) {
        const cancelling = current.cancel(tag).catch((error: unknown) => {
          logger.warn({ err: error }, 'cancel failed; closing the channel instead');
        });
        await settledWithin(cancelling, left());
      }
      if (running > 0 && !(await settledWithin(idle.wait(), left()))) {
        logger.warn(
          { running },
          'handlers still running at shutdown: their messages will be redelivered',
        );
      }
      gathered?.flush();
      if (current) await settledWithin(current.close(), left());
    },
  };
}
