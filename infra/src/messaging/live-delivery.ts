/**
 * A delivery on a live (fan-out) queue. Live queues are lossy by design (bounded, expiring,
 * gone with the process) and have no DLQ: a message the handler cannot take is logged,
 * counted as `dropped` and acked. Retrying it would only delay fresher updates behind it.
 */
import { ack } from './delivery-outcomes.ts';
import type { DeliveryScope } from './delivery-scope.ts';
import { decodeEvent } from './envelope.ts';
import { deliveryContext, handlerFor, type Handlers } from './handlers.ts';

export async function handleLiveDelivery(scope: DeliveryScope, handlers: Handlers): Promise<void> {
  const { message, logger } = scope;
  const decoded = decodeEvent(message);
  if (!decoded.ok) {
    logger.warn(
      { messageId: message.messageId, err: decoded.error },
      'dropping invalid live message',
    );
    ack(scope, message.type ?? 'unknown', 'dropped', 0);
    return;
  }
  const handler = handlerFor(handlers, decoded.event);
  if (!handler) {
    ack(scope, decoded.event.type, 'dropped', 0);
    return;
  }
  const started = performance.now();
  try {
    await handler(decoded.event, deliveryContext(scope.queue, message, 1));
    ack(scope, decoded.event.type, 'ack', performance.now() - started);
  } catch (error) {
    scope.span.failed(error);
    logger.warn({ err: error, eventId: decoded.event.id }, 'live handler failed; message dropped');
    ack(scope, decoded.event.type, 'dropped', performance.now() - started);
  }
}
