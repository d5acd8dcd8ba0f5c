/**
 * In-process fan-out of the live queue (DESIGN.md §5): one AMQP consumer per gateway process
 * hands each event to the hub, which looks up the one topic the event belongs to (a ticker's
 * prices or averages, a user's alerts or deliveries) and queues it for that topic's
 * subscribers only: an event nobody asked for costs one map lookup, whatever the number of
 * connections. One span per event (with the subscriber count), not one per client.
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
import { createLiveStream, type LiveStream, type LiveUpdate } from './live-stream.ts';

export const LIVE_FIELDS = [
  'priceUpdated',
  'movingAverageUpdated',
  'alertTriggered',
  'notificationUpdated',
] as const;
export type LiveField = (typeof LIVE_FIELDS)[number];

/** What a connection knows of its subscriptions (its guard watches their backlogs). */
export interface LiveSubscriber {
  readonly streams: Set<LiveStream<unknown>>;
}

export interface LiveHub {
  /** Fans one live-queue event out to its topic's subscribers. */
  publish(event: TickwatchEvent): void;
  /** A subscription's stream on `topics` (all of one field); its `return()` unsubscribes. */
  open(
    subscriber: LiveSubscriber,
    field: LiveField,
    topics: readonly string[],
  ): LiveStream<unknown>;
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

/** The event's topic and the update its subscribers get (the same shape a query returns). */
function routeOf(event: TickwatchEvent): { topic: string; update: LiveUpdate<unknown> } | null {
  switch (event.type) {
    case EventType.priceUpdated:
      return {
        topic: topics.price(event.data.ticker),
        update: { key: event.data.ticker, payload: quoteFromEvent(event.data, event.time) },
      };
    case EventType.averageUpdated:
      return {
        topic: topics.average(event.data.ticker),
        update: {
          key: String(event.data.windowMinutes),
          payload: { ...event.data, marketTime: new Date(event.data.marketTime) },
        },
      };
    case EventType.alertTriggered:
      return {
        topic: topics.alerts(event.data.userId),
        update: { payload: alertView(alertRow(event)) },
      };
    case EventType.notificationSent:
    case EventType.notificationFailed:
      return {
        topic: topics.deliveries(event.data.userId),
        update: { payload: { ...deliveryRow(event), _id: event.data.deliveryId } },
      };
    default:
      return null;
  }
}

export function createLiveHub(options: {
  readonly interest: InterestLeases;
  /** How often leases of subscribed tickers are renewed, ms (a quarter of the lease is right). */
  readonly renewEveryMs: number;
}): LiveHub {
  const { interest } = options;
  const subscribers = new Map<string, Set<LiveStream<unknown>>>();
  const tracer = getTracer('gateway.live');

  const renew = (): void => {
    for (const topic of subscribers.keys()) {
      const ticker = LEASED.exec(topic)?.[1];
      if (ticker) interest.request(ticker);
    }
  };
  const renewal = setInterval(renew, options.renewEveryMs);
  renewal.unref();

  const leave = (topic: string, stream: LiveStream<unknown>): void => {
    const set = subscribers.get(topic);
    set?.delete(stream);
    if (set?.size === 0) subscribers.delete(topic);
  };

  return {
    publish(event) {
      const route = routeOf(event);
      if (!route) return;
      const set = subscribers.get(route.topic);
      metrics.liveFannedOut.inc({ type: event.type });
      if (!set) return;
      withSpan(
        tracer,
        'live fan-out',
        { attributes: { 'tickwatch.event.type': event.type, 'tickwatch.subscribers': set.size } },
        () => {
          const started = performance.now();
          let coalesced = 0;
          for (const stream of set) if (stream.push(route.update)) coalesced += 1;
          metrics.liveMessages.inc({ outcome: 'queued' }, set.size - coalesced);
          if (coalesced > 0) metrics.liveMessages.inc({ outcome: 'coalesced' }, coalesced);
          metrics.liveFanOutDuration.observe({}, (performance.now() - started) / 1000);
        },
      );
    },

    open(subscriber, field, names) {
      const stream = createLiveStream<unknown>((unsent) => {
        for (const topic of names) leave(topic, stream);
        subscriber.streams.delete(stream);
        metrics.liveSubscriptions.dec({ field });
        if (unsent > 0) metrics.liveMessages.inc({ outcome: 'dropped' }, unsent);
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
