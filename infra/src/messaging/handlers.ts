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
