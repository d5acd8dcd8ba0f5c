/**
 * tickwatch's topology (DESIGN.md §1 table, §5). Every process declares all of it, not only
 * the queues it consumes: a publisher that starts before its consumers then still finds their
 * queues, so a mandatory publish is stored instead of returned as unroutable.
 */
import {
  alerterPartitionQueue,
  bindingPattern,
  EVENT_LOG_STREAM,
  EXCHANGES,
  gatewayLiveQueue,
  PARTITIONS,
  QUEUES,
  RETRY_TIERS,
  retryExchange,
  waitQueue,
} from '@tickwatch/contracts';
import type { BindingSpec, ExchangeSpec, QueueSpec, RetryTier, Topology } from './model.ts';
import {
  deadLetterQueueFor,
  eventLogStream,
  liveQueue,
  MIN_DELIVERY_LIMIT,
  waitQueueFor,
  workQueue,
} from './queue-shapes.ts';

export interface TickwatchTopologyOptions {
  /** Production tiers come from contracts (5s, 30s, 5m); tests pass short ones. */
  readonly retryTiers?: readonly RetryTier[];
  readonly deliveryLimit?: number;
  readonly partitions?: number;
  /** Event log retention: RabbitMQ duration and a size cap, whichever is hit first. */
  readonly logMaxAge?: string;
  readonly logMaxLengthBytes?: number;
}

/** Which events each shared work queue receives (event names or `rule.*`-style patterns). */
const WORK_QUEUE_EVENTS = [
  {
    name: QUEUES.collectorWatchlist,
    consumer: 'collector',
    events: ['rule.*', 'watch.*', 'interest.renewed', 'user.deleted'],
  },
  {
    name: QUEUES.notifierDeliveries,
    consumer: 'notifier',
    events: ['alert.triggered', 'notification.requested', 'user.*', 'account.*'],
  },
  {
    name: QUEUES.gatewayReadModels,
    consumer: 'gateway',
    events: [
      'price.updated',
      'averages.updated',
      'alert.triggered',
      'ticker.rejected',
      'notification.*',
    ],
  },
] as const;

/**
 * Consumed but never logged: account.* events carry a signed link (a password reset link is a
 * credential until it expires) and an address; the log keeps events for days and is read by
 * operators, so these are not replayable. A lost one is resent by the user (resend, reset).
 */
export const UNLOGGED_EVENTS = ['account.*'] as const;

/** Each alerter partition queue gets this partition's share of these events, in order. */
const ALERTER_EVENTS = ['price.updated', 'rule.*'] as const;

/** What a gateway's live queue receives for GraphQL subscriptions. */
export const LIVE_EVENTS = [
  'price.updated',
  'averages.updated',
  'alert.triggered',
  'notification.*',
] as const;

const onEvents = (pattern: string): BindingSpec => ({ exchange: EXCHANGES.events, pattern });

/** Whether topic pattern `general` (words and `*`, no `#`) matches everything `specific` does. */
function covers(general: string, specific: string): boolean {
  const g = general.split('.');
  const s = specific.split('.');
  return g.length === s.length && g.every((word, i) => word === '*' || word === s[i]);
}

export function tickwatchTopology(options: TickwatchTopologyOptions = {}): Topology {
  const retryTiers = options.retryTiers ?? RETRY_TIERS;
  const deliveryLimit = options.deliveryLimit ?? MIN_DELIVERY_LIMIT;
  const partitions = options.partitions ?? PARTITIONS;
  if (retryTiers.length === 0) throw new RangeError('at least one retry tier is needed');

  const exchanges: ExchangeSpec[] = [
    { name: EXCHANGES.events, type: 'topic', purpose: 'every event, by routing key' },
    {
      name: EXCHANGES.deadLetter,
      type: 'direct',
      purpose: 'dead letters, routing key = the queue they died in',
    },
    ...retryTiers.map((tier): ExchangeSpec => ({
      name: retryExchange(tier.name),
      type: 'fanout',
      purpose: `retry tier ${tier.name}: into its wait queue`,
    })),
  ];

  const work: QueueSpec[] = [
    ...WORK_QUEUE_EVENTS.map((queue) =>
      workQueue({
        name: queue.name,
        consumer: queue.consumer,
        deliveryLimit,
        bindings: queue.events.map((event) => onEvents(bindingPattern(event))),
      }),
    ),
    ...Array.from({ length: partitions }, (_, partition) =>
      workQueue({
        name: alerterPartitionQueue(partition),
        consumer: 'alerter (one active replica)',
        deliveryLimit,
        ordered: true,
        bindings: ALERTER_EVENTS.map((event) => onEvents(bindingPattern(event, partition))),
      }),
    ),
  ];

  // The log is bound to every pattern some work queue consumes rather than to `#`: a `#`
  // binding would make every routing key routable, and a publish nobody consumes would no
  // longer come back as unroutable (mandatory) but vanish into the log unnoticed.
  const unlogged = new Set<string>(UNLOGGED_EVENTS);
  const consumed = [
    ...new Set(
      [...WORK_QUEUE_EVENTS.flatMap((queue) => queue.events), ...ALERTER_EVENTS]
        .filter((event) => !unlogged.has(event))
        .map((event) => bindingPattern(event)),
    ),
  ];
  // `user.deleted` adds nothing next to `user.*`: keep the bindings readable.
  const logPatterns = consumed.filter(
    (pattern) => !consumed.some((other) => other !== pattern && covers(other, pattern)),
  );

  return {
    exchanges,
    retryTiers,
    queues: [
      ...work,
      ...work.map((queue) => deadLetterQueueFor(queue.name)),
      ...retryTiers.map((tier) =>
        waitQueueFor(tier, waitQueue(tier.name), retryExchange(tier.name)),
      ),
      eventLogStream({
        name: EVENT_LOG_STREAM,
        bindings: logPatterns.map(onEvents),
        maxAge: options.logMaxAge ?? '7D',
        maxLengthBytes: options.logMaxLengthBytes ?? 5_000_000_000,
      }),
    ],
  };
}

export interface GatewayLiveQueueOptions {
  readonly maxLength?: number;
  readonly messageTtlMs?: number;
}

/** The live queue of one gateway process, declared by that process only. */
export function gatewayLiveQueueSpec(
  instanceId: string,
  options: GatewayLiveQueueOptions = {},
): QueueSpec {
  return liveQueue({
    name: gatewayLiveQueue(instanceId),
    consumer: 'gateway (this process: GraphQL subscriptions)',
    bindings: LIVE_EVENTS.map((event) => onEvents(bindingPattern(event))),
    maxLength: options.maxLength ?? 10_000,
    messageTtlMs: options.messageTtlMs ?? 60_000,
  });
}
