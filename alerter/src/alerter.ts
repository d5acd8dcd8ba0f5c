/**
 * The alerter as a service component: consumes its partition queues in ordered batches
 * (preferred ones at once, the others as a standby after the takeover delay), hands each batch
 * to the partition processor (one round of writes for the whole batch, then one ack), and runs
 * the outbox relay that publishes the alerts it wrote.
 */
import {
  alerterPartitionQueue,
  EventType,
  PARTITIONS,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import {
  noopObserver,
  type Messaging,
  type MessagingObserver,
  type Subscription,
} from '@tickwatch/infra/messaging';
import { createOutboxRelay, type OutboxRelay } from '@tickwatch/infra/messaging/outbox';
import type { Component } from '@tickwatch/infra/service';
import {
  createPartitionProcessor,
  type BatchHooks,
  type BatchReport,
  type PartitionProcessor,
} from './partition-processor.ts';
import { DEFAULT_BATCH_SIZE } from './config.ts';
import { alerterMetrics } from './metrics.ts';
import type { AlerterModels } from './store/models.ts';

export interface AlerterOptions {
  readonly messaging: Messaging;
  readonly models: AlerterModels;
  readonly logger: Logger;
  /** Partitions consumed at once; the others after `takeoverDelayMs`. */
  readonly preferredPartitions: readonly number[];
  readonly takeoverDelayMs: number;
  /** Messages of one partition evaluated and written together, at most (default 100). */
  readonly batchSize?: number;
  /** Reconnects of `messaging` (see `ownershipObserver`): partitions may have moved. */
  readonly ownership: OwnershipSignal;
  readonly now?: () => number;
  /** Outbox relay sweep period, ms (default 5 000). */
  readonly sweepIntervalMs?: number;
  readonly batchDone?: (report: BatchReport) => void;
  readonly hooks?: BatchHooks;
}

export interface Alerter extends Component {
  readonly processor: PartitionProcessor;
  readonly relay: OutboxRelay;
  /** Alerts the relay has published (confirmed) since start. */
  alertsPublished(): number;
  subscribed(): boolean;
}

/** Tells the alerter when its connection dropped: every partition may have another owner. */
export interface OwnershipSignal {
  onLost(listener: () => void): void;
}

/**
 * A messaging observer that raises the ownership signal on every reconnect, passing every hook
 * on to `next` (telemetry's observer).
 */
export function ownershipObserver(next: MessagingObserver = noopObserver): {
  observer: MessagingObserver;
  signal: OwnershipSignal;
} {
  const listeners: (() => void)[] = [];
  return {
    observer: {
      ...next,
      published: (info) => {
        next.published(info);
      },
      publishSettled: (info) => {
        next.publishSettled(info);
      },
      returned: (info) => {
        next.returned(info);
      },
      consumed: (info) => {
        next.consumed(info);
      },
      connected: (info) => {
        next.connected(info);
      },
      reconnecting: (info) => {
        for (const listener of listeners) listener();
        next.reconnecting(info);
      },
    },
    signal: { onLost: (listener) => listeners.push(listener) },
  };
}

/** What the partition queues carry: quotes and rule changes, in publish order per ticker. */
const PARTITION_EVENT_TYPES = [
  EventType.priceUpdated,
  EventType.ruleCreated,
  EventType.ruleUpdated,
  EventType.ruleDeleted,
];

const QUEUE_PARTITION = new Map(
  Array.from({ length: PARTITIONS }, (_, p) => [alerterPartitionQueue(p), p] as const),
);

export async function startAlerter(options: AlerterOptions): Promise<Alerter> {
  const { messaging, models } = options;
  const logger = options.logger;
  let published = 0;
  const relay = createOutboxRelay({
    model: models.tickers,
    messaging,
    logger,
    ...(options.sweepIntervalMs === undefined ? {} : { sweepIntervalMs: options.sweepIntervalMs }),
    afterPublish: () => {
      published += 1;
      alerterMetrics.alertPublished();
      return Promise.resolve();
    },
  });
  const flushes = batchFlushes(relay, logger);
  const processor = createPartitionProcessor({
    models,
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    publish: async (events) => {
      await Promise.all(events.map((event) => messaging.publish(event)));
    },
    alertsWritten: (tickers) => {
      flushes.flush(tickers);
    },
  });
  options.ownership.onLost(() => {
    if (processor.loaded().size > 0) logger.info('connection lost: partitions will be reloaded');
    processor.forgetAll();
  });

  const handle = async (queue: string, events: readonly TickwatchEvent[]): Promise<void> => {
    const partition = QUEUE_PARTITION.get(queue);
    if (partition === undefined) throw new Error(`${queue} is not an alerter partition`);
    const started = performance.now();
    const report = await processor.process(partition, events);
    alerterMetrics.batch(report, (performance.now() - started) / 1000);
    options.batchDone?.(report);
  };
  const release = alerterMetrics.hold(() => processor.loaded());
  relay.start();
  let subscription: Subscription;
  try {
    subscription = await messaging.consumePartitionBatches(
      ({ queue, items }) =>
        handle(
          queue,
          items.map((item) => item.event),
        ),
      {
        types: PARTITION_EVENT_TYPES,
        maxBatch: options.batchSize ?? DEFAULT_BATCH_SIZE,
        preferred: options.preferredPartitions,
        takeoverDelayMs: options.takeoverDelayMs,
      },
    );
  } catch (error) {
    release();
    await relay.stop();
    throw error;
  }
  return {
    name: 'alerter',
    processor,
    relay,
    alertsPublished: () => published,
    subscribed: () => subscription.subscribed(),
    async stop() {
      await subscription.stop();
      await flushes.idle();
      await relay.stop();
      release();
    },
  };
}

/**
 * The relay's flushes of the batches' alerts, one at a time: the tickers of every batch written
 * while a flush runs wait in one set and go out together in the next (four commands however
 * many), so a slow broker makes fewer, larger flushes, never a growing queue of them. A failed
 * one is left to the relay's sweep.
 */
function batchFlushes(relay: OutboxRelay, logger: Logger) {
  let waiting = new Set<string>();
  let running: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    while (waiting.size > 0) {
      const tickers = [...waiting];
      waiting = new Set();
      try {
        await relay.flush(...tickers);
      } catch (error) {
        logger.warn(
          { err: error, tickers: tickers.length },
          'outbox flush failed; the sweep will retry',
        );
      }
    }
    running = undefined;
  };
  return {
    flush(tickers: readonly string[]): void {
      for (const ticker of tickers) waiting.add(ticker);
      if (!running && waiting.size > 0) running = drain();
    },
    async idle(): Promise<void> {
      await running;
    },
  };
}
