/**
 * A delivery on a work queue: decode and validate, run the handler for its type, ack. On
 * failure, the message goes to the next retry tier with its attempt count, or to the DLQ
 * after the last tier; invalid or Permanent ones go to the DLQ at once (never retried).
 */
import type { DeliveryScope } from './consumer.ts';
import { ack, deadLetter, forward } from './delivery-outcomes.ts';
import { dispatch } from './dispatch.ts';
import { decideAfterFailure, retryMessage } from './failure-policy.ts';
import { deliveryContext } from './handlers.ts';

export async function handleWorkDelivery(scope: DeliveryScope): Promise<void> {
  const { message, options, logger } = scope;
  const queue = options.queue.name;
  const dispatched = dispatch(scope);
  if (!dispatched.ok) return dispatched.refuse();
  const { event, handler, attemptsBefore } = dispatched;

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
      'handler failed; retrying through a tier',
    );
    const copy = retryMessage(message, queue, decision.tier, decision.attempts, error);
    await forward(scope, copy, event.type, 'retry', durationMs);
    return;
  }
  ack(scope, event.type, 'ack', performance.now() - started);
}
