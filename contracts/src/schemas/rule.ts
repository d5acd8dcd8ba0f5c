/**
 * An alert rule as it travels in rule.* events and alert.triggered: the whole rule, versioned,
 * so a consumer can apply events idempotently and ignore an older version arriving late.
 */
import { z } from 'zod';
import { Ticker } from '../ticker.ts';
import { AverageWindowMinutes, Channel, Id, Instant, Price } from './common.ts';

export const Condition = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ABOVE'),
    threshold: Price,
  }),
  z.object({
    type: z.literal('BELOW'),
    threshold: Price,
  }),
  z
    .object({
      type: z.literal('OUTSIDE_RANGE'),
      low: Price,
      high: Price,
    })
    .refine((c) => c.low < c.high, { message: 'low must be below high', path: ['low'] }),
  z.object({
    type: z.literal('PERCENT_CHANGE'),
    /** Move versus the previous close, in percent (5 = 5 %). */
    percent: z.number().positive().max(1000),
    direction: z.enum(['UP', 'DOWN', 'EITHER']),
  }),
  z.object({
    type: z.literal('MOVING_AVERAGE_DEVIATION'),
    windowMinutes: AverageWindowMinutes,
    /** Deviation of the price from the window's average that fires, in percent. */
    tolerancePercent: z.number().positive().max(100),
  }),
  z.object({
    /**
     * The original stream processor's alarm: the window's average itself moved, i.e.
     * |new average − previous average| / previous average ≥ tolerance (in percent). Positive by
     * schema, so no default can alarm on every tick (the original default 0.0 did).
     */
    type: z.literal('AVERAGE_MOVE'),
    windowMinutes: AverageWindowMinutes,
    tolerancePercent: z.number().positive().max(100),
  }),
]);
export type Condition = z.infer<typeof Condition>;
export type ConditionType = Condition['type'];

/**
 * ONCE fires then retires the rule; ONCE_PER_DAY at most once per exchange trading day;
 * EVERY_CROSSING re-arms after the price moves back past the threshold by the hysteresis;
 * WHILE_TRUE repeats while the condition holds, at most once per cooldown.
 */
export const Frequency = z.enum(['ONCE', 'ONCE_PER_DAY', 'EVERY_CROSSING', 'WHILE_TRUE']);
export type Frequency = z.infer<typeof Frequency>;

export const Rule = z.object({
  id: Id,
  userId: Id,
  ticker: Ticker,
  condition: Condition,
  frequency: Frequency,
  /** Minimum time between two alerts of this rule (WHILE_TRUE), in seconds. */
  cooldownSeconds: z
    .int()
    .min(0)
    .max(7 * 24 * 3600),
  /** Re-arming distance past the threshold, in percent of the threshold (EVERY_CROSSING). */
  hysteresisPercent: z.number().min(0).max(50),
  expiresAt: Instant.nullable(),
  paused: z.boolean(),
  channels: z.array(Channel).min(1).max(2),
  /** Incremented by every change, deletion included. */
  version: z.int().min(1),
  createdAt: Instant,
  updatedAt: Instant,
});
export type Rule = z.infer<typeof Rule>;
