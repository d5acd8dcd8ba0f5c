/**
 * The notification.* events a delivery's state changes emit (through the outbox). Their ids are
 * derived (DESIGN.md §4): notification.sent from (alert or request id, channel), so a repeat
 * after a crash is the same event; notification.failed also from the attempt, since a delivery
 * can fail transiently several times before it succeeds or fails for good.
 */
import { createEvent, derivedEventId, EventType, type TickwatchEvent } from '@tickwatch/contracts';
import type { Channel, DeliveryFailure } from './delivery-model.ts';

const SOURCE = 'tickwatch/notifier';
/** notification.failed `reason` is at most this long (contracts). */
const MAX_REASON_LENGTH = 1024;

/** Whom and what a notification.* event is about. */
export interface DeliveryRef {
  readonly deliveryId: string;
  /** The alert id, or the test request id. */
  readonly sourceId: string;
  /** null for a test notification. */
  readonly alertId: string | null;
  readonly userId: string;
  readonly channel: Channel;
  /** The alert went out in a digest: its failures are the digest's, counted apart. */
  readonly viaDigest?: boolean;
}

export function sentEvent(
  ref: DeliveryRef,
  attempts: number,
  messageId: string | null,
): TickwatchEvent {
  return createEvent(
    EventType.notificationSent,
    {
      deliveryId: ref.deliveryId,
      alertId: ref.alertId,
      userId: ref.userId,
      channel: ref.channel,
      attempts,
      messageId,
    },
    {
      source: SOURCE,
      id: derivedEventId(EventType.notificationSent, [ref.sourceId, ref.channel]),
    },
  );
}

/** `final`: no retry will follow (the failure is permanent, or the retries are exhausted). */
export function failedEvent(
  ref: DeliveryRef,
  attempts: number,
  failure: DeliveryFailure,
  final: boolean,
): TickwatchEvent {
  const reason =
    failure.reason.length <= MAX_REASON_LENGTH
      ? failure.reason
      : `${failure.reason.slice(0, MAX_REASON_LENGTH - 1)}…`;
  return createEvent(
    EventType.notificationFailed,
    {
      deliveryId: ref.deliveryId,
      alertId: ref.alertId,
      userId: ref.userId,
      channel: ref.channel,
      attempts,
      code: failure.code,
      reason,
      permanent: final,
    },
    {
      source: SOURCE,
      id: derivedEventId(EventType.notificationFailed, [
        ref.sourceId,
        ref.channel,
        ...(ref.viaDigest ? ['digest'] : []),
        attempts,
        failure.code,
      ]),
    },
  );
}
