/**
 * The alerter process: evaluates every price against the users' rules.
 * Wiring only: configuration → infrastructure → the alerter component.
 */
import { createMessaging, reconnectBackoff } from '@tickwatch/infra/messaging';
import { messagingMetrics } from '@tickwatch/infra/telemetry';
import { connectMongo } from '@tickwatch/infra/mongo';
import { runMain } from '@tickwatch/infra/service';
import { ownershipObserver, startAlerter } from './alerter.ts';
import { settings } from './config.ts';
import { alerterModels, initAlerterModels } from './store/models.ts';

await runMain('alerter', settings, 'ALERTER_OPS_PORT', async (context, config) => {
  const { logger } = context;
  const mongo = context.add(
    await connectMongo({ url: config.MONGO_URL, service: 'alerter', logger }),
  );
  const models = alerterModels(mongo.connection);
  await initAlerterModels(models);
  const ownership = ownershipObserver(messagingMetrics());
  const messaging = context.add(
    createMessaging({
      url: config.RABBITMQ_URL,
      reconnect: reconnectBackoff(config.RABBITMQ_RECONNECT_MAX),
      service: 'alerter',
      logger,
      observer: ownership.observer,
    }),
  );
  await messaging.start();
  context.add(
    await startAlerter({
      messaging,
      models,
      logger,
      preferredPartitions: config.ALERTER_PARTITIONS,
      takeoverDelayMs: config.ALERTER_TAKEOVER_DELAY_MS,
      batchSize: config.ALERTER_BATCH_SIZE,
      ownership: ownership.signal,
    }),
  );
});
