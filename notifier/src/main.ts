/**
 * The notifier process: delivers triggered alerts and test notifications by email and webhook,
 * once (README "Notifier"). Wiring only: configuration → MongoDB and RabbitMQ → the notifier.
 */
import { createMessaging, reconnectBackoff } from '@tickwatch/infra/messaging';
import { connectMongo } from '@tickwatch/infra/mongo';
import { runMain } from '@tickwatch/infra/service';
import { messagingMetrics } from '@tickwatch/infra/telemetry';
import { settings } from './config.ts';
import { createNotifier } from './notifier.ts';

await runMain('notifier', settings, 'NOTIFIER_OPS_PORT', async (context, config) => {
  const { logger } = context;
  const mongo = context.add(
    await connectMongo({ url: config.MONGO_URL, service: 'notifier', logger }),
  );
  const messaging = context.add(
    createMessaging({
      url: config.RABBITMQ_URL,
      reconnect: reconnectBackoff(config.RABBITMQ_RECONNECT_MAX),
      service: 'notifier',
      logger,
      observer: messagingMetrics(),
    }),
  );
  await messaging.start();
  const notifier = createNotifier({
    connection: mongo.connection,
    messaging,
    logger,
    smtp: {
      url: config.SMTP_URL,
      poolSize: config.SMTP_POOL_SIZE,
      requireTls: config.SMTP_REQUIRE_TLS,
      rejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED,
      timeoutMs: config.SMTP_TIMEOUT_MS,
    },
    mailFrom: config.MAIL_FROM,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    linkSigningKey: config.LINK_SIGNING_KEY,
    webhook: {
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    },
    concurrency: config.NOTIFIER_CONCURRENCY,
    defaultMaxAlertsPerHour: config.DEFAULT_MAX_ALERTS_PER_HOUR,
  });
  await notifier.start();
  context.add({ name: 'notifier', stop: () => notifier.stop() });
});
