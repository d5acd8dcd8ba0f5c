/**
 * The obvious evaluator: every rule, every quote, no index. It is the oracle the ticker book is
 * checked against (same firings, property test) and the baseline the benchmark measures it
 * against; the original systems compared each price with each user's thresholds this way.
 */
import type { Rule } from '@tickwatch/contracts';
import { levelsOf, type Levels } from './conditions.ts';
import { MovingWindows } from './moving-windows.ts';
import { computeSignals, emptySignalValues, SIGNALS } from './signals.ts';
import type { Tick } from './ticker-book.ts';
import { freshState, step, type TriggerState } from './trigger.ts';

interface ScannedRule {
  readonly rule: Rule;
  readonly levels: Levels;
  state: TriggerState;
}

export interface ScanFiring {
  readonly ruleId: string;
  readonly sequence: number;
  readonly side: string;
}

export class NaiveScan {
  readonly #rules = new Map<string, ScannedRule>();
  readonly #lastValues = new Float64Array(SIGNALS.length).fill(Number.NaN);
  readonly #windows = new MovingWindows();
  readonly #signals = emptySignalValues();
  #lastMarketTime = Number.NEGATIVE_INFINITY;

  addRule(rule: Rule): void {
    const levels = levelsOf(rule);
    const value = this.#lastValues[levels.signal] ?? Number.NaN;
    this.#rules.set(rule.id, { rule, levels, state: freshState(rule, levels, value) });
  }

  removeRule(ruleId: string): void {
    this.#rules.delete(ruleId);
  }

  applyTick(tick: Tick, now: number): ScanFiring[] {
    if (tick.marketTime <= this.#lastMarketTime) return [];
    this.#lastMarketTime = tick.marketTime;
    const averages = this.#windows.add(tick.marketTime, tick.price);
    const { values } = computeSignals(this.#signals, tick.price, tick.previousClose, averages);
    const horizon = Math.max(tick.marketTime, now);
    const firings: ScanFiring[] = [];
    for (const scanned of this.#rules.values()) {
      const { rule, levels } = scanned;
      const value = values[levels.signal] ?? Number.NaN;
      if (rule.paused || Number.isNaN(value)) continue;
      if (rule.expiresAt !== null && Date.parse(rule.expiresAt) <= horizon) continue;
      const previous = this.#lastValues[levels.signal] ?? Number.NaN;
      const moment = { time: tick.marketTime, timeZone: tick.timeZone };
      const { state, fired } = step(rule, levels, scanned.state, previous, value, moment);
      scanned.state = state;
      if (fired) firings.push({ ruleId: rule.id, sequence: state.sequence, side: fired });
    }
    values.forEach((value, signal) => {
      if (!Number.isNaN(value)) this.#lastValues[signal] = value;
    });
    return firings;
  }
}
