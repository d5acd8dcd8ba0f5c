/**
 * What a delivery batch publishes of its moving averages: the newest average of each (ticker,
 * window) the batch moved, all in one `averages.updated` event (several past
 * MAX_AVERAGES_PER_EVENT). Its consumers (the gateway's read model and live feed) keep only
 * the newest average of a window, and AVERAGE_MOVE is evaluated in the alerter from every
 * quote, so the averages of a ticker's older quotes in the same batch would be published only
 * to be replaced. One message per batch, because the broker's cost is per message: one
 * confirmed event per (ticker, window) cost the broker and the alerter more than all the rest
 * of a quote's handling under a backlog.
 *
 * The event's id derives from what it carries, so the same batch evaluated again after a crash
 * repeats it. A redelivery cut into other batches carries other sets, under other ids: harmless,
 * since the consumers keep the newest average of each (ticker, window) by market time.
 */
import {
  MAX_AVERAGES_PER_EVENT,
  type Event,
  type EventType,
  type MovingAverage,
} from '@tickwatch/contracts';
import type { WindowAverage } from './moving-windows.ts';
import { averagesUpdated } from './outgoing-events.ts';
import { AVERAGE_WINDOWS } from './signals.ts';

type AveragesEvent = Event<typeof EventType.averagesUpdated>;

export class NewestAverages {
  /** Per ticker, the newest average of each window (position as AVERAGE_WINDOWS). */
  readonly #byTicker = new Map<string, MovingAverage[]>();

  /** A quote's warm windows' averages; quotes of a ticker come in increasing market time. */
  add(ticker: string, averages: readonly WindowAverage[], marketTime: string): void {
    if (averages.length === 0) return;
    let windows = this.#byTicker.get(ticker);
    if (!windows) {
      windows = [];
      this.#byTicker.set(ticker, windows);
    }
    for (const { windowMinutes, average, previousAverage, sampleCount } of averages) {
      windows[AVERAGE_WINDOWS.indexOf(windowMinutes)] = {
        ticker,
        windowMinutes,
        average,
        previousAverage,
        sampleCount,
        marketTime,
      };
    }
  }

  /** The newest average of each (ticker, window), in as few events as the cap allows. */
  events(): AveragesEvent[] {
    // A window never warm in this batch is a hole in its ticker's array: flat() skips it.
    const averages = [...this.#byTicker.values()].flat();
    const events: AveragesEvent[] = [];
    for (let at = 0; at < averages.length; at += MAX_AVERAGES_PER_EVENT) {
      events.push(averagesUpdated(averages.slice(at, at + MAX_AVERAGES_PER_EVENT)));
    }
    return events;
  }
}
