/**
 * A delivery that did not go out, classified: `permanent` when sending the same thing again
 * cannot succeed (a recipient the server refused, a webhook answering 4xx, a user who
 * unsubscribed), transient otherwise (server down, 4xx SMTP, 5xx HTTP, timeouts), which the
 * retry tiers try again. `code` is notification.failed's machine-readable cause.
 */
export const FailureCode = {
  smtp: 'SMTP_ERROR',
  webhook: 'WEBHOOK_ERROR',
  webhookRefused: 'WEBHOOK_TARGET_REFUSED',
  unverified: 'UNVERIFIED',
  unsubscribed: 'UNSUBSCRIBED',
  noWebhook: 'NO_WEBHOOK',
  unknownRecipient: 'UNKNOWN_RECIPIENT',
  rateCapped: 'RATE_CAPPED',
  /** Held during the user's quiet hours, for the digest when they end. */
  quietHours: 'QUIET_HOURS',
  /** Another replica holds the delivery's lease (it is sending it now). */
  busy: 'DELIVERY_BUSY',
  internal: 'INTERNAL_ERROR',
} as const;
export type FailureCode = (typeof FailureCode)[keyof typeof FailureCode];

export class DeliveryError extends Error {
  readonly code: FailureCode;
  readonly permanent: boolean;
  constructor(code: FailureCode, message: string, permanent: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeliveryError';
    this.code = code;
    this.permanent = permanent;
  }
}

/** Any error as a DeliveryError: unexpected ones are transient (the retry may find it fixed). */
export function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DeliveryError(FailureCode.internal, message, false, { cause: error });
}

/**
 * Thrown from a handler so the messaging layer retries the message through its tiers. Never
 * `permanent` (that would send it to the DLQ at once): the delivery's own state says what failed.
 */
export class RetryLater extends Error {
  readonly code: string;
  constructor(code: string, reason: string) {
    super(`${code}: ${reason}`);
    this.name = 'RetryLater';
    this.code = code;
  }
}
