/**
 * The first step of a work or ordered delivery: decode and validate the body, and find the
 * handler for its type. A message that fails either can never succeed, so it goes to the DLQ
 * at once, with the reason. Synchronous on the common path: no extra promise per message.
 */
import type { TickwatchEvent } from '@tickwatch/contracts';
import type { DeliveryScope } from './consumer.ts';
import { deadLetter } from './delivery-outcomes.ts';
import { decodeEvent } from './envelope.ts';
import { attemptsSoFar, DeadReason } from './failure-policy.ts';
import { handlerFor, type DeliveryContext } from './handlers.ts';

export type Dispatch =
  | {
      readonly ok: true;
      readonly event: TickwatchEvent;
      readonly handler: (event: TickwatchEvent, context: DeliveryContext) => Promise<void>;
      /** Handler attempts already made for this message (0 on its first delivery). */
      readonly attemptsBefore: number;
    }
  | { readonly ok: false; readonly refuse: () => Promise<void> };

export function dispatch(scope: DeliveryScope): Dispatch {
  const { message, options } = scope;
  const attemptsBefore = attemptsSoFar(message);
  const decoded = decodeEvent(message);
  if (!decoded.ok) {
    const type = message.type ?? 'unknown';
    const detail = decoded.error.message;
    return {
      ok: false,
      refuse: () => deadLetter(scope, DeadReason.invalid, detail, attemptsBefore, type, 0),
    };
  }
  const event = decoded.event;
  const handler = handlerFor(options.handlers, event);
  if (!handler) {
    const detail = `no handler for ${event.type} on ${options.queue.name}`;
    return {
      ok: false,
      refuse: () =>
        deadLetter(scope, DeadReason.unhandledType, detail, attemptsBefore, event.type, 0),
    };
  }
  return { ok: true, event, handler, attemptsBefore };
}
