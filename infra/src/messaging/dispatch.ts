/**
 * The first step of a work or ordered delivery: decode and validate the body, and check that
 * the queue's consumer takes its type. A message that fails either can never succeed, so it
 * goes to the DLQ at once, with the reason. Synchronous on the common path: no extra promise
 * per message.
 */
import type { TickwatchEvent } from '@tickwatch/contracts';
import { deadLetter } from './delivery-outcomes.ts';
import type { DeliveryScope } from './delivery-scope.ts';
import { decodeEvent } from './envelope.ts';
import { DeadReason } from './failure-policy.ts';

export type Dispatch<H> =
  | {
      readonly ok: true;
      readonly event: TickwatchEvent;
      /** What `pick` found for the event's type (its handler, for work queues). */
      readonly handler: H;
    }
  | { readonly ok: false; readonly refuse: () => Promise<void> };

/**
 * `pick` returns what handles the event, or undefined when this consumer takes no such type;
 * `attemptsBefore` is what a dead-letter copy records as the attempts made.
 */
export function dispatch<H>(
  scope: DeliveryScope,
  pick: (event: TickwatchEvent) => H | undefined,
  attemptsBefore: number,
): Dispatch<H> {
  const { message } = scope;
  const decoded = decodeEvent(message);
  if (!decoded.ok) {
    const type = message.type ?? 'unknown';
    const detail = decoded.error.message;
    return {
      ok: false,
      refuse: () =>
        deadLetter(
          scope,
          { reason: DeadReason.invalid, detail, attempts: attemptsBefore },
          type,
          0,
        ),
    };
  }
  const event = decoded.event;
  const handler = pick(event);
  if (handler === undefined) {
    const detail = `no handler for ${event.type} on ${scope.queue}`;
    return {
      ok: false,
      refuse: () =>
        deadLetter(
          scope,
          { reason: DeadReason.unhandledType, detail, attempts: attemptsBefore },
          event.type,
          0,
        ),
    };
  }
  return { ok: true, event, handler };
}
