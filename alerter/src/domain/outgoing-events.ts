/**
 * The events the alerter publishes, built from its decisions. Their ids derive from natural
 * keys (DESIGN.md §4), so evaluating the same quote again after a crash gives the same ids and
 * consumers drop the repeat: alert.triggered from (rule id, rule version, sequence),
 * average.updated from (ticker, window, market time).
 */
import {
  createEvent,
  derivedEventId,
  EventType,
  type Event,
  type EventData,
} from '@tickwatch/contracts';
import type { WindowAverage } from './moving-windows.ts';
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

export function averageUpdated(
  ticker: string,
  average: WindowAverage,
  marketTime: string,
): Event<typeof EventType.averageUpdated> {
  const id = derivedEventId(EventType.averageUpdated, [ticker, average.windowMinutes, marketTime]);
  return createEvent(
    EventType.averageUpdated,
    {
      ticker,
      windowMinutes: average.windowMinutes,
      average: average.average,
      previousAverage: average.previousAverage,
      sampleCount: average.sampleCount,
      marketTime,
    },
    { source: ALERTER_SOURCE, id, time: marketTime },
  );
}
