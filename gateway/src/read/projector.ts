/**
 * The read-model projector: consumes `gateway.read-models` (competing replicas share it), and
 * writes each delivery batch with one bulkWrite per collection (write-batcher.ts). The same
 * batch function serves the rebuild from the event log (rebuild.ts).
 */
import { EventType, QUEUES, type Event, type TickwatchEvent } from '@tickwatch/contracts';
import type { Handlers, Messaging, Subscription } from '@tickwatch/infra/messaging';
import { quoteFromEvent, type MarketMemory } from './market-memory.ts';
import type { ReadModels } from './models.ts';
import {
  projectAlerts,
  projectAverages,
  projectDeliveries,
  projectPrices,
  projectRejections,
  type ProjectionSettings,
} from './projections.ts';
import { createWriteBatcher } from './write-batcher.ts';

/** The events the read models are made of (the queue's bindings). */
export const PROJECTED_TYPES = [
  EventType.priceUpdated,
  EventType.averagesUpdated,
  EventType.alertTriggered,
  EventType.tickerRejected,
  EventType.notificationSent,
  EventType.notificationFailed,
] as const;

export interface ProjectorOptions extends ProjectionSettings {
  readonly models: ReadModels;
  readonly memory: MarketMemory;
  /** The users among `ids` whose accounts exist: a deleted user's late alerts are not kept. */
  readonly liveUsers: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
}

function ofType<T extends (typeof PROJECTED_TYPES)[number]>(
  events: readonly TickwatchEvent[],
  type: T,
): Event<T>[] {
  return events.filter((e) => e.type === type) as unknown as Event<T>[];
}

/** Writes a batch of events into the read models; idempotent, whatever the batch holds. */
export function createBatchProjection(options: ProjectorOptions) {
  const { models, memory } = options;
  return async (events: readonly TickwatchEvent[]): Promise<void> => {
    const alerts = ofType(events, EventType.alertTriggered);
    const live =
      alerts.length > 0
        ? await options.liveUsers([...new Set(alerts.map((a) => a.data.userId))])
        : new Set();
    const prices = ofType(events, EventType.priceUpdated);
    await Promise.all([
      projectPrices(models, prices, options),
      projectAverages(models, ofType(events, EventType.averagesUpdated)),
      projectAlerts(
        models,
        alerts.filter((a) => live.has(a.data.userId)),
      ),
      projectRejections(models, ofType(events, EventType.tickerRejected)),
      projectDeliveries(models, [
        ...ofType(events, EventType.notificationSent),
        ...ofType(events, EventType.notificationFailed),
      ]),
    ]);
    for (const price of prices) memory.offer(quoteFromEvent(price.data, price.time));
    for (const rejected of ofType(events, EventType.tickerRejected))
      memory.markRejected(rejected.data.ticker);
  };
}

export async function startProjector(
  messaging: Messaging,
  options: ProjectorOptions & {
    /** How long a batch waits for more events before its write, ms (write-batcher.ts). */
    readonly lingerMs: number;
    readonly prefetch?: number;
  },
): Promise<Subscription> {
  const prefetch = options.prefetch ?? 200;
  const batcher = createWriteBatcher(createBatchProjection(options), {
    lingerMs: options.lingerMs,
    maxItems: prefetch,
  });
  const project = (event: TickwatchEvent) => batcher.add(event);
  const handlers: Handlers = Object.fromEntries(PROJECTED_TYPES.map((type) => [type, project]));
  return messaging.consume(QUEUES.gatewayReadModels, handlers, {
    prefetch,
  });
}
