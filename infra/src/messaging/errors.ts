/**
 * Every way the messaging layer refuses or fails, as a coded error. Callers match on `code`
 * (stable, listed in the README), never on message text.
 */

export const MessagingErrorCode = {
  unroutable: 'MESSAGING_UNROUTABLE',
  nacked: 'MESSAGING_NACKED',
  publishTimeout: 'MESSAGING_PUBLISH_TIMEOUT',
  bufferFull: 'MESSAGING_BUFFER_FULL',
  blocked: 'MESSAGING_BLOCKED',
  notConnected: 'MESSAGING_NOT_CONNECTED',
  invalidMessage: 'MESSAGING_INVALID_MESSAGE',
  closed: 'MESSAGING_CLOSED',
  topologyMismatch: 'MESSAGING_TOPOLOGY_MISMATCH',
  unknownQueue: 'MESSAGING_UNKNOWN_QUEUE',
  startTimeout: 'MESSAGING_START_TIMEOUT',
} as const;
export type MessagingErrorCode = (typeof MessagingErrorCode)[keyof typeof MessagingErrorCode];

export class MessagingError extends Error {
  readonly code: MessagingErrorCode;
  constructor(code: MessagingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MessagingError';
    this.code = code;
  }
}

/** A mandatory publish that no queue was bound for (`basic.return`, then a positive confirm). */
export class UnroutableError extends MessagingError {
  readonly exchange: string;
  readonly routingKey: string;
  constructor(exchange: string, routingKey: string, replyText: string) {
    super(
      MessagingErrorCode.unroutable,
      `unroutable: no queue is bound for routing key "${routingKey}" on exchange "${exchange}" (${replyText})`,
    );
    this.name = 'UnroutableError';
    this.exchange = exchange;
    this.routingKey = routingKey;
  }
}

/**
 * Thrown by a handler when retrying cannot help (the event contradicts state for good, a
 * referenced entity can never exist). The message goes straight to the DLQ with the reason.
 */
export class PermanentError extends Error {
  /** Also recognised on plain objects, so a copy of this module elsewhere still works. */
  readonly permanent = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export function isPermanent(error: unknown): boolean {
  return (
    error instanceof PermanentError ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { permanent?: unknown }).permanent === true)
  );
}

export interface TopologyMismatch {
  readonly kind: 'queue' | 'exchange';
  readonly name: string;
  /** The argument or property the broker found different, e.g. `x-delivery-limit`. */
  readonly argument: string;
  /** The broker's own words: what it received and what is current. */
  readonly detail: string;
}

/**
 * Declared topology differs from what the broker holds. Queue arguments cannot change in place,
 * so this stops start-up with every mismatch listed rather than looping on a closed channel.
 */
export class TopologyMismatchError extends MessagingError {
  readonly mismatches: readonly TopologyMismatch[];
  constructor(mismatches: readonly TopologyMismatch[]) {
    super(
      MessagingErrorCode.topologyMismatch,
      `topology mismatch (queue arguments cannot change in place; see "Migrating queue arguments" in infra/src/messaging/README.md):\n  ${mismatches
        .map((m) => `${m.kind} "${m.name}": argument ${m.argument} differs: ${m.detail}`)
        .join('\n  ')}`,
    );
    this.name = 'TopologyMismatchError';
    this.mismatches = mismatches;
  }
}

/** A thrown value as text; never throws itself (circular objects, BigInts, null prototypes). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    const json = JSON.stringify(error) as string | undefined;
    if (json !== undefined) return json;
  } catch {
    // Not serialisable: fall through to the type's name.
  }
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}
