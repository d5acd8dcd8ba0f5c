/**
 * Every condition as thresholds on one signal (signals.ts): it holds while the signal is at or
 * above its `upper` level, or at or below its `lower` level (touching a threshold counts as
 * reaching it). At most one side holds at a time, because lower < upper.
 *
 * | condition                          | signal        | upper       | lower        |
 * | ---------------------------------- | ------------- | ----------- | ------------ |
 * | ABOVE t                            | price         | t           |              |
 * | BELOW t                            | price         |             | t            |
 * | OUTSIDE_RANGE low, high            | price         | high        | low          |
 * | PERCENT_CHANGE p UP / DOWN / EITHER| change        | p / - / p   | - / -p / -p  |
 * | MOVING_AVERAGE_DEVIATION w, tol    | deviation:w   | tol         | -tol         |
 * | AVERAGE_MOVE w, tol                | move:w        | tol         | -tol         |
 *
 * EVERY_CROSSING re-arms a side once the signal went back past its re-arm level: the
 * threshold moved back by the hysteresis (percent of the threshold's size), strictly past it,
 * so with no hysteresis a price must leave the threshold before it can cross it again.
 */
import type { Condition, Rule } from '@tickwatch/contracts';
import {
  CHANGE_SIGNAL,
  deviationSignal,
  moveSignal,
  PRICE_SIGNAL,
  type SignalIndex,
} from './signals.ts';

/** Which side of a condition holds: the signal reached its upper or its lower threshold. */
export type Side = 'UPPER' | 'LOWER';

export interface Levels {
  readonly signal: SignalIndex;
  /** NaN when the condition has no such side. */
  readonly upper: number;
  readonly lower: number;
  /** EVERY_CROSSING only (NaN otherwise): the side re-arms when the signal goes past this. */
  readonly upperRearm: number;
  readonly lowerRearm: number;
}

interface Thresholds {
  readonly signal: SignalIndex;
  readonly upper: number;
  readonly lower: number;
}

function thresholdsOf(condition: Condition): Thresholds {
  const none = Number.NaN;
  switch (condition.type) {
    case 'ABOVE':
      return { signal: PRICE_SIGNAL, upper: condition.threshold, lower: none };
    case 'BELOW':
      return { signal: PRICE_SIGNAL, upper: none, lower: condition.threshold };
    case 'OUTSIDE_RANGE':
      return { signal: PRICE_SIGNAL, upper: condition.high, lower: condition.low };
    case 'PERCENT_CHANGE':
      return {
        signal: CHANGE_SIGNAL,
        upper: condition.direction === 'DOWN' ? none : condition.percent,
        lower: condition.direction === 'UP' ? none : -condition.percent,
      };
    case 'MOVING_AVERAGE_DEVIATION':
      return {
        signal: deviationSignal(condition.windowMinutes),
        upper: condition.tolerancePercent,
        lower: -condition.tolerancePercent,
      };
    case 'AVERAGE_MOVE':
      return {
        signal: moveSignal(condition.windowMinutes),
        upper: condition.tolerancePercent,
        lower: -condition.tolerancePercent,
      };
    default:
      throw new Error(`unknown condition ${(condition as { type: string }).type}`);
  }
}

export function levelsOf(rule: Rule): Levels {
  const { signal, upper, lower } = thresholdsOf(rule.condition);
  if (rule.frequency !== 'EVERY_CROSSING') {
    return { signal, upper, lower, upperRearm: Number.NaN, lowerRearm: Number.NaN };
  }
  const share = rule.hysteresisPercent / 100;
  return {
    signal,
    upper,
    lower,
    upperRearm: upper - Math.abs(upper) * share,
    lowerRearm: lower + Math.abs(lower) * share,
  };
}

/** The side that holds at signal value `value` (NaN, i.e. unknown, holds nothing). */
export function sideAt(levels: Levels, value: number): Side | null {
  if (value >= levels.upper) return 'UPPER';
  if (value <= levels.lower) return 'LOWER';
  return null;
}
