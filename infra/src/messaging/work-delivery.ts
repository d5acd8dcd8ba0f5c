/**
 * A delivery on a work queue: decode and validate, run the handler for its type, ack. On
 * failure, the message goes to the next retry tier with its attempt count, or to the DLQ
 * after the last tier; invalid or Permanent ones go to the DLQ at once (never retried).
 */
import { ack, deadLetter, forward } from './delivery-outcomes.ts';
import type { DeliveryScope } from './delivery-scope.ts';
import { dispatch } from './dispatch.ts';
import { attemptsSoFar, decideAfterFailure, retryMessage } from './failure-policy.ts';
import { deliveryContext, handlerFor, type Handlers } from './handlers.ts';
import type { RetryTier } from './topology/model.ts';

export async function handleWorkDelivery(
  scope: DeliveryScope,
  handlers: Handlers,
  retryTiers: readonly RetryTier[],
): Promise<void> {
  const { message, logger, queue } = scope;
  const attemptsBefore = attemptsSoFar(message);
  const dispatched = dispatch(scope, (event) => handlerFor(handlers, event), attemptsBefore);
  if (!dispatched.ok) return dispatched.refuse();
  const { event, handler } = dispatched;

  const started = performance.now();
  scope.span.attempt(attemptsBefore + 1);
  try {
    await handler(event, deliveryContext(queue, message, attemptsBefore + 1));
  } catch (error) {
    const durationMs = performance.now() - started;
    scope.span.failed(error);
    const decision = decideAfterFailure(attemptsBefore, error, retryTiers);
    if (decision.kind === 'dead-letter') {
      await deadLetter(scope, decision, event.type, durationMs);
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
