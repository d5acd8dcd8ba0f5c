/**
 * What application code sees of a delivery: the decoded, validated, typed event and a small
 * context, never an amqplib message. Handlers are chosen by the event's `type`, because the
 * retry hop replaces the routing key with the queue's name.
 */
import type { Event, EventType, TickwatchEvent } from '@tickwatch/contracts';
import type { Headers, IncomingMessage } from './broker-channel.ts';
import { headerNumber, originalRoutingKey } from './message-headers.ts';

export interface DeliveryContext {
  readonly queue: string;
  /** 1 on the first attempt; counts retry tiers and in-place retries. */
  readonly attempt: number;
  /** The broker delivered this copy before (a consumer died or a channel closed holding it). */
  readonly redelivered: boolean;
  /** Times the broker delivered this copy before (quorum `x-delivery-count`), 0 if none. */
  readonly deliveryCount: number;
  /** The routing key it was published with (also after a retry hop). */
  readonly routingKey: string;
  readonly headers: Headers;
}

export type EventHandler<T extends EventType> = (
  event: Event<T>,
  context: DeliveryContext,
) => Promise<void>;

/** One handler per event type the queue receives; a type without one goes to the DLQ. */
export type Handlers = { readonly [T in EventType]?: EventHandler<T> };

/** The event union of some types: `EventOf<'a' | 'b'>` is `Event<'a'> | Event<'b'>`. */
export type EventOf<T extends EventType> = T extends EventType ? Event<T> : never;

/** One message of a batch: its decoded, validated event and its own context. */
export interface BatchItem<E extends TickwatchEvent = TickwatchEvent> {
  readonly event: E;
  readonly context: DeliveryContext;
}

/** Consecutive messages of one ordered queue, in queue order, acked together after the handler. */
export interface DeliveryBatch<E extends TickwatchEvent = TickwatchEvent> {
  readonly queue: string;
  /** Never empty; at most the consumer's `maxBatch`. */
  readonly items: readonly BatchItem<E>[];
  /** 1 on this batch's first run, counting up through its in-place retries. */
  readonly attempt: number;
}

/**
 * Handles a whole batch, typically with one database write for all of it; resolves once that
 * write is durable. Throwing retries the batch in place (the queue waits behind it); a
 * PermanentError skips the retries and has the batch's messages tried one at a time to find
 * the one that cannot succeed (messaging README, "Ordered batches").
 */
export type BatchHandler<E extends TickwatchEvent = TickwatchEvent> = (
  batch: DeliveryBatch<E>,
) => Promise<void>;

export function handlerFor(
  handlers: Handlers,
  event: TickwatchEvent,
): ((event: TickwatchEvent, context: DeliveryContext) => Promise<void>) | undefined {
  return handlers[event.type] as
    ((event: TickwatchEvent, context: DeliveryContext) => Promise<void>) | undefined;
}

export function deliveryContext(
  queue: string,
  message: IncomingMessage,
  attempt: number,
): DeliveryContext {
  return {
    queue,
    attempt,
    redelivered: message.redelivered,
    deliveryCount: headerNumber(message.headers, 'x-delivery-count') ?? 0,
    routingKey: originalRoutingKey(message),
    headers: message.headers,
  };
}
