/** Valid events for tests, built through contracts (so they pass the same validation). */
import {
  createEvent,
  derivedEventId,
  EventType,
  partitionOf,
  PARTITIONS,
  type Event,
} from '@tickwatch/contracts';
import { exampleData, exampleRule } from '@tickwatch/contracts/examples';

const SOURCE = 'tickwatch/test';

/** A quote; ids derive from ticker + market time like the collector's. */
export function priceUpdated(
  ticker: string,
  price: number,
  marketTime: Date | string = new Date(),
): Event<typeof EventType.priceUpdated> {
  const time = typeof marketTime === 'string' ? marketTime : marketTime.toISOString();
  return createEvent(
    EventType.priceUpdated,
    { ...exampleData[EventType.priceUpdated], ticker, price, marketTime: time },
    { source: SOURCE, id: derivedEventId(EventType.priceUpdated, [ticker, time]) },
  );
}

/** A rule event for `ticker` at `version`. */
export function ruleUpdated(ticker: string, version: number): Event<typeof EventType.ruleUpdated> {
  return createEvent(
    EventType.ruleUpdated,
    { rule: { ...exampleRule, ticker, version } },
    { source: SOURCE, id: derivedEventId(EventType.ruleUpdated, [exampleRule.id, version]) },
  );
}

export function userDeleted(userId: string): Event<typeof EventType.userDeleted> {
  return createEvent(EventType.userDeleted, { userId }, { source: SOURCE });
}

/** Market times one second apart from a fixed origin, for ordered sequences. */
export function marketTime(step: number): string {
  return new Date(Date.UTC(2026, 9, 2, 14, 30, 0) + step * 1000).toISOString();
}

/** One ticker per partition: `tickers[p]` routes to alerter.p<p>. */
export function tickerPerPartition(): string[] {
  const tickers: string[] = [];
  for (let i = 0; tickers.filter(Boolean).length < PARTITIONS; i++) {
    const ticker = `T${i}`;
    tickers[partitionOf(ticker)] ??= ticker;
  }
  return tickers;
}
