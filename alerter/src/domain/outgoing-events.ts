/**
 * The events the alerter publishes, built from its decisions. Their ids derive from natural
 * keys (DESIGN.md §4), so evaluating the same quote again after a crash gives the same ids and
 * consumers drop the repeat: alert.triggered from (rule id, rule version, sequence),
 * averages.updated from the (ticker, window, market time) of each average it carries.
 */
import {
  createEvent,
  derivedEventId,
  EventType,
  type Event,
  type EventData,
  type MovingAverage,
} from '@tickwatch/contracts';
import type { Firing } from './ticker-book.ts';

export const ALERTER_SOURCE = 'tickwatch/alerter';

type PriceUpdated = Event<typeof EventType.priceUpdated>;

export function alertId(ruleId: string, ruleVersion: number, sequence: number): string {
  return derivedEventId(EventType.alertTriggered, [ruleId, ruleVersion, sequence]);
}

export function alertTriggered(
  firing: Firing,
  quote: PriceUpdated,
  previousPrice: number | null,
  triggeredAt: Date,
): Event<typeof EventType.alertTriggered> {
  const { rule, state } = firing;
  const id = alertId(rule.id, rule.version, state.sequence);
  const data: EventData<typeof EventType.alertTriggered> = {
    alertId: id,
    ruleId: rule.id,
    ruleVersion: rule.version,
    sequence: state.sequence,
    userId: rule.userId,
    ticker: rule.ticker,
    condition: rule.condition,
    frequency: rule.frequency,
    price: quote.data.price,
    previousPrice,
    referencePrice: firing.reference,
    currency: quote.data.currency,
    marketTime: quote.data.marketTime,
    quotePublishedAt: quote.time,
    triggeredAt: triggeredAt.toISOString(),
    delayMinutes: quote.data.delayMinutes,
    channels: rule.channels,
  };
  return createEvent(EventType.alertTriggered, data, {
    source: ALERTER_SOURCE,
    id,
    time: triggeredAt,
  });
}

/** An averages.updated's id: from the (ticker, window, market time) of each average, in order. */
export function averagesEventId(averages: readonly MovingAverage[]): string {
  return derivedEventId(
    EventType.averagesUpdated,
    averages.flatMap((a) => [a.ticker, a.windowMinutes, a.marketTime]),
  );
}

/** One averages.updated event (newest-averages.ts says what a batch puts in it). */
export function averagesUpdated(
  averages: MovingAverage[],
): Event<typeof EventType.averagesUpdated> {
  const id = averagesEventId(averages);
  // Market times are ISO instants of one format: the greatest string is the latest.
  const time = averages.reduce((latest, a) => (a.marketTime > latest ? a.marketTime : latest), '');
  return createEvent(EventType.averagesUpdated, { averages }, { source: ALERTER_SOURCE, id, time });
}
