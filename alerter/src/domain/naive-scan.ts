/**
 * The obvious evaluator: every rule of every user looked at for every quote, no index. It is
 * the oracle the ticker book is checked against (same firings, property test) and the baseline
 * the benchmark measures it against; the original systems compared each price with each
 * user's thresholds this way. Holding one ticker's rules, it is a scan of that ticker's rules.
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

/** What the scan keeps per ticker between quotes. */
interface ScannedTicker {
  readonly lastValues: Float64Array;
  readonly windows: MovingWindows;
  lastMarketTime: number;
}

export interface ScanFiring {
  readonly ruleId: string;
  readonly sequence: number;
  readonly side: string;
}

export class NaiveScan {
  readonly #rules = new Map<string, ScannedRule>();
  readonly #tickers = new Map<string, ScannedTicker>();
  readonly #signals = emptySignalValues();

  addRule(rule: Rule): void {
    const levels = levelsOf(rule);
    const value = this.#ticker(rule.ticker).lastValues[levels.signal] ?? Number.NaN;
    this.#rules.set(rule.id, { rule, levels, state: freshState(rule, levels, value) });
  }

  removeRule(ruleId: string): void {
    this.#rules.delete(ruleId);
  }

  applyTick(ticker: string, tick: Tick, now: number): ScanFiring[] {
    const known = this.#ticker(ticker);
    if (tick.marketTime <= known.lastMarketTime) return [];
    known.lastMarketTime = tick.marketTime;
    const averages = known.windows.add(tick.marketTime, tick.price);
    const { values } = computeSignals(this.#signals, tick.price, tick.previousClose, averages);
    const horizon = Math.max(tick.marketTime, now);
    const moment = { time: tick.marketTime, timeZone: tick.timeZone };
    const firings: ScanFiring[] = [];
    for (const scanned of this.#rules.values()) {
      const { rule, levels } = scanned;
      if (rule.ticker !== ticker) continue;
      const value = values[levels.signal] ?? Number.NaN;
      if (rule.paused || Number.isNaN(value)) continue;
      if (rule.expiresAt !== null && Date.parse(rule.expiresAt) <= horizon) continue;
      const previous = known.lastValues[levels.signal] ?? Number.NaN;
      const { state, fired } = step(rule, levels, scanned.state, previous, value, moment);
      scanned.state = state;
      if (fired) firings.push({ ruleId: rule.id, sequence: state.sequence, side: fired });
    }
    values.forEach((value, signal) => {
      if (!Number.isNaN(value)) known.lastValues[signal] = value;
    });
    return firings;
  }

  #ticker(ticker: string): ScannedTicker {
    let known = this.#tickers.get(ticker);
    if (!known) {
      known = {
        lastValues: new Float64Array(SIGNALS.length).fill(Number.NaN),
        windows: new MovingWindows(),
        lastMarketTime: Number.NEGATIVE_INFINITY,
      };
      this.#tickers.set(ticker, known);
    }
    return known;
  }
}
