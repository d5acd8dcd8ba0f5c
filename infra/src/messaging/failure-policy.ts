/**
 * What happens to a message whose handling failed, as pure functions: the consumers do the
 * I/O, this file decides. Graphql-ws style split: a message that can never succeed (invalid,
 * Permanent, no handler for its type) goes to the DLQ now; anything else is retried.
 */
import { randomUUID } from 'node:crypto';
import { EXCHANGES, HEADERS, retryExchange } from '@tickwatch/contracts';
import type { Headers, IncomingMessage } from './broker-channel.ts';
import { errorMessage, isPermanent } from './errors.ts';
import { headerNumber, originalRoutingKey } from './message-headers.ts';
import type { OutgoingMessage } from './publisher.ts';
import type { RetryTier } from './topology/model.ts';

/** Values of the `x-tickwatch-dead-reason` header (before the colon). */
export const DeadReason = {
  /** Not UTF-8 JSON, not a CloudEvents envelope, unknown type, or `data` fails its schema. */
  invalid: 'invalid',
  /** The handler threw a PermanentError. */
  permanent: 'permanent',
  /** The handler failed on every retry tier (work queues) or every in-place attempt (ordered). */
  retriesExhausted: 'retries-exhausted',
  /** Valid event, but the consuming queue has no handler for its type (a binding/handler bug). */
  unhandledType: 'unhandled-type',
} as const;
export type DeadReason = (typeof DeadReason)[keyof typeof DeadReason];

/** Longest error text carried in a header (AMQP header tables are capped at 64 KiB in total). */
export const MAX_ERROR_HEADER_LENGTH = 1024;

export type FailureDecision =
  | { readonly kind: 'retry'; readonly tier: RetryTier; readonly attempts: number }
  | {
      readonly kind: 'dead-letter';
      readonly reason: DeadReason;
      readonly detail: string;
      readonly attempts: number;
    };

/** Handler attempts already made for this message (0 on its first delivery). */
export function attemptsSoFar(message: IncomingMessage): number {
  const attempts = headerNumber(message.headers, HEADERS.attempts);
  return attempts !== undefined && attempts >= 0 ? Math.floor(attempts) : 0;
}

/** After a failed attempt on a work queue: the next tier, or the DLQ. */
export function decideAfterFailure(
  attemptsBefore: number,
  error: unknown,
  tiers: readonly RetryTier[],
): FailureDecision {
  const attempts = attemptsBefore + 1;
  if (isPermanent(error)) {
    return {
      kind: 'dead-letter',
      reason: DeadReason.permanent,
      detail: errorMessage(error),
      attempts,
    };
  }
  const tier = tiers[attempts - 1];
  if (tier) return { kind: 'retry', tier, attempts };
  return {
    kind: 'dead-letter',
    reason: DeadReason.retriesExhausted,
    detail: `failed ${attempts} times, last: ${errorMessage(error)}`,
    attempts,
  };
}

export function truncate(text: string, max = MAX_ERROR_HEADER_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Broker-owned headers that must not be copied onto a new message. */
const BROKER_HEADERS = new Set(['x-delivery-count']);

function carriedHeaders(message: IncomingMessage): Record<string, Headers[string]> {
  const headers: Record<string, Headers[string]> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (!BROKER_HEADERS.has(name)) headers[name] = value;
  }
  return headers;
}

/** A new message with a delivery's body and properties, for another destination and headers. */
export function copyOf(
  message: IncomingMessage,
  exchange: string,
  routingKey: string,
  headers: Headers,
): OutgoingMessage {
  return {
    exchange,
    routingKey,
    content: message.content,
    properties: {
      // A body that never parsed may have no id; it still needs one for return correlation.
      messageId: message.messageId ?? `unidentified-${randomUUID()}`,
      ...(message.type === undefined ? {} : { type: message.type }),
      ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
      ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
      ...(message.appId === undefined ? {} : { appId: message.appId }),
      headers,
    },
  };
}

/** The copy sent to a retry tier: back to `queue` after the tier's delay. */
export function retryMessage(
  message: IncomingMessage,
  queue: string,
  tier: RetryTier,
  attempts: number,
  error: unknown,
): OutgoingMessage {
  return copyOf(message, retryExchange(tier.name), queue, {
    ...carriedHeaders(message),
    [HEADERS.attempts]: attempts,
    [HEADERS.lastError]: truncate(errorMessage(error)),
    [HEADERS.routingKey]: originalRoutingKey(message),
    [HEADERS.queue]: queue,
  });
}

/** The copy sent to `queue`'s DLQ, with the reason (a nack could not carry one). */
export function deadLetterMessage(
  message: IncomingMessage,
  queue: string,
  reason: DeadReason,
  detail: string,
  attempts: number,
): OutgoingMessage {
  return copyOf(message, EXCHANGES.deadLetter, queue, {
    ...carriedHeaders(message),
    [HEADERS.attempts]: attempts,
    [HEADERS.deadReason]: truncate(`${reason}: ${detail}`),
    [HEADERS.routingKey]: originalRoutingKey(message),
    [HEADERS.queue]: queue,
  });
}
