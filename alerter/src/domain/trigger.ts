/**
 * One rule's trigger state and how a tick moves it (pure: state and tick in, state and firing
 * out). The ticker book calls `step` only for rules whose thresholds a tick crossed or whose
 * waiting time came; a scan of all rules may call it for every rule on every tick and gets
 * the same firings (the property test checks exactly that).
 *
 * | frequency      | fires                                                                 |
 * | -------------- | --------------------------------------------------------------------- |
 * | ONCE           | on the first quote where the condition holds; then never again        |
 * | ONCE_PER_DAY   | on the first quote of each trading day where it holds                 |
 * | EVERY_CROSSING | when the signal crosses into a side that is armed; the side re-arms   |
 * |                | once the signal went back past threshold ∓ hysteresis                 |
 * | WHILE_TRUE     | on every quote where it holds, at most once per cooldown              |
 *
 * A condition that already holds when the rule starts (created, changed, resumed) fires on the
 * next quote for ONCE, ONCE_PER_DAY and WHILE_TRUE (it holds), not for EVERY_CROSSING (nothing
 * crossed): that side starts disarmed. Each rule version starts afresh: sequence 1, armed,
 * no cooldown running.
 */
import type { Frequency, Rule } from '@tickwatch/contracts';
import { sideAt, type Levels, type Side } from './conditions.ts';
import { startOfNextTradingDay, tradingDay } from './trading-day.ts';

export interface TriggerState {
  /** The rule version this state belongs to; a new version starts from `freshState`. */
  readonly version: number;
  /** Firings of this version so far; the next alert's sequence is this + 1. */
  readonly sequence: number;
  /** EVERY_CROSSING: whether entering each side fires. */
  readonly upperArmed: boolean;
  readonly lowerArmed: boolean;
  readonly lastSide: Side | null;
  /** Market time (ms) of the last firing. */
  readonly lastFiredAt: number | null;
  /** ONCE_PER_DAY: the exchange date of the last firing. */
  readonly lastFiredDay: string | null;
  /** ONCE: fired, never again. */
  readonly retired: boolean;
}

/** The quote a step looks at. */
export interface TickMoment {
  /** Market time, ms. */
  readonly time: number;
  /** The exchange's IANA time zone (trading days). */
  readonly timeZone: string;
}

export interface StepResult {
  readonly state: TriggerState;
  /** The side that fired, null when nothing did. */
  readonly fired: Side | null;
}

/** Frequencies that fire on a level (the condition holding), not on an edge. */
export const isLevelFrequency = (frequency: Frequency): boolean => frequency !== 'EVERY_CROSSING';

/**
 * The state a rule version starts with; `value` is its signal's current value (NaN: none yet).
 * A side that already holds starts disarmed, so EVERY_CROSSING waits for a real crossing.
 */
export function freshState(rule: Rule, levels: Levels, value: number): TriggerState {
  const side = sideAt(levels, value);
  return {
    version: rule.version,
    sequence: 0,
    upperArmed: side !== 'UPPER',
    lowerArmed: side !== 'LOWER',
    lastSide: null,
    lastFiredAt: null,
    lastFiredDay: null,
    retired: false,
  };
}

/**
 * Moves the state for a quote whose signal value went from `previous` to `value` (NaN:
 * unknown before, e.g. the ticker's first quote: nothing crossed, nothing fires on an edge).
 */
export function step(
  rule: Rule,
  levels: Levels,
  state: TriggerState,
  previous: number,
  value: number,
  tick: TickMoment,
): StepResult {
  if (state.retired) return { state, fired: null };
  const side = sideAt(levels, value);
  if (rule.frequency === 'EVERY_CROSSING') {
    return stepCrossing(levels, state, previous, value, side, tick);
  }
  if (side === null || !isEligible(rule, state, tick)) return { state, fired: null };
  return { state: fire(rule, state, side, tick), fired: side };
}

function stepCrossing(
  levels: Levels,
  state: TriggerState,
  previous: number,
  value: number,
  side: Side | null,
  tick: TickMoment,
): StepResult {
  let upperArmed = state.upperArmed || value < levels.upperRearm;
  let lowerArmed = state.lowerArmed || value > levels.lowerRearm;
  let fired: Side | null = null;
  if (side === 'UPPER' && upperArmed) {
    upperArmed = false;
    if (!Number.isNaN(previous)) fired = side;
  } else if (side === 'LOWER' && lowerArmed) {
    lowerArmed = false;
    if (!Number.isNaN(previous)) fired = side;
  }
  if (upperArmed === state.upperArmed && lowerArmed === state.lowerArmed) {
    return { state, fired: null };
  }
  const next = { ...state, upperArmed, lowerArmed };
  if (fired === null) return { state: next, fired };
  return {
    state: { ...next, sequence: state.sequence + 1, lastSide: fired, lastFiredAt: tick.time },
    fired,
  };
}

function isEligible(rule: Rule, state: TriggerState, tick: TickMoment): boolean {
  if (state.lastFiredAt === null) return true;
  if (tick.time <= state.lastFiredAt) return false;
  switch (rule.frequency) {
    case 'ONCE':
      return true; // never fired: retired rules do not get here
    case 'ONCE_PER_DAY':
      return tradingDay(tick.time, tick.timeZone) !== state.lastFiredDay;
    case 'WHILE_TRUE':
      return tick.time >= state.lastFiredAt + rule.cooldownSeconds * 1000;
    case 'EVERY_CROSSING':
      return false; // edges, not levels: stepCrossing decides
  }
}

function fire(rule: Rule, state: TriggerState, side: Side, tick: TickMoment): TriggerState {
  return {
    ...state,
    sequence: state.sequence + 1,
    lastSide: side,
    lastFiredAt: tick.time,
    lastFiredDay:
      rule.frequency === 'ONCE_PER_DAY' ? tradingDay(tick.time, tick.timeZone) : state.lastFiredDay,
    retired: rule.frequency === 'ONCE',
  };
}

/**
 * When a level rule whose condition holds may fire next (market time, ms); -Infinity: at once.
 * The ticker book keeps such rules in a queue by this moment instead of looking at them on
 * every quote.
 */
export function nextEligibleAt(rule: Rule, state: TriggerState, timeZone: string): number {
  if (state.lastFiredAt === null) return Number.NEGATIVE_INFINITY;
  switch (rule.frequency) {
    case 'ONCE_PER_DAY':
      return startOfNextTradingDay(state.lastFiredAt, timeZone);
    case 'WHILE_TRUE':
      return state.lastFiredAt + Math.max(rule.cooldownSeconds * 1000, 1);
    case 'ONCE':
    case 'EVERY_CROSSING':
      return Number.POSITIVE_INFINITY;
  }
}
