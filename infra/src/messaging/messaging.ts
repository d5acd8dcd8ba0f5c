/**
 * The messaging layer as services use it: `start`, `publish(event)`, `consume(queue, handlers)`,
 * `consumePartitions`, `ready()`, `close()`. Wires the supervisor (connection, topology,
 * reconnects), the confirmed publisher and the consumers together; safe defaults throughout
 * (confirms, persistent, mandatory, explicit prefetch, bounded buffers, heartbeats).
 */
import {
  alerterPartitionQueue,
  PARTITIONS,
  type EventType,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import { createLogger, type Logger } from '../log.ts';
import { connectAmqplib } from './amqplib-adapter.ts';
import { reconnectBackoff, type BackoffOptions } from './backoff.ts';
import type { Connector } from './broker-channel.ts';
import { createSupervisor, type ConnectionState } from './connection.ts';
import { createConsumer, type Consumer, type DeliveryMode } from './consumer.ts';
import { encodeEvent, type EncodeOptions } from './envelope.ts';
import { MessagingError, MessagingErrorCode } from './errors.ts';
import { handlerFor, type BatchHandler, type EventOf, type Handlers } from './handlers.ts';
import { guardObserver, noopObserver, type MessagingObserver } from './observer.ts';
import type { InPlaceRetryOptions } from './ordered-batch.ts';
import {
  createPublisher,
  type OutgoingMessage,
  type PublishCallOptions,
  type WhenBlocked,
} from './publisher.ts';
import { findQueue, type Topology } from './topology/model.ts';
import { tickwatchTopology } from './topology/tickwatch.ts';

export interface MessagingOptions {
  /** amqp://user:pass@host:5672/vhost */
  readonly url: string;
  /** Service name: the connection name in the broker UI and the logger's name. */
  readonly service: string;
  /** Defaults to the whole tickwatch topology with production retry tiers. */
  readonly topology?: Topology;
  readonly logger?: Logger;
  readonly observer?: MessagingObserver;
  /**
   * AMQP heartbeat interval, seconds (default 5; the broker may negotiate it lower, never
   * higher; 0 turns heartbeats off). amqplib checks for traffic from the broker once per
   * interval and gives up on the second check in a row that saw none: a stalled link is
   * noticed 2–3 intervals after it went silent (10–15 s by default), well inside
   * `publishTimeoutMs`, so the publishes waiting on it are resent on a new connection instead
   * of timing out.
   */
  readonly heartbeatSeconds?: number;
  /** TCP + AMQP handshake limit per attempt, ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /**
   * Reconnect backoff (default 250 ms doubling to a cap of 5 s, ±20 % jitter, the cap included):
   * after an outage the layer is back at most about one cap after the broker. Services set the
   * cap with RABBITMQ_RECONNECT_MAX (`reconnectBackoff(config.RABBITMQ_RECONNECT_MAX)`).
   */
  readonly reconnect?: BackoffOptions;
  /** `start()` fails when not ready by then, ms (default 60 000). */
  readonly startTimeoutMs?: number;
  /** Unconfirmed publishes at most (default 1 000). */
  readonly maxInFlight?: number;
  /** Publishes waiting while disconnected or behind the window (default 10 000). */
  readonly maxBuffered?: number;
  /** A publish not confirmed by then rejects, ms (default 30 000). */
  readonly publishTimeoutMs?: number;
  /**
   * What a publish does while the broker blocks publishing (a memory or disk alarm): `wait`
   * (default; it goes out once unblocked, or times out) or `fail` at once with
   * MESSAGING_BLOCKED. Each publish may say otherwise (`PublishCallOptions.whenBlocked`).
   */
  readonly whenBlocked?: WhenBlocked;
  /** Ordered (partition) queues: in-place attempts and backoff (default 5, 200 ms → 5 s). */
  readonly inPlaceRetry?: InPlaceRetryOptions;
  /**
   * How long `close()` waits for consumers to cancel and their handlers to finish, and for
   * outstanding confirms, ms (default 10 000); closing the connection then takes at most
   * `connectTimeoutMs` more.
   */
  readonly shutdownTimeoutMs?: number;
  /** Replaces amqplib (the one adapter); for nothing but an alternative client. */
  readonly connector?: Connector;
}

export interface ConsumeCallOptions {
  /** Unacked deliveries (and so concurrent handlers) at most; required by design, default 10. */
  readonly prefetch?: number;
}

export interface PartitionOptions {
  /** Subscribed at once; the rest after `takeoverDelayMs`, to take over from a dead replica. */
  readonly preferred: readonly number[];
  readonly takeoverDelayMs: number;
  /** Defaults to contracts' PARTITIONS. */
  readonly partitions?: number;
}

export interface PartitionBatchOptions<T extends EventType> extends PartitionOptions {
  /** The event types the handler takes; any other is dead-lettered (`unhandled-type`). */
  readonly types: readonly T[];
  /** Messages per handler call at most (default 100). */
  readonly maxBatch?: number;
  /**
   * Unacked deliveries per partition (default 2 × maxBatch: the next batch arrives while one
   * is being handled). All of them go back to the queue, in order, if the consumer dies.
   */
  readonly prefetch?: number;
}

export interface Subscription {
  /** Cancels, lets running handlers finish (up to the shutdown timeout), closes its channel. */
  stop(): Promise<void>;
  /**
   * Every queue of it has a consumer on the current connection (partition takeovers wait for
   * their delay). Single-active-consumer queues report only their active consumer in counts,
   * so this is how to know a standby is in place.
   */
  subscribed(): boolean;
}

/** Also a service Component (infra/src/service.ts): `ready` feeds /readyz, `stop` = `close`. */
export interface Messaging {
  readonly name: 'messaging';
  start(): Promise<void>;
  /** Connected, topology declared, publisher and consumers attached. For `/readyz`. */
  ready(): boolean;
  /**
   * Why the broker blocks publishing now (its resource alarm), or undefined. For `/readyz`:
   * still ready (consuming and acking go on), but degraded, with this reason.
   */
  degraded(): string | undefined;
  readonly state: ConnectionState;
  /** Validates, publishes to `tickwatch.events`, resolves once the broker confirmed it. */
  publish(event: TickwatchEvent, options?: EncodeOptions & PublishCallOptions): Promise<void>;
  /** A pre-encoded message (DLQ replay, outbox relay); same confirms and errors. */
  publishMessage(message: OutgoingMessage, options?: PublishCallOptions): Promise<void>;
  consume(queue: string, handlers: Handlers, options?: ConsumeCallOptions): Promise<Subscription>;
  /** Every partition queue, one message per handler call, in order (retries in place). */
  consumePartitions(handlers: Handlers, options: PartitionOptions): Promise<Subscription>;
  /**
   * Every partition queue in ordered batches: one handler call per batch of up to `maxBatch`
   * consecutive messages of one partition, acked together once it resolved (README, "Ordered
   * batches": retries, poison isolation, what a crash does).
   */
  consumePartitionBatches<T extends EventType>(
    handler: BatchHandler<EventOf<T>>,
    options: PartitionBatchOptions<T>,
  ): Promise<Subscription>;
  readonly topology: Topology;
  /** Stops consuming, drains handlers, waits for confirms, then closes the connection. */
  close(): Promise<void>;
  stop(): Promise<void>;
}

export function createMessaging(options: MessagingOptions): Messaging {
  const logger = (options.logger ?? createLogger({ name: options.service })).child({
    component: 'messaging',
  });
  // No observer, no guard: the no-op hooks cannot throw, and they run several times a message.
  const observer = options.observer
    ? guardObserver(options.observer, (hook, error) => {
        logger.error({ err: error, hook }, 'messaging observer hook threw (reported once)');
      })
    : noopObserver;
  const topology = options.topology ?? tickwatchTopology();
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const inPlaceRetry = options.inPlaceRetry ?? {
    attempts: 5,
    backoff: { initialMs: 200, maxMs: 5_000 },
  };

  const publisher = createPublisher({
    logger,
    observer,
    maxInFlight: options.maxInFlight ?? 1_000,
    maxBuffered: options.maxBuffered ?? 10_000,
    publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
    whenBlocked: options.whenBlocked ?? 'wait',
  });
  const supervisor = createSupervisor({
    url: options.url,
    connector: options.connector ?? connectAmqplib,
    topology,
    logger,
    observer,
    connectionName: options.service,
    heartbeatSeconds: options.heartbeatSeconds ?? 5,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    reconnect: options.reconnect ?? reconnectBackoff(),
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    onFlow: (blockedReason) => {
      publisher.setBlocked(blockedReason);
    },
  });
  const consumers = new Set<Consumer>();
  let closing = false;

  const addConsumer = async (
    queueName: string,
    delivery: DeliveryMode,
    startDelayMs: number,
  ): Promise<Consumer> => {
    if (closing) throw new MessagingError(MessagingErrorCode.closed, 'messaging is closing');
    const queue = findQueue(topology, queueName);
    if (!queue || (queue.role !== 'work' && queue.role !== 'ordered' && queue.role !== 'live')) {
      throw new MessagingError(
        MessagingErrorCode.unknownQueue,
        `"${queueName}" is not a consumable queue of the topology description`,
      );
    }
    const counts =
      delivery.kind === 'batches' ? [delivery.prefetch, delivery.maxBatch] : [delivery.prefetch];
    for (const count of counts) {
      if (!Number.isInteger(count) || count < 1) {
        throw new RangeError(`prefetch and maxBatch must be positive integers, got ${count}`);
      }
    }
    const consumer = createConsumer({
      queue,
      // An ordered queue is always consumed in order, one batch at a time (of one, here).
      delivery:
        queue.role === 'ordered' && delivery.kind === 'each'
          ? oneAtATime(delivery.handlers, delivery.prefetch, inPlaceRetry)
          : delivery,
      publisher,
      observer,
      logger,
      retryTiers: topology.retryTiers,
      startDelayMs,
    });
    consumers.add(consumer);
    try {
      await supervisor.add(consumer);
    } catch (error) {
      consumers.delete(consumer);
      throw error;
    }
    return consumer;
  };

  /** A consumer on every partition: preferred ones at once, the others after the delay. */
  const addPartitions = async (
    delivery: DeliveryMode,
    partitionOptions: PartitionOptions,
  ): Promise<Subscription> => {
    const partitions = partitionOptions.partitions ?? PARTITIONS;
    const preferred = new Set(partitionOptions.preferred);
    const started: Consumer[] = [];
    const stop = async (): Promise<void> => {
      await Promise.all(started.map((consumer) => stopConsumer(consumer, shutdownTimeoutMs)));
    };
    try {
      for (let partition = 0; partition < partitions; partition++) {
        const delay = preferred.has(partition) ? 0 : partitionOptions.takeoverDelayMs;
        started.push(await addConsumer(alerterPartitionQueue(partition), delivery, delay));
      }
    } catch (error) {
      // All partitions or none: the caller has no subscription to stop the others with.
      await stop();
      throw error;
    }
    return { stop, subscribed: () => started.every((consumer) => consumer.subscribed) };
  };

  const stopConsumer = async (consumer: Consumer, timeoutMs: number): Promise<void> => {
    await consumer.stop(timeoutMs);
    supervisor.remove(consumer);
    consumers.delete(consumer);
  };

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= shutDown());
  const shutDown = async (): Promise<void> => {
    closing = true;
    const deadline = performance.now() + shutdownTimeoutMs;
    const left = (): number => Math.max(0, deadline - performance.now());
    // Order matters: no new deliveries, running handlers finish (their retry/DLQ publishes
    // need the publisher), then outstanding confirms, then the connection.
    await Promise.all([...consumers].map((consumer) => stopConsumer(consumer, left())));
    await publisher.shutdown(left());
    await supervisor.close();
  };

  return {
    name: 'messaging',
    topology,
    get state() {
      return supervisor.state;
    },
    ready: () => supervisor.ready(),
    degraded: () =>
      supervisor.blocked === undefined
        ? undefined
        : `broker blocks publishing: ${supervisor.blocked}`,

    async start() {
      await supervisor.add(publisher);
      await supervisor.start();
    },

    publish(event, publishOptions) {
      let message: OutgoingMessage;
      try {
        message = encodeEvent(event, publishOptions);
      } catch (error) {
        // A validation error becomes a rejection, like every other publish failure.
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return publisher.publish(message, publishOptions);
    },

    publishMessage(message, callOptions) {
      return publisher.publish(message, callOptions);
    },

    async consume(queueName, handlers, { prefetch = 10 } = {}) {
      const consumer = await addConsumer(queueName, { kind: 'each', handlers, prefetch }, 0);
      return {
        stop: () => stopConsumer(consumer, shutdownTimeoutMs),
        subscribed: () => consumer.subscribed,
      };
    },

    consumePartitions(handlers, partitionOptions) {
      // One message at a time, as DESIGN.md §5 describes the ordered consumers.
      return addPartitions({ kind: 'each', handlers, prefetch: 1 }, partitionOptions);
    },

    consumePartitionBatches(handler, { types, maxBatch = 100, prefetch, ...partitionOptions }) {
      return addPartitions(
        {
          kind: 'batches',
          // Sound: the consumer hands it only events whose type is in `types`.
          handler: handler as unknown as BatchHandler,
          types: new Set(types),
          maxBatch,
          prefetch: prefetch ?? 2 * maxBatch,
          retry: inPlaceRetry,
        },
        partitionOptions,
      );
    },

    close,
    stop: close,
  };
}

/** Per-event handlers on an ordered queue: batches of one, dispatched by type. */
function oneAtATime(
  handlers: Handlers,
  prefetch: number,
  retry: InPlaceRetryOptions,
): DeliveryMode {
  const types = Object.entries(handlers).flatMap(([type, handler]: [string, unknown]) =>
    handler === undefined ? [] : [type],
  );
  return {
    kind: 'batches',
    maxBatch: 1,
    prefetch,
    types: new Set(types),
    retry,
    handler: async ({ items }) => {
      for (const { event, context } of items) await handlerFor(handlers, event)?.(event, context);
    },
  };
}
