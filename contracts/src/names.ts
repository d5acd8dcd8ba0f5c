/**
 * Every name that producers and consumers must agree on: exchanges, retry tiers, queues,
 * AMQP headers. One place, so the two sides cannot drift apart on a string.
 */
import { checkPartition } from './partition.ts';

export const EXCHANGES = {
  /** Topic exchange every event is published to; routing keys come from `routingKey()`. */
  events: 'tickwatch.events',
  /** Direct exchange for dead letters; the routing key is the queue the message died in. */
  deadLetter: 'tickwatch.dlx',
} as const;

/** Retry tiers in order: a failed message waits in tier N's queue, then returns to its queue. */
export const RETRY_TIERS = [
  { name: '5s', delayMs: 5_000 },
  { name: '30s', delayMs: 30_000 },
  { name: '5m', delayMs: 300_000 },
] as const;
export type RetryTierName = (typeof RETRY_TIERS)[number]['name'];

/** Fanout exchange a failed message is republished to for the given tier. */
export const retryExchange = (tier: string): string => `tickwatch.retry.${tier}`;
/** Queue holding messages of one tier until its TTL sends them back to their own queue. */
export const waitQueue = (tier: string): string => `tickwatch.wait.${tier}`;
/** Each work queue's own dead-letter queue. */
export const deadLetterQueue = (queue: string): string => `${queue}.dlq`;

/** Work queues, one per consuming concern (DESIGN.md §1 table: who consumes what). */
export const QUEUES = {
  /** Collector: rule.*, watch.*, interest.renewed, user.deleted → which tickers to poll. */
  collectorWatchlist: 'collector.watchlist',
  /** Notifier: alert.triggered, notification.requested, user.* → deliveries. */
  notifierDeliveries: 'notifier.deliveries',
  /** Gateway: price/average/alert/notification events → read models. */
  gatewayReadModels: 'gateway.read-models',
} as const;

/** The alerter's ordered, single-active-consumer queue for one partition. */
export const alerterPartitionQueue = (partition: number): string => {
  checkPartition(partition);
  return `alerter.p${partition}`;
};

/** A gateway process's own live fan-out queue (subscriptions). */
export const gatewayLiveQueue = (instanceId: string): string => `gateway.live.${instanceId}`;

/** Stream keeping every event for replay and inspection. */
export const EVENT_LOG_STREAM = 'tickwatch.log';

/** AMQP headers tickwatch sets besides the CloudEvents-mapped properties. */
export const HEADERS = {
  /** Handler attempts so far (retry tiers and in-place retries). */
  attempts: 'x-tickwatch-attempts',
  /** Last handler error message, truncated. */
  lastError: 'x-tickwatch-last-error',
  /** Routing key the message was first published with (the retry hop replaces it). */
  routingKey: 'x-tickwatch-routing-key',
  /** Why the message was dead-lettered (validation error, Permanent error, retries exhausted). */
  deadReason: 'x-tickwatch-dead-reason',
  /** Queue the message was consumed from when it was retried or dead-lettered. */
  queue: 'x-tickwatch-queue',
  /** Set by the DLQ tool when a message is replayed: ISO time of the replay. */
  replayedAt: 'x-tickwatch-replayed-at',
  /** W3C trace context, propagated by OpenTelemetry. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
