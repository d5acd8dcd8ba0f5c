/**
 * A delivery on an ordered (partition) queue. Retry tiers would let later messages overtake a
 * failing one, so a failure is retried here, in place, with backoff, while the queue waits
 * behind it (prefetch 1); after the last attempt it goes to the DLQ and the queue moves on.
 *
 * If the channel goes away meanwhile (connection lost, shutdown) the retries stop and the
 * message stays unacked: the broker gives it, still first in line, to the next active consumer.
 */
import { exponentialBackoff, type Backoff } from './backoff.ts';
import type { DeliveryScope } from './consumer.ts';
import { sleep } from './deadline.ts';
import { ack, deadLetter } from './delivery-outcomes.ts';
import { dispatch } from './dispatch.ts';
import { errorMessage, isPermanent } from './errors.ts';
import { DeadReason } from './failure-policy.ts';
import { deliveryContext } from './handlers.ts';

export async function handleOrderedDelivery(scope: DeliveryScope): Promise<void> {
  const { message, options, logger, released } = scope;
  const queue = options.queue.name;
  const dispatched = dispatch(scope);
  if (!dispatched.ok) return dispatched.refuse();
  const { event, handler, attemptsBefore } = dispatched;

  const maxAttempts = options.inPlaceRetry.attempts;
  // Made at the first failure: most deliveries succeed at once and never need one.
  let backoff: Backoff | undefined;
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      await handler(event, deliveryContext(queue, message, attemptsBefore + attempt));
      ack(scope, event.type, 'ack', performance.now() - started);
      return;
    } catch (error) {
      const durationMs = performance.now() - started;
      if (isPermanent(error)) {
        const detail = errorMessage(error);
        await deadLetter(
          scope,
          DeadReason.permanent,
          detail,
          attemptsBefore + attempt,
          event.type,
          durationMs,
        );
        return;
      }
      if (attempt >= maxAttempts) {
        const detail = `failed ${attempt} times in place, last: ${errorMessage(error)}`;
        await deadLetter(
          scope,
          DeadReason.retriesExhausted,
          detail,
          attemptsBefore + attempt,
          event.type,
          durationMs,
        );
        return;
      }
      options.observer.consumed({ queue, type: event.type, outcome: 'retry', durationMs });
      backoff ??= exponentialBackoff(options.inPlaceRetry.backoff);
      const delayMs = backoff.next();
      logger.warn(
        { err: error, eventId: event.id, type: event.type, attempt, retryInMs: delayMs },
        'ordered handler failed; retrying in place',
      );
      if (!(await sleep(delayMs, released)) || !scope.channel.isOpen) {
        options.observer.consumed({ queue, type: event.type, outcome: 'requeue', durationMs: 0 });
        return;
      }
    }
  }
}
