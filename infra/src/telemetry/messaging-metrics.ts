/**
 * The messaging layer's metrics: a prom-client implementation of its MessagingObserver hooks
 * (infra/src/messaging/observer.ts). Labels stay bounded: exchanges, queues of the topology (a
 * gateway's per-process live queue counted as `gateway.live`), event types and outcomes; never
 * a routing key (it holds tickers and partitions), a message id or an error text.
 */
import { gatewayLiveQueue } from '@tickwatch/contracts';
import type { MessagingObserver, PublishOutcome } from '../messaging/observer.ts';
import {
  counter,
  defineMetrics,
  gauge,
  histogram,
  processMetrics,
  type MetricsRegistry,
} from './metrics.ts';

const PUBLISH_OUTCOMES: readonly PublishOutcome[] = [
  'confirmed',
  'nacked',
  'returned',
  'timeout',
  'rejected',
];

const LIVE_QUEUE_PREFIX = gatewayLiveQueue('');

/** One series for all the gateways' live queues, whose names carry a process id. */
function queueLabel(queue: string): string {
  return queue.startsWith(LIVE_QUEUE_PREFIX) ? LIVE_QUEUE_PREFIX.slice(0, -1) : queue;
}

function declare(target: MetricsRegistry) {
  return defineMetrics(
    'messaging',
    {
      published: counter({
        name: 'published_total',
        help: 'Messages written to the broker, by exchange (a resend after a reconnect counts again)',
        labels: ['exchange'],
      }),
      publishOutcomes: counter({
        name: 'publish_outcomes_total',
        help: 'Publishes settled, by exchange and outcome (confirmed, nacked, returned as unroutable, timeout, rejected)',
        labels: ['exchange', 'outcome'],
      }),
      consumed: counter({
        name: 'consumed_total',
        help: 'Deliveries settled, by queue, event type and outcome (ack, retry, dead-letter, requeue, dropped)',
        labels: ['queue', 'type', 'outcome'],
      }),
      handlerDuration: histogram({
        name: 'handler_duration_seconds',
        help: 'Time an event handler ran, by queue',
        labels: ['queue'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
      connected: gauge({
        name: 'connected',
        help: 'Whether the broker connection is up and set up (1) or being re-established (0)',
      }),
      reconnects: counter({
        name: 'reconnects_total',
        help: 'Broker connections re-established after a loss',
      }),
      blocked: gauge({
        name: 'blocked',
        help: 'Whether the broker blocks publishing on the connection (1: a memory or disk alarm; publishes wait or fail fast)',
      }),
      connectionFailures: counter({
        name: 'connection_failures_total',
        help: 'Broker connections lost or attempts failed (each followed by a retry)',
      }),
    },
    target,
  );
}

const observers = new WeakMap<MetricsRegistry, MessagingObserver>();

/**
 * The observer to pass as `createMessaging({ observer })`: declares the metrics in `target`
 * (default: the process registry) the first time, and returns the same observer after that.
 */
export function messagingMetrics(target: MetricsRegistry = processMetrics): MessagingObserver {
  let observer = observers.get(target);
  if (!observer) {
    observer = metricsObserver(declare(target));
    observers.set(target, observer);
  }
  return observer;
}

function metricsObserver(metrics: ReturnType<typeof declare>): MessagingObserver {
  const outcomesSeen = new Set<string>();
  return {
    published: ({ exchange }) => {
      metrics.published.inc({ exchange });
      // Every outcome of an exchange exists (at 0) from its first publish: rates need a series.
      if (!outcomesSeen.has(exchange)) {
        outcomesSeen.add(exchange);
        for (const outcome of PUBLISH_OUTCOMES)
          metrics.publishOutcomes.inc({ exchange, outcome }, 0);
      }
    },
    publishSettled: ({ exchange, outcome }) => {
      metrics.publishOutcomes.inc({ exchange, outcome });
    },
    // Counted by publishSettled as the `returned` outcome.
    returned: () => undefined,
    consumed: ({ queue, type, outcome, durationMs }) => {
      const label = queueLabel(queue);
      metrics.consumed.inc({ queue: label, type, outcome });
      // 0 means the handler never ran (an invalid message, a delivery settled on a lost channel).
      if (durationMs > 0) metrics.handlerDuration.observe({ queue: label }, durationMs / 1000);
    },
    connected: ({ reconnect }) => {
      metrics.connected.set({}, 1);
      if (reconnect) metrics.reconnects.inc({});
    },
    reconnecting: () => {
      metrics.connected.set({}, 0);
      metrics.connectionFailures.inc({});
    },
    blocked: () => {
      metrics.blocked.set({}, 1);
    },
    unblocked: () => {
      metrics.blocked.set({}, 0);
    },
  };
}
