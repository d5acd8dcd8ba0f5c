/**
 * Delivering one notification on one channel, once (README "Notifier", "Once, and never lost"):
 *
 *  1. Look the user up: a deleted user gets nothing and leaves nothing behind.
 *  2. Claim the delivery (PENDING → SENDING with our lease). Found SENT, FAILED, CAPPED or
 *     DIGESTED: a redelivery, acked without sending. Found SENDING under a live lease: another
 *     replica is on it; retry later (by then it is SENT, or its holder died and the lease ran out).
 *  3. Refuse what must not go out: unsubscribed, unverified address, no webhook, unknown user.
 *  4. Alerts in the user's quiet hours wait for the digest sent when they end; the others count
 *     against the hourly cap, and over it they wait for the digest (both CAPPED). A digest due
 *     in quiet hours waits with its items.
 *  5. Send. Then, at once and in ONE write, SENT and its notification.sent (outbox). A crash
 *     between the server accepting the message and this write is the one window in which a
 *     retry sends it again (with the same Message-ID).
 *  6. A failure is recorded with its notification.failed: permanent → FAILED; transient →
 *     PENDING and RetryLater (the retry tiers bring the message back); transient on the last
 *     attempt → FAILED, final, and RetryLater all the same, so the message lands in the DLQ,
 *     from where a replay tries that delivery again.
 */
import type { Logger } from '@tickwatch/infra/log';
import { currentTraceContext, getTracer, withSpan } from '@tickwatch/infra/telemetry';
import type { TraceContext } from '@tickwatch/infra/messaging/outbox';
import type { AlertCap } from '../cap/alert-cap.ts';
import { quietHoursEnd } from '../cap/quiet-hours.ts';
import { contentOf, type ChannelSenders } from '../channels.ts';
import type { Recipient, Recipients } from '../recipients/recipients.ts';
import { asDeliveryError, FailureCode, RetryLater } from './delivery-error.ts';
import {
  DeliveryKind,
  DeliveryState,
  type DeliveryDocument,
  type DeliveryFailure,
} from './delivery-model.ts';
import type { DeliverySpec, DeliveryStore, Emitted } from './delivery-store.ts';
import { failedEvent, sentEvent, type DeliveryRef } from './notification-events.ts';
import {
  noopDeliveryObserver,
  type AttemptOutcome,
  type DeliveryObserver,
} from './delivery-observer.ts';

export interface DeliveryAttempt {
  /** After this attempt fails, does a retry follow? Given the claimed delivery. */
  readonly isLast: (delivery: DeliveryDocument) => boolean;
  /** An operator replayed it from the DLQ: a FAILED but not permanent delivery is tried again. */
  readonly replay: boolean;
  /** The trace the delivery continues; its events carry it. */
  readonly trace: TraceContext;
}

/**
 * sent/failed/capped: what this attempt did. duplicate: it was done before (or is being done
 * by another replica's attempt that got there first). dropped: the user is deleted.
 */
export type DeliveryOutcome = 'sent' | 'failed' | 'capped' | 'duplicate' | 'dropped';

/** What an attempt learned on its way, for its span and metrics. */
interface AttemptNote {
  attempts?: number;
  failureCode?: string;
  /** The failure ended the delivery: permanent, or transient on its last attempt. */
  final?: boolean;
}

export interface Deliverer {
  /** Resolves with the outcome, or throws RetryLater when a retry must follow. */
  deliver(spec: DeliverySpec, attempt: DeliveryAttempt): Promise<DeliveryOutcome>;
}

export interface DelivererOptions {
  readonly store: DeliveryStore;
  readonly recipients: Recipients;
  readonly senders: ChannelSenders;
  readonly cap: AlertCap;
  /** The cap for users who have not set one. */
  readonly defaultMaxAlertsPerHour: number;
  /** Called after every write that added events (the outbox relay's flush). */
  readonly written: (deliveryId: string) => void;
  readonly logger: Logger;
  readonly observer?: DeliveryObserver;
}

/** Whom each of a delivery's events is about: the delivery, or each alert a digest carries. */
function refsOf(delivery: DeliveryDocument): DeliveryRef[] {
  const { _id, userId, channel } = delivery;
  if (delivery.kind === DeliveryKind.digest) {
    return (delivery.items ?? []).map((item) => ({
      deliveryId: item.deliveryId,
      sourceId: item.alert.alertId,
      alertId: item.alert.alertId,
      userId,
      channel,
      viaDigest: true,
    }));
  }
  const alertId = delivery.kind === DeliveryKind.alert ? delivery.sourceId : null;
  return [{ deliveryId: _id, sourceId: delivery.sourceId, alertId, userId, channel }];
}

function quietFailure(until: Date): DeliveryFailure {
  return {
    code: FailureCode.quietHours,
    reason: `in the user's quiet hours; sent in a digest at ${until.toISOString()}`,
    permanent: false,
  };
}

/** Why a known recipient must not get this delivery, or undefined. */
function refusal(recipient: Recipient, delivery: DeliveryDocument): DeliveryFailure | undefined {
  if (recipient.alertsUnsubscribed) {
    return {
      code: FailureCode.unsubscribed,
      reason: 'the user unsubscribed from alerts',
      permanent: true,
    };
  }
  if (delivery.channel === 'EMAIL' && !recipient.emailVerified) {
    return {
      code: FailureCode.unverified,
      reason: 'the email address is not verified',
      permanent: true,
    };
  }
  if (delivery.channel === 'WEBHOOK' && !recipient.webhook) {
    return { code: FailureCode.noWebhook, reason: 'the user has no webhook', permanent: true };
  }
  return undefined;
}

export function createDeliverer(options: DelivererOptions): Deliverer {
  const { store, recipients, senders, cap, written, logger } = options;
  const observer = options.observer ?? noopDeliveryObserver;
  const tracer = getTracer('notifier');

  const emitted = (events: Emitted['events'], trace: TraceContext): Emitted => ({ events, trace });

  /** Records a failure; throws RetryLater when the message must come back. */
  const fail = async (
    delivery: DeliveryDocument,
    failure: DeliveryFailure,
    attempt: DeliveryAttempt,
    note: AttemptNote,
  ): Promise<DeliveryOutcome> => {
    note.failureCode = failure.code;
    const refs = refsOf(delivery);
    const final = failure.permanent || attempt.isLast(delivery);
    note.final = final;
    const events = refs.map((ref) => failedEvent(ref, delivery.attempts, failure, final));
    const recorded = final
      ? await store.markFailed(delivery._id, failure, emitted(events, attempt.trace))
      : await store.release(delivery._id, failure, emitted(events, attempt.trace));
    if (recorded) written(delivery._id);
    if (final && delivery.kind === DeliveryKind.digest) {
      await store.markDigested(
        refs.map((ref) => ref.deliveryId),
        delivery._id,
      );
    }
    const log = {
      deliveryId: delivery._id,
      channel: delivery.channel,
      attempts: delivery.attempts,
      code: failure.code,
      reason: failure.reason,
      final,
    };
    if (failure.permanent) {
      logger.info(log, 'delivery failed permanently');
      return 'failed';
    }
    logger.warn(log, final ? 'delivery failed on its last attempt' : 'delivery failed; will retry');
    throw new RetryLater(failure.code, failure.reason);
  };

  /** Held (over the cap, or in quiet hours): CAPPED, to go out in the digest at `dueAt`. */
  const hold = async (
    delivery: DeliveryDocument,
    dueAt: Date,
    failure: DeliveryFailure,
    attempt: DeliveryAttempt,
    note: AttemptNote,
  ): Promise<DeliveryOutcome> => {
    note.failureCode = failure.code;
    const events = refsOf(delivery).map((ref) =>
      failedEvent(ref, delivery.attempts, failure, false),
    );
    if (await store.markCapped(delivery._id, dueAt, failure, emitted(events, attempt.trace))) {
      written(delivery._id);
    }
    observer.capped(delivery.channel);
    return 'capped';
  };

  const send = async (
    delivery: DeliveryDocument,
    recipient: Recipient,
    attempt: DeliveryAttempt,
    note: AttemptNote,
  ): Promise<DeliveryOutcome> => {
    const { userId, channel } = delivery;
    let counted = false;
    if (delivery.kind === DeliveryKind.alert) {
      const quietUntil = quietHoursEnd(Date.now(), recipient.quietHours, recipient.timeZone);
      if (quietUntil) return hold(delivery, quietUntil, quietFailure(quietUntil), attempt, note);
      const limit = recipient.maxAlertsPerHour ?? options.defaultMaxAlertsPerHour;
      const verdict = await cap.take(userId, channel, limit);
      if (verdict.capped) {
        const failure: DeliveryFailure = {
          code: FailureCode.rateCapped,
          reason: `over the hourly cap; sent in a digest at ${verdict.opensAt.toISOString()}`,
          permanent: false,
        };
        return hold(delivery, verdict.opensAt, failure, attempt, note);
      }
      counted = true;
    }
    let messageId: string | null;
    try {
      ({ messageId } = await senders[channel].send(contentOf(delivery), recipient));
    } catch (error) {
      if (counted) await cap.giveBack(userId, channel);
      const failure = asDeliveryError(error);
      return fail(
        delivery,
        { code: failure.code, reason: failure.message, permanent: failure.permanent },
        attempt,
        note,
      );
    }
    const acceptedAt = Date.now();
    const accepted = performance.now();
    // The window: accepted by the server, not yet recorded. Nothing else happens in between.
    const events = refsOf(delivery).map((ref) => sentEvent(ref, delivery.attempts, messageId));
    if (await store.markSent(delivery._id, messageId, emitted(events, attempt.trace))) {
      observer.recorded(channel, (performance.now() - accepted) / 1000);
      written(delivery._id);
    } else {
      logger.warn(
        { deliveryId: delivery._id },
        'delivery sent, but its document was gone or no longer SENDING',
      );
    }
    if (delivery.alert) observer.accepted(channel, delivery.alert, acceptedAt);
    if (delivery.kind === DeliveryKind.digest) {
      await store.markDigested(
        refsOf(delivery).map((ref) => ref.deliveryId),
        delivery._id,
      );
      await cap.count(userId, channel);
      observer.digested(channel, delivery.items?.length ?? 0);
    }
    return 'sent';
  };

  const attemptDelivery = async (
    spec: DeliverySpec,
    attempt: DeliveryAttempt,
    note: AttemptNote,
  ): Promise<DeliveryOutcome> => {
    const lookup = await recipients.lookup(spec.userId);
    if (lookup.kind === 'deleted') {
      logger.info({ deliveryId: spec.id, userId: spec.userId }, 'user deleted: nothing delivered');
      return 'dropped';
    }
    if (spec.kind === DeliveryKind.digest && lookup.kind === 'known') {
      // A digest due in quiet hours waits with its items (no digest document yet).
      const { quietHours, timeZone } = lookup.recipient;
      const quietUntil = quietHoursEnd(Date.now(), quietHours, timeZone);
      if (quietUntil) {
        const ids = (spec.items ?? []).map((item) => item.deliveryId);
        await store.postpone(ids, quietUntil, quietFailure(quietUntil));
        note.failureCode = FailureCode.quietHours;
        return 'capped';
      }
    }
    const claim = await store.claim(spec, { retryFailed: attempt.replay });
    if (!claim.claimed) {
      if (claim.delivery?.state === DeliveryState.sending) {
        note.failureCode = FailureCode.busy;
        throw new RetryLater(
          FailureCode.busy,
          `being sent by ${claim.delivery.lease?.owner ?? 'another replica'}`,
        );
      }
      return 'duplicate';
    }
    const delivery = claim.delivery;
    note.attempts = delivery.attempts;
    if (lookup.kind === 'unknown') {
      const failure: DeliveryFailure = {
        code: FailureCode.unknownRecipient,
        reason: 'no user.registered for this user yet',
        permanent: false,
      };
      return fail(delivery, failure, attempt, note);
    }
    const refused = refusal(lookup.recipient, delivery);
    if (refused) return fail(delivery, refused, attempt, note);
    return send(delivery, lookup.recipient, attempt, note);
  };

  /** One attempt in its span (a child of the alert's trace): channel, kind, attempt, outcome. */
  const deliver = (spec: DeliverySpec, attempt: DeliveryAttempt): Promise<DeliveryOutcome> =>
    withSpan(
      tracer,
      'notifier deliver',
      {
        attributes: {
          'tickwatch.delivery.id': spec.id,
          'tickwatch.delivery.channel': spec.channel,
          'tickwatch.delivery.kind': spec.kind,
          ...(spec.alert ? { 'tickwatch.alert.id': spec.alert.alertId } : {}),
        },
      },
      async (span) => {
        const started = performance.now();
        const note: AttemptNote = {};
        // The events this attempt writes continue its span's trace (or the message's, untraced).
        const current = currentTraceContext();
        const traced = { ...attempt, trace: current.traceparent ? current : attempt.trace };
        let outcome: AttemptOutcome = 'retry';
        try {
          outcome = await attemptDelivery(spec, traced, note);
          return outcome;
        } finally {
          // A transient failure on the last attempt still throws (to the DLQ) but has failed.
          if (outcome === 'retry' && note.final) outcome = 'failed';
          span.setAttribute('tickwatch.delivery.outcome', outcome);
          if (note.attempts !== undefined) {
            span.setAttribute('tickwatch.delivery.attempt', note.attempts);
          }
          if (note.failureCode) span.setAttribute('tickwatch.delivery.failure', note.failureCode);
          const seconds = (performance.now() - started) / 1000;
          observer.attempted(spec.channel, spec.kind, outcome, seconds, note.failureCode);
        }
      },
    );

  return { deliver };
}
