/**
 * Test fixtures for the alerter: rule and quote events as the gateway and collector publish
 * them, and a probe that collects what the alerter publishes.
 */
import {
  createEvent,
  derivedEventId,
  EventType,
  partitionOf,
  QUEUES,
  type Event,
  type Rule,
} from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import type { Messaging } from '@tickwatch/infra/messaging';
import type { RuleChange } from '../domain/partition-book.ts';

type AlertEvent = Event<typeof EventType.alertTriggered>;
type AveragesEvent = Event<typeof EventType.averagesUpdated>;

const RULE_EVENT_TYPES = {
  created: EventType.ruleCreated,
  updated: EventType.ruleUpdated,
  deleted: EventType.ruleDeleted,
} as const;

/** A rule event as the gateway publishes it (id fixed per rule version). */
export function ruleEvent(change: RuleChange, rule: Rule) {
  const type = RULE_EVENT_TYPES[change];
  return createEvent(
    type,
    { rule },
    {
      source: 'tickwatch/gateway',
      id: derivedEventId(type, [rule.id, rule.version]),
    },
  );
}

/** A quote as the collector publishes it, `minute` minutes after 14:30 UTC on 2026-10-05. */
export function quote(ticker: string, price: number, minute: number, previousClose = 100) {
  const marketTime = new Date(Date.UTC(2026, 9, 5, 14, 30) + minute * 60_000).toISOString();
  return createEvent(
    EventType.priceUpdated,
    { ...exampleData[EventType.priceUpdated], ticker, price, marketTime, previousClose },
    {
      source: 'tickwatch/collector',
      id: derivedEventId(EventType.priceUpdated, [ticker, marketTime]),
    },
  );
}

/** `count` tickers named `<prefix><n>` that all hash to `partition`. */
export function tickersOf(partition: number, count: number, prefix: string): string[] {
  const tickers: string[] = [];
  for (let n = 0; tickers.length < count; n++) {
    if (partitionOf(`${prefix}${n}`) === partition) tickers.push(`${prefix}${n}`);
  }
  return tickers;
}

/** Collects the alerts (notifier's queue) and averages (gateway's queue) the alerter publishes. */
export async function startProbe(messaging: Messaging) {
  const alerts: AlertEvent[] = [];
  const averages: AveragesEvent[] = [];
  const ignore = () => Promise.resolve();
  await messaging.consume(QUEUES.notifierDeliveries, {
    [EventType.alertTriggered]: (event) => {
      alerts.push(event);
      return Promise.resolve();
    },
  });
  await messaging.consume(QUEUES.gatewayReadModels, {
    [EventType.averagesUpdated]: (event) => {
      averages.push(event);
      return Promise.resolve();
    },
    [EventType.priceUpdated]: ignore,
    [EventType.alertTriggered]: ignore,
  });
  return {
    alerts,
    averages,
    alertsOf: (ruleId: string) => alerts.filter((alert) => alert.data.ruleId === ruleId),
  };
}
