/**
 * A ticker's sliding 5, 10 and 15-minute averages over market time (not arrival time): the
 * window ending at a quote holds the quotes of the last w minutes, (t - w, t]. One list of
 * samples serves the three windows (each shorter one is a suffix of the longest); each window
 * keeps its start position and a running sum, so a quote costs O(1) amortised: it is added
 * once and leaves each window once.
 *
 * A window is warm once its samples have covered its whole length without a gap: it has not
 * been empty since at least w minutes ago. Cold windows publish nothing, so a 15-minute average
 * never rests on the first minute of data (or on one quote after a night's gap), and the first
 * warm average has no previous one (`previousAverage` null) to move from.
 *
 * Quotes must come in increasing market time (the ticker book drops the others before this).
 */
import { AVERAGE_WINDOWS, type AverageWindow } from './signals.ts';

const MINUTE_MS = 60_000;

export interface WindowAverage {
  readonly windowMinutes: AverageWindow;
  readonly average: number;
  /** The window's average at the previous quote, null if it was not warm then. */
  readonly previousAverage: number | null;
  readonly sampleCount: number;
}

/** What a window keeps besides the shared samples; persisted as is (sums stay bit-exact). */
export interface WindowState {
  readonly sum: number;
  /** Market time (ms) since which the window has never been empty; null while empty. */
  readonly since: number | null;
  readonly lastAverage: number | null;
}

export interface MovingWindowsSnapshot {
  /** [market time ms, price] of the quotes inside the longest window, oldest first. */
  readonly samples: readonly (readonly [number, number])[];
  readonly windows: readonly WindowState[];
}

interface Window {
  readonly minutes: AverageWindow;
  readonly lengthMs: number;
  /** Position of its oldest sample in the shared lists. */
  start: number;
  sum: number;
  since: number | null;
  lastAverage: number | null;
}

export class MovingWindows {
  #times: number[] = [];
  #prices: number[] = [];
  readonly #windows: Window[];

  constructor(snapshot?: MovingWindowsSnapshot) {
    this.#windows = AVERAGE_WINDOWS.map((minutes, i) => {
      const state = snapshot?.windows[i];
      return {
        minutes,
        lengthMs: minutes * MINUTE_MS,
        start: 0,
        sum: state?.sum ?? 0,
        since: state?.since ?? null,
        lastAverage: state?.lastAverage ?? null,
      };
    });
    if (!snapshot) return;
    for (const [time, price] of snapshot.samples) {
      this.#times.push(time);
      this.#prices.push(price);
    }
    const newest = this.#times.at(-1);
    if (newest === undefined) return;
    for (const window of this.#windows) {
      while ((this.#times[window.start] ?? Infinity) <= newest - window.lengthMs) window.start++;
    }
  }

  /** Adds a quote; returns the average of every warm window. */
  add(timeMs: number, price: number): WindowAverage[] {
    const averages: WindowAverage[] = [];
    const times = this.#times;
    const prices = this.#prices;
    for (const window of this.#windows) {
      const cutoff = timeMs - window.lengthMs;
      while (window.start < times.length && (times[window.start] ?? Infinity) <= cutoff) {
        window.sum -= prices[window.start] ?? 0;
        window.start++;
      }
      if (window.start === times.length) {
        // Empty before this quote: a new run starts, and the sum restarts from exact zero.
        window.sum = 0;
        window.since = timeMs;
      }
      window.sum += price;
    }
    times.push(timeMs);
    prices.push(price);
    for (const window of this.#windows) {
      const count = times.length - window.start;
      const warm = window.since !== null && window.since <= timeMs - window.lengthMs;
      const average = window.sum / count;
      if (warm) {
        averages.push({
          windowMinutes: window.minutes,
          average,
          previousAverage: window.lastAverage,
          sampleCount: count,
        });
      }
      window.lastAverage = warm ? average : null;
    }
    this.#dropExpired();
    return averages;
  }

  snapshot(): MovingWindowsSnapshot {
    const first = this.#oldestStart();
    return {
      samples: this.#times.slice(first).map((time, i) => [time, this.#prices[first + i] ?? 0]),
      windows: this.#windows.map(({ sum, since, lastAverage }) => ({ sum, since, lastAverage })),
    };
  }

  /** The longest window starts first. */
  #oldestStart(): number {
    return this.#windows.at(-1)?.start ?? 0;
  }

  /** Forgets samples no window holds any more, in one move once they are half the list. */
  #dropExpired(): void {
    const first = this.#oldestStart();
    if (first < 64 || first * 2 < this.#times.length) return;
    this.#times = this.#times.slice(first);
    this.#prices = this.#prices.slice(first);
    for (const window of this.#windows) window.start -= first;
  }
}
