/**
 * This process's live queue (`gateway.live.<instance>`, bounded and lossy, DESIGN.md §5): every
 * price reaches every gateway process through it, which keeps each process's market memory
 * current although the read-model queue gives each event to one replica only. Live
 * subscriptions fan out from the same consumer (live/live-hub.ts).
 */
import { EventType, gatewayLiveQueue, type TickwatchEvent } from '@tickwatch/contracts';
import type { Handlers, Messaging, Subscription } from '@tickwatch/infra/messaging';
import { quoteFromEvent, type MarketMemory } from './market-memory.ts';

export type LiveListener = (event: TickwatchEvent) => void;

export async function startLiveFeed(
  messaging: Messaging,
  options: {
    readonly instanceId: string;
    readonly memory: MarketMemory;
    readonly listeners?: readonly LiveListener[];
  },
): Promise<Subscription> {
  const { memory, listeners = [] } = options;
  const tell = (event: TickwatchEvent): Promise<void> => {
    for (const listener of listeners) listener(event);
    return Promise.resolve();
  };
  const handlers: Handlers = {
    [EventType.priceUpdated]: (event) => {
      memory.offer(quoteFromEvent(event.data, event.time));
      return tell(event);
    },
    [EventType.averagesUpdated]: tell,
    [EventType.alertTriggered]: tell,
    [EventType.notificationSent]: tell,
    [EventType.notificationFailed]: tell,
  };
  return messaging.consume(gatewayLiveQueue(options.instanceId), handlers, { prefetch: 500 });
}
