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

/** Why a message goes to its DLQ, as its dead-letter copy's headers will say. */
export interface DeadLetterCause {
  readonly reason: DeadReason;
  readonly detail: string;
  /** Handler attempts made, all deliveries together. */
  readonly attempts: number;
  /** The handler's last error, if a handler failed (invalid or unhandled messages have none). */
  readonly error?: unknown;
}

export type FailureDecision =
  | { readonly kind: 'retry'; readonly tier: RetryTier; readonly attempts: number }
  | ({ readonly kind: 'dead-letter' } & DeadLetterCause);

/** Handler attempts recorded in the message's header by earlier retries (0 if none). */
export function attemptsSoFar(message: IncomingMessage): number {
  const attempts = headerNumber(message.headers, HEADERS.attempts);
  return attempts !== undefined && attempts >= 0 ? Math.floor(attempts) : 0;
}

/**
 * Attempts before this delivery on an ordered queue, where retries happen in place and leave
 * no header: every earlier delivery of this copy (the quorum queue's `x-delivery-count`)
 * counts as one, so the count never starts again at 1 after a redelivery. A lower bound when an
 * earlier delivery retried in place several times, an upper one when it was returned before
 * its handler ran (prefetched when the channel closed).
 */
export function inPlaceAttemptsSoFar(message: IncomingMessage): number {
  const deliveries = headerNumber(message.headers, 'x-delivery-count') ?? 0;
  return attemptsSoFar(message) + Math.max(0, Math.floor(deliveries));
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
      error,
    };
  }
  const tier = tiers[attempts - 1];
  if (tier) return { kind: 'retry', tier, attempts };
  return {
    kind: 'dead-letter',
    reason: DeadReason.retriesExhausted,
    detail: `failed ${attempts} times, last: ${errorMessage(error)}`,
    attempts,
    error,
  };
}

export function truncate(text: string, max = MAX_ERROR_HEADER_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Broker-owned headers that must not be copied onto a new message. */
const BROKER_HEADERS: ReadonlySet<string> = new Set(['x-delivery-count']);
/** ...and for a dead-letter copy, the last error an earlier retry recorded. */
const NOT_CARRIED_TO_DLQ: ReadonlySet<string> = new Set([...BROKER_HEADERS, HEADERS.lastError]);

function carriedHeaders(
  message: IncomingMessage,
  dropped = BROKER_HEADERS,
): Record<string, Headers[string]> {
  const headers: Record<string, Headers[string]> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (!dropped.has(name)) headers[name] = value;
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

/**
 * The copy sent to `queue`'s DLQ, with the reason (a nack could not carry one). Its last-error
 * header is this failure's error, not the one an earlier retry left behind.
 */
export function deadLetterMessage(
  message: IncomingMessage,
  queue: string,
  { reason, detail, attempts, error }: DeadLetterCause,
): OutgoingMessage {
  return copyOf(message, EXCHANGES.deadLetter, queue, {
    ...carriedHeaders(message, NOT_CARRIED_TO_DLQ),
    ...(error === undefined ? {} : { [HEADERS.lastError]: truncate(errorMessage(error)) }),
    [HEADERS.attempts]: attempts,
    [HEADERS.deadReason]: truncate(`${reason}: ${detail}`),
    [HEADERS.routingKey]: originalRoutingKey(message),
    [HEADERS.queue]: queue,
  });
}
