/**
 * The notifier assembled: recipients projection, delivery store, channels (email, webhook),
 * cap and digests, the outbox relay for notification.* events, and the consumer of
 * `notifier.deliveries`. main.ts gives it the connections and configuration; tests and the
 * benchmark build it the same way with their own.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { QUEUES } from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import type { Messaging, Subscription } from '@tickwatch/infra/messaging';
import { createOutboxRelay, type OutboxRelay } from '@tickwatch/infra/messaging/outbox';
import { createLinkSigner } from '@tickwatch/infra/signed-links';
import type { Connection, Model } from 'mongoose';
import { createAlertCap } from './cap/alert-cap.ts';
import { createDigestScheduler, type DigestScheduler } from './cap/digest-scheduler.ts';
import { createDeliverer } from './deliveries/deliver.ts';
import { deliveryModel, type DeliveryDocument } from './deliveries/delivery-model.ts';
import { combineObservers, type DeliveryObserver } from './deliveries/delivery-observer.ts';
import { createDeliveryStore } from './deliveries/delivery-store.ts';
import { createAccountEmails } from './email/account-emails.ts';
import { createEmailComposer } from './email/compose-email.ts';
import { createLinks } from './email/links.ts';
import { createEmailSender, createSmtpTransport, type SmtpOptions } from './email/smtp-sender.ts';
import { notifierHandlers } from './handlers.ts';
import { metricsObserver } from './metrics.ts';
import {
  createRecipients,
  recipientModel,
  type RecipientDocument,
} from './recipients/recipients.ts';
import { createWebhookSender } from './webhook/webhook-sender.ts';

export interface NotifierOptions {
  /** The notifier's own database (tickwatch_notifier). */
  readonly connection: Connection;
  /** Started; the notifier consumes and publishes through it. */
  readonly messaging: Messaging;
  readonly logger: Logger;
  readonly smtp: SmtpOptions;
  /** From header, e.g. `tickwatch <alerts@example.com>`. */
  readonly mailFrom: string;
  readonly publicBaseUrl: string;
  readonly linkSigningKey: string;
  readonly webhook: { readonly timeoutMs: number; readonly allowPrivateTargets: boolean };
  /** Deliveries handled at once (the queue's prefetch). */
  readonly concurrency: number;
  readonly defaultMaxAlertsPerHour: number;
  /** The cap's window, seconds (default 3 600). */
  readonly capWindowSeconds?: number;
  /** Time between digest passes, ms (default 30 000). */
  readonly digestIntervalMs?: number;
  /** Sweep of outbox leftovers, ms (default 5 000). */
  readonly outboxSweepIntervalMs?: number;
  /** Told about every attempt besides the metrics (tests). */
  readonly observer?: DeliveryObserver;
}

export interface Notifier {
  readonly deliveries: Model<DeliveryDocument>;
  readonly recipients: Model<RecipientDocument>;
  readonly digests: DigestScheduler;
  readonly relay: OutboxRelay;
  /** Consumes notifier.deliveries and starts the digest and outbox sweeps. */
  start(): Promise<void>;
  /** Stops consuming (running deliveries finish), the sweeps, then closes SMTP connections. */
  stop(): Promise<void>;
}

/** Transient failures a digest survives before it fails for good (one per digest pass). */
const DIGEST_MAX_ATTEMPTS = 20;

/** `Name <local@domain>` → `domain`, the right-hand side of Message-IDs. */
function domainOf(mailbox: string): string {
  const address = /<([^>]+)>/.exec(mailbox)?.[1] ?? mailbox;
  return address.slice(address.lastIndexOf('@') + 1).trim();
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { connection, messaging, smtp } = options;
  const logger = options.logger.child({ component: 'notifier' });
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  // A send is aborted after 4 SMTP timeouts (connect, greeting, two silences) or the webhook
  // timeout; the lease outlives it twice over, so no replica claims a delivery still being sent.
  const sendTimeoutMs = 4 * smtp.timeoutMs;
  const leaseMs = 2 * Math.max(sendTimeoutMs, options.webhook.timeoutMs);

  const deliveries = deliveryModel(connection);
  const recipientDocuments = recipientModel(connection);
  const recipients = createRecipients(recipientDocuments);
  const store = createDeliveryStore({ model: deliveries, owner, leaseMs });
  const cap = createAlertCap({ connection, windowSeconds: options.capWindowSeconds ?? 3_600 });
  const links = createLinks({
    publicBaseUrl: options.publicBaseUrl,
    signer: createLinkSigner({ key: options.linkSigningKey }),
  });
  const transport = createSmtpTransport(smtp, logger);
  const relay = createOutboxRelay({
    model: deliveries,
    messaging,
    logger,
    relayId: owner,
    ...(options.outboxSweepIntervalMs ? { sweepIntervalMs: options.outboxSweepIntervalMs } : {}),
  });
  const deliverer = createDeliverer({
    store,
    recipients,
    cap,
    defaultMaxAlertsPerHour: options.defaultMaxAlertsPerHour,
    senders: {
      EMAIL: createEmailSender({
        transport,
        composer: createEmailComposer({
          links,
          messageIdDomain: domainOf(options.mailFrom),
          defaultMaxAlertsPerHour: options.defaultMaxAlertsPerHour,
        }),
        from: options.mailFrom,
        sendTimeoutMs,
      }),
      WEBHOOK: createWebhookSender({ links, ...options.webhook }),
    },
    written: (id) => {
      relay.flush(id).catch((error: unknown) => {
        logger.warn({ err: error, deliveryId: id }, 'outbox flush failed; the sweep retries');
      });
    },
    logger,
    observer: options.observer
      ? combineObservers(metricsObserver, options.observer)
      : metricsObserver,
  });
  const accountEmails = createAccountEmails({
    transport,
    from: options.mailFrom,
    messageIdDomain: domainOf(options.mailFrom),
    sendTimeoutMs,
    recipients,
    store,
    logger,
  });
  const digests = createDigestScheduler({
    store,
    deliverer,
    logger,
    intervalMs: options.digestIntervalMs ?? 30_000,
    maxAttempts: DIGEST_MAX_ATTEMPTS,
  });
  let subscription: Subscription | undefined;

  return {
    deliveries,
    recipients: recipientDocuments,
    digests,
    relay,
    async start() {
      await Promise.all([deliveries.init(), recipientDocuments.init()]);
      subscription = await messaging.consume(
        QUEUES.notifierDeliveries,
        notifierHandlers({
          deliverer,
          recipients,
          store,
          cap,
          accountEmails,
          retryTiers: messaging.topology.retryTiers.length,
          logger,
        }),
        { prefetch: options.concurrency },
      );
      relay.start();
      digests.start();
    },
    async stop() {
      await subscription?.stop();
      await digests.stop();
      await relay.stop();
      transport.close();
    },
  };
}
