/**
 * A delivery on a work queue: decode and validate, run the handler for its type, ack. On
 * failure, the message goes to the next retry tier with its attempt count, or to the DLQ
 * after the last tier; invalid or Permanent ones go to the DLQ at once (never retried).
 */
import type { DeliveryScope } from './consumer.ts';
import { ack, deadLetter, forward } from './delivery-outcomes.ts';
import { decodeEvent } from './envelope.ts';
import { errorMessage } from './errors.ts';
import { attemptsSoFar, DeadReason, decideAfterFailure, retryMessage } from './failure-policy.ts';
import { deliveryContext, handlerFor } from './handlers.ts';

export async function handleWorkDelivery(scope: DeliveryScope): Promise<void> {
  const { message, options, logger } = scope;
  const queue = options.queue.name;
  const attemptsBefore = attemptsSoFar(message);
  const decoded = decodeEvent(message);
  if (!decoded.ok) {
    const type = message.type ?? 'unknown';
    await deadLetter(scope, DeadReason.invalid, decoded.error.message, attemptsBefore, type, 0);
    return;
  }
  const event = decoded.event;
  const handler = handlerFor(options.handlers, event);
  if (!handler) {
    const detail = `no handler for ${event.type} on ${queue}`;
    await deadLetter(scope, DeadReason.unhandledType, detail, attemptsBefore, event.type, 0);
    return;
  }

  const started = performance.now();
  try {
    await handler(event, deliveryContext(queue, message, attemptsBefore + 1));
  } catch (error) {
    const durationMs = performance.now() - started;
    const decision = decideAfterFailure(attemptsBefore, error, options.retryTiers);
    if (decision.kind === 'dead-letter') {
      await deadLetter(
        scope,
        decision.reason,
        decision.detail,
        decision.attempts,
        event.type,
        durationMs,
      );
      return;
    }
    logger.warn(
      {
        err: error,
        eventId: event.id,
        type: event.type,
        attempt: decision.attempts,
        retryIn: decision.tier.name,
      },
      `handler failed: ${errorMessage(error)}; retrying after ${decision.tier.name}`,
    );
    const copy = retryMessage(message, queue, decision.tier, decision.attempts, error);
    await forward(scope, copy, event.type, 'retry', durationMs);
    return;
  }
  ack(scope, event.type, 'ack', performance.now() - started);
}
