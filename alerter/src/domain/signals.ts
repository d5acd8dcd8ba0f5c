/**
 * The quantities a rule's condition watches, one number per tick each. Every condition is a
 * threshold on one of them (conditions.ts), which is what lets one sorted index per signal
 * answer "whose thresholds did this tick cross" for every kind of rule alike.
 *
 * - `price`: the quote.
 * - `change`: percent change versus the previous close (PERCENT_CHANGE).
 * - `deviation:<w>`: percent by which the price deviates from the w-minute moving average
 *   (MOVING_AVERAGE_DEVIATION).
 * - `move:<w>`: percent by which the w-minute average moved since its previous value
 *   (AVERAGE_MOVE, the original stream processor's alarm).
 *
 * A signal is undefined on a tick that cannot give it (no previous close; a window not yet
 * covering its length); rules on it then wait, nothing about them changes.
 */
import type { WindowAverage } from './moving-windows.ts';

export const AVERAGE_WINDOWS = [5, 10, 15] as const;
export type AverageWindow = (typeof AVERAGE_WINDOWS)[number];

export const SIGNALS = [
  'price',
  'change',
  'deviation:5',
  'deviation:10',
  'deviation:15',
  'move:5',
  'move:10',
  'move:15',
] as const;
export type Signal = (typeof SIGNALS)[number];
/** Position of a signal in SIGNALS: arrays indexed by it are cheaper than maps on the hot path. */
export type SignalIndex = number;

export const signalIndex = (signal: Signal): SignalIndex => SIGNALS.indexOf(signal);

const windowPosition = (windowMinutes: AverageWindow): number =>
  AVERAGE_WINDOWS.indexOf(windowMinutes);

export const deviationSignal = (windowMinutes: AverageWindow): SignalIndex =>
  2 + windowPosition(windowMinutes);
export const moveSignal = (windowMinutes: AverageWindow): SignalIndex =>
  5 + windowPosition(windowMinutes);

export const PRICE_SIGNAL: SignalIndex = 0;
export const CHANGE_SIGNAL: SignalIndex = 1;

/** What a tick gives each signal (NaN = undefined on this tick), and what rules refer to. */
export interface SignalValues {
  readonly values: Float64Array;
  /** The number a rule of each signal is compared against (previous close, average...). */
  readonly references: Float64Array;
}

const percentFrom = (value: number, reference: number): number =>
  ((value - reference) / reference) * 100;

export function emptySignalValues(): SignalValues {
  return {
    values: new Float64Array(SIGNALS.length).fill(Number.NaN),
    references: new Float64Array(SIGNALS.length).fill(Number.NaN),
  };
}

/**
 * Fills `into` with the tick's value of every signal, from its price, previous close and window
 * averages (the arrays are reused from tick to tick: no allocation on the hot path).
 */
export function computeSignals(
  into: SignalValues,
  price: number,
  previousClose: number | null,
  averages: readonly WindowAverage[],
): SignalValues {
  const { values, references } = into;
  values.fill(Number.NaN);
  references.fill(Number.NaN);
  values[PRICE_SIGNAL] = price;
  if (previousClose !== null) {
    values[CHANGE_SIGNAL] = percentFrom(price, previousClose);
    references[CHANGE_SIGNAL] = previousClose;
  }
  for (const average of averages) {
    const deviation = deviationSignal(average.windowMinutes);
    values[deviation] = percentFrom(price, average.average);
    references[deviation] = average.average;
    if (average.previousAverage !== null) {
      const move = moveSignal(average.windowMinutes);
      values[move] = percentFrom(average.average, average.previousAverage);
      references[move] = average.previousAverage;
    }
  }
  return into;
}
