/**
 * The ways a delivery is settled, shared by every kind of queue. The order matters and is the
 * point of this file: a copy is published (and confirmed) *before* the original is acked, so at
 * every instant at least one copy exists in the broker.
 */
import type { DeliveryScope } from './delivery-scope.ts';
import { stampedWithActiveTrace } from './tracing.ts';
import { deadLetterMessage, type DeadLetterCause } from './failure-policy.ts';
import type { ConsumeOutcome } from './observer.ts';
import type { OutgoingMessage } from './publisher.ts';

/** Acks and reports; an ack on a dead channel reports `requeue` (the broker redelivers). */
export function ack(
  scope: DeliveryScope,
  type: string,
  outcome: ConsumeOutcome,
  durationMs: number,
): void {
  scope.settled = true;
  const acked = scope.channel.ack(scope.message.deliveryTag);
  const settled = acked ? outcome : 'requeue';
  scope.span.outcome(settled);
  scope.observer.consumed({ queue: scope.queue, type, outcome: settled, durationMs });
}

/** Gives the delivery back to the broker (see SubscriptionScope.giveBack) and reports it. */
export function giveBack(scope: DeliveryScope, type: string, reason: Error): void {
  if (scope.settled) return;
  scope.settled = true;
  scope.giveBack(scope.message, reason);
  scope.span.outcome('requeue');
  scope.observer.consumed({ queue: scope.queue, type, outcome: 'requeue', durationMs: 0 });
}

/**
 * Publishes the copy with a confirm, then acks the original. If the copy is not confirmed the
 * original is given back instead, and is delivered again: the fallback that keeps the message,
 * like Rascal's recovery chain ending in a nack.
 */
export async function forward(
  scope: DeliveryScope,
  copy: OutgoingMessage,
  type: string,
  outcome: ConsumeOutcome,
  durationMs: number,
): Promise<void> {
  try {
    // Not buffered: if the connection dies, this delivery dies with it and comes back anyway.
    await scope.publish(stampedWithActiveTrace(copy), { buffer: false });
  } catch (error) {
    scope.logger.error(
      { err: error, messageId: scope.message.messageId, to: copy.exchange },
      'could not forward a failed message; giving it back to the broker',
    );
    giveBack(scope, type, error instanceof Error ? error : new Error(String(error)));
    return;
  }
  ack(scope, type, outcome, durationMs);
}

export async function deadLetter(
  scope: DeliveryScope,
  cause: DeadLetterCause,
  type: string,
  durationMs: number,
): Promise<void> {
  const { reason, detail, attempts } = cause;
  scope.logger.warn(
    { messageId: scope.message.messageId, type, reason, detail, attempts },
    'dead-lettering message',
  );
  const copy = deadLetterMessage(scope.message, scope.queue, cause);
  await forward(scope, copy, type, 'dead-letter', durationMs);
}
