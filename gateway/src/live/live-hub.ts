/**
 * In-process fan-out of the live queue (DESIGN.md §5): one AMQP consumer per gateway process
 * hands each event to the hub, which looks up the topic the event belongs to (a ticker's
 * prices, a user's alerts or deliveries; an averages.updated has one per average: its ticker's
 * averages) and hands it to that topic's subscribers only: an event nobody asked for costs one
 * map lookup per topic, whatever the number of connections.
 * The event is executed and serialized once per distinct subscription document among them
 * (shared-execution.ts), and each subscriber gets those bytes under its own operation id.
 * One span per topic an event reaches (with the subscriber and execution counts), not one per
 * client.
 *
 * While a ticker's prices or averages have subscribers the hub holds an interest lease on it,
 * renewed on a timer, so an unwatched ticker is collected for as long as someone looks at it;
 * the lease runs out on its own after the last subscriber leaves.
 */
import { EventType, type TickwatchEvent } from '@tickwatch/contracts';
import { getTracer, withSpan } from '@tickwatch/infra/telemetry';
import { alertView } from '../graphql/resolvers/views.ts';
import { metrics } from '../metrics.ts';
import type { InterestLeases } from '../read/interest-leases.ts';
import { quoteFromEvent } from '../read/market-memory.ts';
import { alertRow, deliveryRow } from '../read/projections.ts';
import { createLiveStream, type LiveStream } from './live-stream.ts';
import type { Outbox } from './outbox.ts';
import type { SharedExecution } from './shared-execution.ts';

export const LIVE_FIELDS = [
  'priceUpdated',
  'movingAverageUpdated',
  'alertTriggered',
  'notificationUpdated',
] as const;
export type LiveField = (typeof LIVE_FIELDS)[number];

/** What a connection knows of its subscriptions (its guard watches their backlogs). */
export interface LiveSubscriber {
  readonly streams: Set<LiveStream>;
  readonly outbox: Outbox;
}

/** One subscribe operation: its connection, graphql-ws id and document run. */
export interface LiveOperation {
  readonly subscriber: LiveSubscriber;
  readonly id: string;
  readonly execution: SharedExecution;
}

export interface LiveHub {
  /** Fans one live-queue event out to its topic's subscribers. */
  publish(event: TickwatchEvent): void;
  /** A subscription's stream on `topics` (all of one field); its `return()` unsubscribes. */
  open(operation: LiveOperation, field: LiveField, topics: readonly string[]): LiveStream;
  /** Subscribers of a topic (tests, telemetry). */
  count(topic: string): number;
  stop(): void;
}

export const topics = {
  price: (ticker: string) => `price:${ticker}`,
  average: (ticker: string) => `average:${ticker}`,
  alerts: (userId: string) => `alerts:${userId}`,
  deliveries: (userId: string) => `deliveries:${userId}`,
};

/** Topics whose ticker is collected only while someone subscribes. */
const LEASED = /^(?:price|average):(.+)$/;

/** What an event becomes for its topic's subscribers: the root value their documents run on. */
interface Route {
  readonly topic: string;
  /** Coalescing key (see live-stream.ts). */
  readonly key?: string;
  /** The same shape the queries return. */
  readonly payload: unknown;
}

/** Where an event goes: one topic, or one per average for a batch's averages. */
function routesOf(event: TickwatchEvent): Route[] {
  switch (event.type) {
    case EventType.priceUpdated:
      return [
        {
          topic: topics.price(event.data.ticker),
          key: event.data.ticker,
          payload: quoteFromEvent(event.data, event.time),
        },
      ];
    case EventType.averagesUpdated:
      return event.data.averages.map((average) => ({
        topic: topics.average(average.ticker),
        key: String(average.windowMinutes),
        payload: { ...average, marketTime: new Date(average.marketTime) },
      }));
    case EventType.alertTriggered:
      return [{ topic: topics.alerts(event.data.userId), payload: alertView(alertRow(event)) }];
    case EventType.notificationSent:
    case EventType.notificationFailed:
      return [
        {
          topic: topics.deliveries(event.data.userId),
          payload: { ...deliveryRow(event), _id: event.data.deliveryId },
        },
      ];
    default:
      return [];
  }
}

export function createLiveHub(options: {
  readonly interest: InterestLeases;
  /** How often leases of subscribed tickers are renewed, ms (a quarter of the lease is right). */
  readonly renewEveryMs: number;
}): LiveHub {
  const { interest } = options;
  const subscribers = new Map<string, Set<LiveStream>>();
  const tracer = getTracer('gateway.live');

  const renew = (): void => {
    for (const topic of subscribers.keys()) {
      const ticker = LEASED.exec(topic)?.[1];
      if (ticker) interest.request(ticker);
    }
  };
  const renewal = setInterval(renew, options.renewEveryMs);
  renewal.unref();

  /** Per topic, the fan-out still waiting for an asynchronous run. */
  const inOrder = new Map<string, Promise<void>>();

  /** Runs the event once per distinct execution among `set`, then sends; a promise if a run is. */
  const fanOut = (type: string, route: Route, set: Set<LiveStream>): Promise<void> | undefined =>
    withSpan(
      tracer,
      'live fan-out',
      { attributes: { 'tickwatch.event.type': type, 'tickwatch.subscribers': set.size } },
      (span) => {
        const started = performance.now();
        const runs = new Map<string, Buffer | Promise<Buffer>>();
        for (const { execution } of set) {
          if (!runs.has(execution.key)) runs.set(execution.key, execution.run(route.payload));
        }
        span.setAttribute('tickwatch.live.executions', runs.size);
        metrics.liveExecutions.inc({}, runs.size);
        const send = (): void => {
          let coalesced = 0;
          let sent = 0;
          for (const stream of set) {
            const payload = runs.get(stream.execution.key);
            // A subscriber that came while a run was awaited waits for the next event.
            if (!Buffer.isBuffer(payload)) continue;
            sent += 1;
            if (stream.push({ key: route.key, payload })) coalesced += 1;
          }
          metrics.liveMessages.inc({ outcome: 'queued' }, sent - coalesced);
          if (coalesced > 0) metrics.liveMessages.inc({ outcome: 'coalesced' }, coalesced);
          metrics.liveFanOutDuration.observe({}, (performance.now() - started) / 1000);
        };
        const pending = [...runs].filter(
          (entry): entry is [string, Promise<Buffer>] => !Buffer.isBuffer(entry[1]),
        );
        if (pending.length === 0) {
          send();
          return undefined;
        }
        return Promise.all(
          pending.map(async ([key, run]) => {
            runs.set(key, await run);
          }),
        ).then(send);
      },
    );

  const leave = (topic: string, stream: LiveStream): void => {
    const set = subscribers.get(topic);
    set?.delete(stream);
    if (set?.size === 0) subscribers.delete(topic);
  };

  return {
    publish(event) {
      const routes = routesOf(event);
      if (routes.length === 0) return;
      metrics.liveFannedOut.inc({ type: event.type });
      for (const route of routes) {
        const set = subscribers.get(route.topic);
        if (!set) continue;
        // Events of a topic reach its subscribers in order, also when a run is asynchronous.
        const previous = inOrder.get(route.topic);
        const sent = previous
          ? previous.then(() => fanOut(event.type, route, set))
          : fanOut(event.type, route, set);
        if (sent) {
          inOrder.set(route.topic, sent);
          void sent.finally(() => {
            if (inOrder.get(route.topic) === sent) inOrder.delete(route.topic);
          });
        }
      }
    },

    open({ subscriber, id, execution }, field, names) {
      const stream = createLiveStream({
        id,
        outbox: subscriber.outbox,
        execution,
        onClose: (unsent) => {
          for (const topic of names) leave(topic, stream);
          subscriber.streams.delete(stream);
          metrics.liveSubscriptions.dec({ field });
          if (unsent > 0) metrics.liveMessages.inc({ outcome: 'dropped' }, unsent);
        },
      });
      for (const topic of names) {
        let set = subscribers.get(topic);
        if (!set) {
          set = new Set();
          subscribers.set(topic, set);
        }
        set.add(stream);
        const ticker = LEASED.exec(topic)?.[1];
        if (ticker) interest.request(ticker);
      }
      subscriber.streams.add(stream);
      metrics.liveSubscriptions.inc({ field });
      return stream;
    },

    count: (topic) => subscribers.get(topic)?.size ?? 0,

    stop() {
      clearInterval(renewal);
    },
  };
}
