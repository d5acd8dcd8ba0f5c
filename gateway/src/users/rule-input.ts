/**
 * From the GraphQL rule input to the contract's rule (DESIGN.md §7), pure. Every refusal names
 * the input field it is about (`input.condition.outsideRange.low`) and why; nothing is written
 * unless the whole rule is valid. The contract's zod schema checks the result once more, so the
 * gateway can never accept a rule the alerter would dead-letter.
 */
import { normalizeTicker, Rule, type Condition, type Channel } from '@tickwatch/contracts';
import { badInput } from '../graphql/errors.ts';
import type { StoredRule } from './user-model.ts';

export interface AlertRuleInput {
  readonly ticker: string;
  readonly condition: ConditionInput;
  readonly frequency?: Rule['frequency'] | null;
  readonly cooldownSeconds?: number | null;
  readonly hysteresisPercent?: number | null;
  readonly expiresAt?: Date | null;
  readonly paused?: boolean | null;
  readonly channels?: readonly Channel[] | null;
  readonly name?: string | null;
}

/** The @oneOf input: exactly one member is set (GraphQL enforces it). */
export interface ConditionInput {
  readonly above?: { threshold: number } | null;
  readonly below?: { threshold: number } | null;
  readonly outsideRange?: { low: number; high: number } | null;
  readonly percentChange?: { percent: number; direction?: 'UP' | 'DOWN' | 'EITHER' | null } | null;
  readonly movingAverageDeviation?: { windowMinutes: number; tolerancePercent: number } | null;
  readonly averageMove?: { windowMinutes: number; tolerancePercent: number } | null;
}

export const DEFAULT_COOLDOWN_SECONDS = 30 * 60;
export const DEFAULT_HYSTERESIS_PERCENT = 0.5;
export const NAME_MAX_LENGTH = 100;
const WINDOWS = [5, 10, 15];

/** What the rule is built around: who owns it and which version it becomes. */
export interface RuleFrame {
  readonly id: string;
  readonly userId: string;
  readonly version: number;
  readonly createdAt: string;
  readonly now: Date;
  readonly webhookConfigured: boolean;
  readonly thresholds?: boolean;
}

export function validTicker(input: string, field: string): string {
  const ticker = normalizeTicker(input);
  if (!ticker) {
    throw badInput(
      field,
      'a ticker is 1-15 characters of A-Z, 0-9 and . ^ = - (like AAPL, BRK-B, ^GSPC)',
    );
  }
  return ticker;
}

function positivePrice(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw badInput(field, 'must be a finite number above 0');
  return value;
}

function percentIn(value: number, max: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw badInput(field, `must be above 0 and at most ${max}`);
  }
  return value;
}

function window(value: number, field: string): 5 | 10 | 15 {
  if (!WINDOWS.includes(value)) throw badInput(field, 'must be 5, 10 or 15');
  return value as 5 | 10 | 15;
}

export function conditionFrom(input: ConditionInput, field = 'input.condition'): Condition {
  const set = Object.entries(input).filter(([, value]) => value !== null && value !== undefined);
  if (set.length !== 1) throw badInput(field, 'give exactly one kind of condition');
  if (input.above) {
    return {
      type: 'ABOVE',
      threshold: positivePrice(input.above.threshold, `${field}.above.threshold`),
    };
  }
  if (input.below) {
    return {
      type: 'BELOW',
      threshold: positivePrice(input.below.threshold, `${field}.below.threshold`),
    };
  }
  if (input.outsideRange)
    return rangeCondition(input.outsideRange.low, input.outsideRange.high, `${field}.outsideRange`);
  if (input.percentChange) {
    return {
      type: 'PERCENT_CHANGE',
      percent: percentIn(input.percentChange.percent, 1000, `${field}.percentChange.percent`),
      direction: input.percentChange.direction ?? 'EITHER',
    };
  }
  const windowed = input.movingAverageDeviation ?? input.averageMove;
  const name = input.movingAverageDeviation ? 'movingAverageDeviation' : 'averageMove';
  if (!windowed) throw badInput(field, 'give exactly one kind of condition');
  return {
    type: input.movingAverageDeviation ? 'MOVING_AVERAGE_DEVIATION' : 'AVERAGE_MOVE',
    windowMinutes: window(windowed.windowMinutes, `${field}.${name}.windowMinutes`),
    tolerancePercent: percentIn(
      windowed.tolerancePercent,
      100,
      `${field}.${name}.tolerancePercent`,
    ),
  };
}

/** OUTSIDE_RANGE with `low` < `high`, both finite and positive (setThresholds uses it too). */
export function rangeCondition(low: number, high: number, field: string): Condition {
  const lowField = field ? `${field}.low` : 'low';
  const highField = field ? `${field}.high` : 'high';
  positivePrice(low, lowField);
  positivePrice(high, highField);
  if (low >= high) throw badInput(lowField, 'must be below high');
  return { type: 'OUTSIDE_RANGE', low, high };
}

function channelsFrom(
  input: readonly Channel[] | null | undefined,
  webhookConfigured: boolean,
): Channel[] {
  const channels = [...new Set<Channel>(input ?? ['EMAIL'])];
  if (channels.length === 0) throw badInput('input.channels', 'give at least one channel');
  if (channels.includes('WEBHOOK') && !webhookConfigured) {
    throw badInput('input.channels', 'WEBHOOK needs a webhook: call setWebhook first');
  }
  return channels;
}

function boundedInt(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** The rule `input` describes, in its frame; throws BAD_USER_INPUT naming the field. */
export function ruleFromInput(input: AlertRuleInput, frame: RuleFrame): StoredRule {
  const ticker = validTicker(input.ticker, 'input.ticker');
  const condition = conditionFrom(input.condition);
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt && expiresAt.getTime() <= frame.now.getTime()) {
    throw badInput('input.expiresAt', 'must be in the future');
  }
  const name = input.name?.trim() ?? null;
  if (name !== null && name.length > NAME_MAX_LENGTH) {
    throw badInput('input.name', `must be at most ${NAME_MAX_LENGTH} characters`);
  }
  const rule: StoredRule = {
    id: frame.id,
    userId: frame.userId,
    ticker,
    condition,
    frequency: input.frequency ?? 'ONCE',
    cooldownSeconds: boundedInt(
      input.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
      0,
      7 * 24 * 3600,
      'input.cooldownSeconds',
    ),
    hysteresisPercent: input.hysteresisPercent ?? DEFAULT_HYSTERESIS_PERCENT,
    expiresAt: expiresAt?.toISOString() ?? null,
    paused: input.paused ?? false,
    channels: channelsFrom(input.channels, frame.webhookConfigured),
    version: frame.version,
    createdAt: frame.createdAt,
    updatedAt: frame.now.toISOString(),
    name: name === '' ? null : name,
    thresholds: frame.thresholds ?? false,
  };
  checkAgainstContract(rule);
  return rule;
}

/** The last word is the contract's: an issue it finds is reported on the input field. */
export function checkAgainstContract(rule: StoredRule): void {
  const parsed = Rule.safeParse(rule);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).join('.');
  throw badInput(path ? `input.${path}` : 'input', issue?.message ?? 'invalid rule');
}
