/**
 * The collector's events. price.updated is derived from the quote, so its id is the UUIDv5 of
 * (ticker, market time) and its time the market time: a quote published twice (a crash between
 * the confirm and the state write) is the same event, which consumers drop. ticker.rejected is
 * reported once per ticker and rejection, its id derived from the ticker and when it was found.
 */
import {
  CLOUDEVENTS_SPEC_VERSION,
  derivedEventId,
  EVENT_CONTENT_TYPE,
  EventType,
  type Event,
} from '@tickwatch/contracts';
import type { PriceData } from '../quotes/hygiene.ts';
import type { QuoteSourceName, SourceRejection } from '../quotes/source.ts';

export const EVENT_SOURCE = 'tickwatch/collector';

/**
 * Built as a plain envelope: `messaging.publish` validates every event against its schema, so
 * going through createEvent would validate each quote twice on the hottest path.
 */
export function priceUpdatedEvent(data: PriceData): Event<typeof EventType.priceUpdated> {
  return {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: derivedEventId(EventType.priceUpdated, [data.ticker, data.marketTime]),
    source: EVENT_SOURCE,
    type: EventType.priceUpdated,
    subject: data.ticker,
    time: data.marketTime,
    datacontenttype: EVENT_CONTENT_TYPE,
    data,
  };
}

export function tickerRejectedEvent(
  rejection: SourceRejection,
  source: QuoteSourceName,
  at: Date,
): Event<typeof EventType.tickerRejected> {
  const rejectedAt = at.toISOString();
  return {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: derivedEventId(EventType.tickerRejected, [rejection.ticker, rejectedAt]),
    source: EVENT_SOURCE,
    type: EventType.tickerRejected,
    subject: rejection.ticker,
    time: rejectedAt,
    datacontenttype: EVENT_CONTENT_TYPE,
    data: {
      ticker: rejection.ticker,
      reason: rejection.reason,
      detail: rejection.detail.slice(0, 512),
      source,
      rejectedAt,
    },
  };
}
