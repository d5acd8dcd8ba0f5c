/**
 * @tickwatch/infra/messaging: the only way services talk to RabbitMQ. See README.md here for
 * the topology, every way a message can end in a DLQ, the DLQ tool and migrations.
 */
export {
  createMessaging,
  type ConsumeCallOptions,
  type Messaging,
  type MessagingOptions,
  type PartitionBatchOptions,
  type PartitionOptions,
  type Subscription,
} from './messaging.ts';
export { ConnectionState } from './connection.ts';
export { readEventLog, type EventLogSummary, type ReadEventLogOptions } from './event-log.ts';
export type {
  BatchHandler,
  BatchItem,
  DeliveryBatch,
  DeliveryContext,
  EventHandler,
  EventOf,
  Handlers,
} from './handlers.ts';
export {
  isPermanent,
  MessagingError,
  MessagingErrorCode,
  PermanentError,
  TopologyMismatchError,
  UnroutableError,
  type TopologyMismatch,
} from './errors.ts';
export {
  noopObserver,
  type ConsumeOutcome,
  type MessagingObserver,
  type PublishOutcome,
} from './observer.ts';
export { DeadReason } from './failure-policy.ts';
export type { EncodeOptions } from './envelope.ts';
export type { OutgoingMessage, PublishCallOptions, WhenBlocked } from './publisher.ts';
export type { InPlaceRetryOptions } from './ordered-batch.ts';
export { reconnectBackoff, type BackoffOptions } from './backoff.ts';
export {
  consumedQueues,
  findQueue,
  withQueues,
  type BindingSpec,
  type ExchangeSpec,
  type QueueRole,
  type QueueSpec,
  type RetryTier,
  type Topology,
} from './topology/model.ts';
export {
  gatewayLiveQueueSpec,
  LIVE_EVENTS,
  tickwatchTopology,
  type GatewayLiveQueueOptions,
  type TickwatchTopologyOptions,
} from './topology/tickwatch.ts';
export { MIN_DELIVERY_LIMIT } from './topology/queue-shapes.ts';
