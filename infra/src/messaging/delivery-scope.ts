/**
 * What the delivery paths (work, live, ordered batches) need to settle a message, and nothing
 * more. Its own module, so that those paths and consumer.ts (which owns subscriptions and calls
 * them) do not import each other.
 */
import type { Logger } from '../log.ts';
import type { Acker } from './ack-window.ts';
import type { IncomingMessage } from './broker-channel.ts';
import type { ProcessSpan } from './tracing.ts';
import type { MessagingObserver } from './observer.ts';
import type { OutgoingMessage, PublishCallOptions } from './publisher.ts';

/** One subscription on one channel, shared by every delivery it receives. */
export interface SubscriptionScope {
  readonly queue: string;
  /** Acks on the subscription's channel (a live queue's gathered in an AckWindow). */
  readonly channel: Acker;
  /** Publishes a retry or dead-letter copy; resolves once the broker confirmed it. */
  readonly publish: (message: OutgoingMessage, options: PublishCallOptions) => Promise<void>;
  readonly observer: MessagingObserver;
  readonly logger: Logger;
  /** Aborted when the channel goes away or on stop: nothing new starts, in-place waits end. */
  readonly released: AbortSignal;
  /**
   * Gives an unsettled delivery back to the broker. Work and live queues nack it (requeue); an
   * ordered queue recycles the connection instead, because a nack would put that one message
   * behind the ones already prefetched after it, while a closed channel returns them all in
   * their order.
   */
  readonly giveBack: (message: IncomingMessage, reason: Error) => void;
}

/** One delivery and whether it has been settled (acked, nacked, or given back). */
export interface DeliveryScope extends SubscriptionScope {
  readonly message: IncomingMessage;
  /** The process span it is handled in (its own, or its ordered batch's). */
  readonly span: ProcessSpan;
  settled: boolean;
}

export function deliveryScope(
  subscription: SubscriptionScope,
  message: IncomingMessage,
  span: ProcessSpan,
): DeliveryScope {
  return { ...subscription, message, span, settled: false };
}
