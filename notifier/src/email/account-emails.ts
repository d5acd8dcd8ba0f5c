/**
 * The account emails (README "Accounts"): verification, password reset, email-change
 * confirmation, and the notice to an address's owner that someone tried to register with it
 * (with a reset link: the gateway limits these per address, so nobody can flood an owner). The gateway decides and signs; the event carries the address and the link, and
 * this sends them. They are not deliveries: they go whether or not the address is verified
 * (that is their point) or unsubscribed from alerts, to the address in the event (a new
 * address is not a recipient yet), and count against no alert cap; the gateway rate-limits
 * them. Once per event, across notifier replicas: each email is a delivery (kind ACCOUNT, ids
 * only: neither the address nor the link is stored) claimed with the same lease as an alert's
 * (deliveries/delivery-store.ts), so a copy of the event on another replica finds it SENDING or
 * SENT and sends nothing; the Message-ID derives from the event id, so the one repeat a crash
 * can cause (after the send, before SENT is written) is recognisably the same message. Nothing
 * goes to a deleted user. A transient SMTP failure is retried (the retry tiers, then the DLQ);
 * an address the server refuses for good is logged and dropped: the user asks again with a
 * corrected address.
 */
import { deliveryId, EventType, type EventData } from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import { formatInstant } from '../alert-description.ts';
import { FailureCode, RetryLater } from '../deliveries/delivery-error.ts';
import { DeliveryKind, DeliveryState } from '../deliveries/delivery-model.ts';
import type { DeliveryStore, Emitted } from '../deliveries/delivery-store.ts';
import type { Recipients } from '../recipients/recipients.ts';
import { renderEmail } from './compose-email.ts';
import { classifySmtpError, type SmtpTransport } from './smtp-sender.ts';

export type AccountEmailType =
  | typeof EventType.accountVerificationRequested
  | typeof EventType.accountPasswordResetRequested
  | typeof EventType.accountEmailChangeRequested
  | typeof EventType.accountRegistrationAttempted;

export type AccountEmailData = EventData<AccountEmailType>;

export type AccountEmailOutcome = 'sent' | 'duplicate' | 'dropped' | 'refused';

/** What each email says around its link. */
const WORDING: Record<
  AccountEmailType,
  { subject: string; intro: string; action: string; ignore: string }
> = {
  [EventType.accountVerificationRequested]: {
    subject: 'Verify your email address for tickwatch',
    intro:
      'A tickwatch account was created with this address. Confirm it is yours: price alerts reach this address only once it is verified.',
    action: 'Verify my address',
    ignore:
      'If you did not create a tickwatch account, ignore this email: no alert will be sent to this address.',
  },
  [EventType.accountPasswordResetRequested]: {
    subject: 'Reset your tickwatch password',
    intro:
      'Someone asked to reset the password of the tickwatch account of this address. Choose a new password with the link below; it works once, and every signed-in session ends.',
    action: 'Choose a new password',
    ignore: 'If you did not ask for this, ignore this email: your password stays as it is.',
  },
  [EventType.accountEmailChangeRequested]: {
    subject: 'Confirm your new email address for tickwatch',
    intro:
      'A tickwatch account asked to use this address from now on, for signing in and for its alerts. Confirm it with the link below.',
    action: 'Use this address',
    ignore:
      'If you did not ask for this, ignore this email: the account keeps its current address.',
  },
  [EventType.accountRegistrationAttempted]: {
    subject: 'Someone tried to register with your address on tickwatch',
    intro:
      'Someone tried to create a tickwatch account with this address, which already has one; no second account can use it. If it was you, you already have an account: choose a new password with the link below if you forgot it (it works once, and every signed-in session ends).',
    action: 'Choose a new password',
    ignore:
      'If it was not you, ignore this email: your account, its password and its alerts stay as they are.',
  },
};

export interface AccountEmailMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
}

/** The email for an account event (escaped: the HTML templates escape every value). */
export function composeAccountEmail(
  type: AccountEmailType,
  eventId: string,
  data: AccountEmailData,
  messageIdDomain: string,
): AccountEmailMessage {
  const wording = WORDING[type];
  const rendered = renderEmail('account', {
    ...wording,
    link: data.link,
    expiresAt: formatInstant(data.expiresAt, data.timeZone),
  });
  return {
    subject: wording.subject,
    ...rendered,
    messageId: `<${eventId}.account@${messageIdDomain}>`,
  };
}

export interface AccountEmails {
  send(
    type: AccountEmailType,
    eventId: string,
    data: AccountEmailData,
  ): Promise<AccountEmailOutcome>;
}

/** Account emails publish no notification.* events: they are not alerts. */
const NO_EVENTS: Emitted = { events: [], trace: {} };

export function createAccountEmails(options: {
  readonly transport: SmtpTransport;
  readonly from: string;
  readonly messageIdDomain: string;
  readonly sendTimeoutMs: number;
  readonly recipients: Recipients;
  readonly store: DeliveryStore;
  readonly logger: Logger;
}): AccountEmails {
  const { transport, from, recipients, store, logger } = options;

  return {
    async send(type, eventId, data) {
      if ((await recipients.lookup(data.userId)).kind === 'deleted') return 'dropped';
      const claim = await store.claim({
        id: deliveryId(eventId, 'EMAIL'),
        kind: DeliveryKind.account,
        sourceId: eventId,
        userId: data.userId,
        channel: 'EMAIL',
      });
      if (!claim.claimed) {
        // Another replica (or another copy here) is sending it: come back once it is done.
        if (claim.delivery?.state === DeliveryState.sending) {
          throw new RetryLater(FailureCode.busy, `being sent by ${claim.delivery.lease?.owner}`);
        }
        return 'duplicate';
      }
      const { _id: id } = claim.delivery;
      const email = composeAccountEmail(type, eventId, data, options.messageIdDomain);
      try {
        await transport.transporter.sendMail({
          from,
          to: data.email,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: email.messageId,
          // RFC 3834: no vacation auto-replies.
          headers: { 'Auto-Submitted': 'auto-generated' },
          signal: AbortSignal.timeout(options.sendTimeoutMs),
        });
      } catch (error) {
        const failure = classifySmtpError(error);
        const recorded = {
          code: failure.code,
          reason: failure.message,
          permanent: failure.permanent,
        };
        if (!failure.permanent) {
          await store.release(id, recorded, NO_EVENTS);
          throw failure;
        }
        logger.warn(
          { userId: data.userId, eventId, type, reason: failure.message },
          'account email refused by the SMTP server; dropped',
        );
        await store.markFailed(id, recorded, NO_EVENTS);
        return 'refused';
      }
      await store.markSent(id, email.messageId, NO_EVENTS);
      return 'sent';
    },
  };
}
