/** alert.triggered: one firing of one rule, with everything a notification must say. */
import { z } from 'zod';
import { Ticker } from '../ticker.ts';
import { Channel, Currency, Id, Instant, Price } from './common.ts';
import { Condition, Frequency } from './rule.ts';

export const AlertTriggered = z.object({
  /** Derived from rule id + version + sequence, so a re-evaluation after a crash gives the same id. */
  alertId: Id,
  ruleId: Id,
  ruleVersion: z.int().min(1),
  /** Counts this rule version's firings: 1 for the first. */
  sequence: z.int().min(1),
  userId: Id,
  ticker: Ticker,
  /** The condition with its threshold(s), as the rule had it when it fired. */
  condition: Condition,
  frequency: Frequency,
  price: Price,
  previousPrice: Price.nullable(),
  /**
   * Previous close (PERCENT_CHANGE), the window's average (MOVING_AVERAGE_DEVIATION) or its
   * previous average (AVERAGE_MOVE); else null.
   */
  referencePrice: Price.nullable(),
  currency: Currency,
  marketTime: Instant,
  /**
   * When the collector published the quote that fired (its price.updated event's `time`): where
   * tickwatch_alert_latency_seconds starts, since market time includes the source's delay.
   */
  quotePublishedAt: Instant,
  triggeredAt: Instant,
  delayMinutes: z.int().min(0),
  channels: z.array(Channel).min(1),
});
