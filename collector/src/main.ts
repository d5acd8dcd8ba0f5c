/**
 * The collector process: keeps the watchlist from rule, watch, lease and user events, polls
 * quotes for it and publishes price.updated (README "Collector").
 * Wiring only: configuration → infrastructure → watchlist consumer → source, breaker, poller.
 * Components stop in reverse: the poller first (its cycle finishes), then messaging (drains the
 * watchlist consumer, waits for confirms), then MongoDB.
 */
import { QUEUES } from '@tickwatch/contracts';
import { createMessaging, reconnectBackoff } from '@tickwatch/infra/messaging';
import { messagingMetrics } from '@tickwatch/infra/telemetry';
import { connectMongo } from '@tickwatch/infra/mongo';
import { runMain } from '@tickwatch/infra/service';
import { createBatchBreaker } from './breaker.ts';
import { createCollectorCycle } from './collector-cycle.ts';
import { breakerSettings, cycleSettings, settings } from './config.ts';
import { collectorMetrics } from './metrics.ts';
import { startPoller } from './poller.ts';
import { tickerStates } from './publishing/ticker-states.ts';
import { createSource, followsCalendars } from './sources/create-source.ts';
import { referenceStore } from './watchlist/references.ts';
import { watchlistHandlers } from './watchlist/watchlist-handlers.ts';

/** Watchlist events handled at once: their writes go to MongoDB as one bulkWrite. */
const WATCHLIST_PREFETCH = 50;

await runMain('collector', settings, 'COLLECTOR_OPS_PORT', async (context, config) => {
  const { logger } = context;
  const metrics = collectorMetrics;

  const mongo = context.add(
    await connectMongo({ url: config.MONGO_URL, service: 'collector', logger }),
  );
  const references = referenceStore(mongo.connection);
  await references.ensureIndexes();
  const states = tickerStates(mongo.connection);
  await states.load();

  const messaging = context.add(
    createMessaging({
      url: config.RABBITMQ_URL,
      reconnect: reconnectBackoff(config.RABBITMQ_RECONNECT_MAX),
      service: 'collector',
      logger,
      observer: messagingMetrics(),
    }),
  );
  await messaging.start();
  await messaging.consume(QUEUES.collectorWatchlist, watchlistHandlers(references, logger), {
    prefetch: WATCHLIST_PREFETCH,
  });

  const source = await createSource(config, logger);
  context.add({ name: 'quote-source', stop: () => source.close() });
  const breaker = createBatchBreaker(source, breakerSettings(config), logger, metrics);
  context.add({
    name: 'breaker',
    stop: () => {
      breaker.shutdown();
      return Promise.resolve();
    },
  });

  const cycle = createCollectorCycle({
    source,
    breaker,
    activeTickers: (now) => references.activeTickers(now),
    states,
    messaging,
    metrics,
    logger,
    settings: cycleSettings(config),
  });
  context.add(
    startPoller(
      cycle,
      states,
      {
        pollIntervalMs: config.POLL_INTERVAL,
        pollIntervalClosedMs: config.POLL_INTERVAL_CLOSED,
        followsCalendars: followsCalendars(config),
        checkpointIntervalMs: config.STATE_CHECKPOINT_INTERVAL,
      },
      logger,
    ),
  );
  logger.info(
    {
      source: config.MARKET_SOURCE,
      defaultTickers: config.DEFAULT_TICKERS,
      pollIntervalMs: config.POLL_INTERVAL,
    },
    'collecting',
  );
});
