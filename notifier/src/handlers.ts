/**
 * The notifier's handlers on `notifier.deliveries`: alerts and test requests become one
 * delivery per channel, account.* events become the account emails, user.* events maintain the recipients projection (and account
 * deletion purges what the notifier holds about the user).
 */
import { deliveryId, EventType, HEADERS } from '@tickwatch/contracts';
import type { DeliveryContext, Handlers } from '@tickwatch/infra/messaging';
import type { TraceContext } from '@tickwatch/infra/messaging/outbox';
import type { Logger } from '@tickwatch/infra/log';
import { continueTrace } from '@tickwatch/infra/telemetry';
import type { AlertCap } from './cap/alert-cap.ts';
import type { AccountEmails, AccountEmailType } from './email/account-emails.ts';
import type { DeliveryAttempt, Deliverer } from './deliveries/deliver.ts';
import { DeliveryKind } from './deliveries/delivery-model.ts';
import type { DeliverySpec, DeliveryStore } from './deliveries/delivery-store.ts';
import type { Recipients } from './recipients/recipients.ts';

export interface NotifierHandlerOptions {
  readonly deliverer: Deliverer;
  readonly recipients: Recipients;
  readonly store: DeliveryStore;
  readonly cap: AlertCap;
  readonly accountEmails: AccountEmails;
  /** How many retry tiers follow a first failure (the topology's). */
  readonly retryTiers: number;
  readonly logger: Logger;
}

function traceOf(context: DeliveryContext): TraceContext {
  const traceparent = context.headers[HEADERS.traceparent];
  const tracestate = context.headers[HEADERS.tracestate];
  return {
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
    ...(typeof tracestate === 'string' ? { tracestate } : {}),
  };
}

export function notifierHandlers(options: NotifierHandlerOptions): Handlers {
  const { deliverer, recipients, store, cap, accountEmails, retryTiers, logger } = options;

  const accountEmail =
    (type: AccountEmailType) =>
    async (event: { id: string; data: Parameters<AccountEmails['send']>[2] }) => {
      const outcome = await accountEmails.send(type, event.id, event.data);
      logger.info({ userId: event.data.userId, eventId: event.id, type, outcome }, 'account email');
    };

  const attemptOf = (context: DeliveryContext): DeliveryAttempt => ({
    // Attempt N+1 follows the last of N tiers: after it, the DLQ.
    isLast: () => context.attempt > retryTiers,
    replay: context.headers[HEADERS.replayedAt] !== undefined,
    trace: traceOf(context),
  });

  /** Every channel is tried; the message is retried if any channel must be (the rest are then duplicates). */
  const deliverAll = async (specs: DeliverySpec[], context: DeliveryContext): Promise<void> => {
    const attempt = attemptOf(context);
    // Each delivery's span is a child of the alert's trace (the message's traceparent).
    const results = await continueTrace(attempt.trace, () =>
      Promise.allSettled(specs.map((spec) => deliverer.deliver(spec, attempt))),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  };

  return {
    [EventType.alertTriggered]: (event, context) => {
      const alert = event.data;
      return deliverAll(
        alert.channels.map((channel) => ({
          id: deliveryId(alert.alertId, channel),
          kind: DeliveryKind.alert,
          sourceId: alert.alertId,
          userId: alert.userId,
          channel,
          alert,
        })),
        context,
      );
    },

    [EventType.notificationRequested]: (event, context) => {
      const request = event.data;
      return deliverAll(
        request.channels.map((channel) => ({
          id: deliveryId(request.requestId, channel),
          kind: DeliveryKind.test,
          sourceId: request.requestId,
          userId: request.userId,
          channel,
        })),
        context,
      );
    },

    [EventType.userRegistered]: async (event) => {
      const outcome = await recipients.registered(event.data);
      logger.debug({ userId: event.data.userId, outcome }, 'user.registered applied');
    },

    [EventType.userPreferencesChanged]: async (event) => {
      const outcome = await recipients.preferencesChanged(event.data);
      if (outcome === 'applied') await store.reconsiderQuietHours(event.data.userId);
      logger.debug(
        { userId: event.data.userId, version: event.data.version, outcome },
        'user.preferences-changed applied',
      );
    },

    [EventType.accountVerificationRequested]: accountEmail(EventType.accountVerificationRequested),
    [EventType.accountPasswordResetRequested]: accountEmail(
      EventType.accountPasswordResetRequested,
    ),
    [EventType.accountEmailChangeRequested]: accountEmail(EventType.accountEmailChangeRequested),
    [EventType.accountRegistrationAttempted]: accountEmail(EventType.accountRegistrationAttempted),

    [EventType.userDeleted]: async (event) => {
      const { userId } = event.data;
      // The tombstone first: from then on nothing is delivered to this user.
      await recipients.deleted(userId);
      const deliveries = await store.purgeUser(userId);
      await cap.forget(userId);
      logger.info({ userId, deliveries }, 'user deleted: recipient and deliveries purged');
    },
  };
}
