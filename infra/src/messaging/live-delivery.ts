/**
 * A delivery on a live (fan-out) queue. Live queues are lossy by design (bounded, expiring,
 * gone with the process) and have no DLQ: a message the handler cannot take is logged,
 * counted as `dropped` and acked. Retrying it would only delay fresher updates behind it.
 */
import type { DeliveryScope } from './consumer.ts';
import { ack } from './delivery-outcomes.ts';
import { decodeEvent } from './envelope.ts';
import { deliveryContext, handlerFor } from './handlers.ts';

export async function handleLiveDelivery(scope: DeliveryScope): Promise<void> {
  const { message, options, logger } = scope;
  const decoded = decodeEvent(message);
  if (!decoded.ok) {
    logger.warn(
      { messageId: message.messageId, err: decoded.error },
      'dropping invalid live message',
    );
    ack(scope, message.type ?? 'unknown', 'dropped', 0);
    return;
  }
  const handler = handlerFor(options.handlers, decoded.event);
  if (!handler) {
    ack(scope, decoded.event.type, 'dropped', 0);
    return;
  }
  const started = performance.now();
  try {
    await handler(decoded.event, deliveryContext(options.queue.name, message, 1));
    ack(scope, decoded.event.type, 'ack', performance.now() - started);
  } catch (error) {
    logger.warn({ err: error, eventId: decoded.event.id }, 'live handler failed; message dropped');
    ack(scope, decoded.event.type, 'dropped', performance.now() - started);
  }
}
