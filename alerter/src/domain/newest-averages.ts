/**
 * The `average.updated` events a delivery batch publishes: only the newest average of each
 * (ticker, window) the batch moved. Its consumers (the gateway's read model and live feed)
 * keep only the newest average of a window, and AVERAGE_MOVE is evaluated in the alerter from
 * every quote, so the averages of a ticker's older quotes in the same batch would be published
 * only to be replaced. A backlog of n quotes of a ticker in one batch thus costs at most one
 * confirmed publish per window instead of n.
 *
 * Each event keeps the id derived from its own quote (ticker, window, market time): a batch
 * evaluated again after a crash publishes its newest averages under the same ids, dropped
 * downstream as repeats.
 */
import type { EventType } from '@tickwatch/contracts';
import { type Event } from '@tickwatch/contracts';
import type { WindowAverage } from './moving-windows.ts';
import { averageUpdated } from './outgoing-events.ts';
import { AVERAGE_WINDOWS } from './signals.ts';

type AverageEvent = Event<typeof EventType.averageUpdated>;

interface Newest {
  readonly average: WindowAverage;
  readonly marketTime: string;
}

export class NewestAverages {
  /** Per ticker, the newest average of each window (position as AVERAGE_WINDOWS). */
  readonly #byTicker = new Map<string, (Newest | undefined)[]>();

  /** A quote's warm windows' averages; quotes of a ticker come in increasing market time. */
  add(ticker: string, averages: readonly WindowAverage[], marketTime: string): void {
    if (averages.length === 0) return;
    let windows = this.#byTicker.get(ticker);
    if (!windows) {
      windows = [];
      this.#byTicker.set(ticker, windows);
    }
    for (const average of averages) {
      windows[AVERAGE_WINDOWS.indexOf(average.windowMinutes)] = { average, marketTime };
    }
  }

  /** One event per (ticker, window): its newest average. */
  events(): AverageEvent[] {
    const events: AverageEvent[] = [];
    for (const [ticker, windows] of this.#byTicker) {
      for (const newest of windows) {
        if (newest) events.push(averageUpdated(ticker, newest.average, newest.marketTime));
      }
    }
    return events;
  }
}
