/**
 * The few queue shapes tickwatch uses, with their arguments and the reason for each. Every
 * queue in the description is built by one of these, so two queues of one role never differ
 * by accident (and a change here is a migration: see the README).
 */
import { deadLetterQueue, EXCHANGES } from '@tickwatch/contracts';
import type { BindingSpec, QueueSpec, RetryTier } from './model.ts';

/** RabbitMQ 3.x counts every consumer crash and every unacked peek as a delivery. */
export const MIN_DELIVERY_LIMIT = 20;

export interface WorkQueueOptions {
  readonly name: string;
  readonly bindings: readonly BindingSpec[];
  readonly consumer: string;
  /** Crash-loop guard only (retries go through the tiers, which do not count): ≥ 20. */
  readonly deliveryLimit: number;
  /** Ordered partition queues: one active consumer, messages retried in place. */
  readonly ordered?: boolean;
}

/**
 * Quorum (replicated, durable), dead-lettered at-least-once to its own DLQ. At-least-once
 * dead-lettering needs `reject-publish` overflow: otherwise the broker silently falls back
 * to at-most-once and a dead letter can be lost. There is no `x-max-length` argument, so
 * the overflow rule only matters when an operator sets a length limit by policy (policies
 * change in place; arguments do not).
 */
export function workQueue(options: WorkQueueOptions): QueueSpec {
  if (!Number.isInteger(options.deliveryLimit) || options.deliveryLimit < MIN_DELIVERY_LIMIT) {
    throw new RangeError(
      `${options.name}: x-delivery-limit must be an integer ≥ ${MIN_DELIVERY_LIMIT}, got ${options.deliveryLimit}`,
    );
  }
  return {
    name: options.name,
    role: options.ordered ? 'ordered' : 'work',
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': EXCHANGES.deadLetter,
      'x-dead-letter-routing-key': options.name,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
      'x-delivery-limit': options.deliveryLimit,
      // 3.x ignores consumer priorities for single active consumers: the first subscriber wins.
      ...(options.ordered ? { 'x-single-active-consumer': true } : {}),
    },
    bindings: options.bindings,
    consumer: options.consumer,
    deadLetterQueue: deadLetterQueue(options.name),
  };
}

/**
 * A work queue's DLQ: a classic durable lazy queue without a delivery limit. Classic rather
 * than quorum so the DLQ tool can `show` messages with basic.get + requeue without the peek
 * counting as a delivery (a quorum queue would count it), and lazy so a large backlog of dead
 * letters sits on disk instead of in the broker's memory. Trade-off: in a cluster it lives on
 * one node (the work queues, where loss would matter more often, stay replicated).
 */
export function deadLetterQueueFor(workQueueName: string): QueueSpec {
  return {
    name: deadLetterQueue(workQueueName),
    role: 'dead-letter',
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: { 'x-queue-mode': 'lazy' },
    bindings: [{ exchange: EXCHANGES.deadLetter, pattern: workQueueName }],
    consumer: 'dlq tool (operators)',
  };
}

/**
 * A retry tier's wait queue: holds every message for the tier's TTL, then dead-letters it to
 * the default exchange with its routing key, which is the name of the queue it failed in. One
 * TTL per queue keeps it FIFO (a per-message TTL only expires at the head). Quorum with
 * at-least-once dead-lettering, because the original delivery was acked once this copy was
 * confirmed here: this queue is the only copy.
 */
export function waitQueueFor(tier: RetryTier, name: string, retryExchangeName: string): QueueSpec {
  if (!Number.isInteger(tier.delayMs) || tier.delayMs < 1) {
    throw new RangeError(`retry tier ${tier.name}: delay must be a positive integer of ms`);
  }
  return {
    name,
    role: 'wait',
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: {
      'x-queue-type': 'quorum',
      'x-message-ttl': tier.delayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
    bindings: [{ exchange: retryExchangeName, pattern: '' }],
    consumer: `nobody (TTL ${tier.delayMs} ms, then back to its queue)`,
  };
}

export interface StreamOptions {
  readonly name: string;
  readonly bindings: readonly BindingSpec[];
  /** RabbitMQ duration, e.g. `7D`. */
  readonly maxAge: string;
  /** Cap on disk use whatever the age. */
  readonly maxLengthBytes: number;
}

/** Append-only log kept for replay (read-model rebuilds) and incident inspection. */
export function eventLogStream(options: StreamOptions): QueueSpec {
  return {
    name: options.name,
    role: 'stream',
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: {
      'x-queue-type': 'stream',
      'x-max-age': options.maxAge,
      'x-max-length-bytes': options.maxLengthBytes,
      // Retention is applied per segment: smaller segments make it more precise.
      'x-stream-max-segment-size-bytes': 100_000_000,
    },
    bindings: options.bindings,
    consumer: 'read-model rebuilds, operators',
  };
}

export interface LiveQueueOptions {
  readonly name: string;
  readonly bindings: readonly BindingSpec[];
  readonly consumer: string;
  /** Oldest messages are dropped beyond this many (drop-head). */
  readonly maxLength: number;
  /** Messages older than this are dropped. */
  readonly messageTtlMs: number;
}

/**
 * One process's live fan-out: classic, exclusive and auto-delete (it dies with the connection),
 * bounded and expiring so a stuck process cannot fill the broker. Lossy by design: live
 * subscriptions are a convenience, the read models are the record.
 */
export function liveQueue(options: LiveQueueOptions): QueueSpec {
  return {
    name: options.name,
    role: 'live',
    durable: false,
    exclusive: true,
    autoDelete: true,
    arguments: {
      'x-max-length': options.maxLength,
      'x-overflow': 'drop-head',
      'x-message-ttl': options.messageTtlMs,
    },
    bindings: options.bindings,
    consumer: options.consumer,
  };
}
