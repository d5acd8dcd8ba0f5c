/**
 * The ways a delivery is settled, shared by work and ordered consumers. The order matters and
 * is the point of this file: a copy is published (and confirmed) *before* the original is
 * acked, so at every instant at least one copy exists in the broker.
 */
import type { DeliveryScope } from './consumer.ts';
import { deadLetterMessage, type DeadReason } from './failure-policy.ts';
import type { ConsumeOutcome } from './observer.ts';
import type { OutgoingMessage } from './publisher.ts';

/** Acks and reports; an ack on a dead channel reports `requeue` (the broker redelivers). */
export function ack(
  scope: DeliveryScope,
  type: string,
  outcome: ConsumeOutcome,
  durationMs: number,
): void {
  const acked = scope.channel.ack(scope.message.deliveryTag);
  scope.options.observer.consumed({
    queue: scope.options.queue.name,
    type,
    outcome: acked ? outcome : 'requeue',
    durationMs,
  });
}

/**
 * Publishes the copy with a confirm, then acks the original. If the copy is not confirmed the
 * original is requeued instead (nack), and is delivered again: the fallback that keeps the
 * message, like Rascal's recovery chain ending in a nack.
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
    await scope.options.publisher.publish(copy, { buffer: false });
  } catch (error) {
    scope.logger.error(
      { err: error, messageId: scope.message.messageId, to: copy.exchange },
      'could not forward a failed message; requeueing it',
    );
    scope.channel.nack(scope.message.deliveryTag, true);
    scope.options.observer.consumed({
      queue: scope.options.queue.name,
      type,
      outcome: 'requeue',
      durationMs,
    });
    return;
  }
  ack(scope, type, outcome, durationMs);
}

export async function deadLetter(
  scope: DeliveryScope,
  reason: DeadReason,
  detail: string,
  attempts: number,
  type: string,
  durationMs: number,
): Promise<void> {
  const queue = scope.options.queue.name;
  scope.logger.warn(
    { messageId: scope.message.messageId, type, reason, detail, attempts },
    'dead-lettering message',
  );
  const copy = deadLetterMessage(scope.message, queue, reason, detail, attempts);
  await forward(scope, copy, type, 'dead-letter', durationMs);
}
