/**
 * Plays a recording (recording.ts) as if the market were live. At `speed` 1 the recording's
 * market times unfold at wall-clock pace from the moment the source is created (2 = twice as
 * fast); each fetch returns, per ticker, the newest recorded quote whose time has come. At
 * speed 0 every fetch returns each ticker's next quote, as fast as the collector asks (the
 * benchmark). At the end it starts over with market times shifted past the last lap, so time
 * keeps advancing and every lap is published. Tickers absent from the recording are unknown.
 */
import type { QuoteSource, SourceQuote } from '../../quotes/source.ts';

export interface ReplayOptions {
  readonly quotes: readonly SourceQuote[];
  /** 1 = as recorded, 0 = as fast as asked. */
  readonly speed: number;
  readonly clock?: () => number;
}

interface Track {
  /** The ticker's quotes in market-time order. */
  readonly quotes: readonly (SourceQuote & { readonly marketTime: Date })[];
  /** Speed 0: quotes handed out so far. */
  played: number;
}

/** Gap between the end of one lap and the start of the next, market time. */
const LAP_GAP_MS = 1_000;

export function createReplaySource(options: ReplayOptions): QuoteSource {
  const clock = options.clock ?? Date.now;
  const tracks = tracksOf(options.quotes);
  const { first, last } = timeRange(tracks);
  const lapMs = last - first + LAP_GAP_MS;
  const wallStart = clock();

  const shifted = (quote: SourceQuote & { marketTime: Date }, laps: number): SourceQuote => ({
    ...quote,
    marketTime: new Date(quote.marketTime.getTime() + laps * lapMs),
  });

  /** Speed 0: the ticker's next quote. */
  const next = (track: Track): SourceQuote => {
    const index = track.played % track.quotes.length;
    const laps = Math.floor(track.played / track.quotes.length);
    track.played += 1;
    return shifted(track.quotes[index] as SourceQuote & { marketTime: Date }, laps);
  };

  /** Paced: the newest quote at the replay position, from this lap or the one before. */
  const at = (track: Track, position: number): SourceQuote | undefined => {
    const laps = Math.floor((position - first) / lapMs);
    const inLap = position - laps * lapMs;
    const index = lastAtOrBefore(track.quotes, inLap);
    if (index >= 0) return shifted(track.quotes[index] as SourceQuote & { marketTime: Date }, laps);
    const last = track.quotes.at(-1);
    return laps > 0 && last ? shifted(last, laps - 1) : undefined;
  };

  return {
    name: 'recorded',
    pace: () => Promise.resolve(),
    fetchBatch(tickers) {
      const position = first + (clock() - wallStart) * options.speed;
      const quotes: SourceQuote[] = [];
      const rejected = [];
      for (const ticker of tickers) {
        const track = tracks.get(ticker);
        if (!track) {
          rejected.push({
            ticker,
            reason: 'UNKNOWN_SYMBOL' as const,
            detail: `${ticker} is not in the recording`,
          });
          continue;
        }
        const quote = options.speed === 0 ? next(track) : at(track, position);
        if (quote) quotes.push(quote);
      }
      return Promise.resolve({ quotes, rejected });
    },
    close: () => Promise.resolve(),
  };
}

function tracksOf(quotes: readonly SourceQuote[]): Map<string, Track> {
  const tracks = new Map<string, (SourceQuote & { marketTime: Date })[]>();
  for (const quote of quotes) {
    if (!quote.marketTime) continue;
    const track = tracks.get(quote.ticker) ?? [];
    track.push(quote as SourceQuote & { marketTime: Date });
    tracks.set(quote.ticker, track);
  }
  return new Map(
    [...tracks].map(([ticker, track]) => [
      ticker,
      { quotes: track.sort((a, b) => a.marketTime.getTime() - b.marketTime.getTime()), played: 0 },
    ]),
  );
}

/** Earliest and latest market time of the recording (no spread: recordings can be large). */
function timeRange(tracks: ReadonlyMap<string, Track>): { first: number; last: number } {
  let first = Infinity;
  let last = -Infinity;
  for (const { quotes } of tracks.values()) {
    first = Math.min(first, quotes[0]?.marketTime.getTime() ?? Infinity);
    last = Math.max(last, quotes.at(-1)?.marketTime.getTime() ?? -Infinity);
  }
  if (first === Infinity) throw new Error('the recording holds no quote with a market time');
  return { first, last };
}

/** Index of the last quote with market time ≤ `instant`, or -1 (binary search). */
function lastAtOrBefore(quotes: readonly { marketTime: Date }[], instant: number): number {
  let low = 0;
  let high = quotes.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((quotes[middle]?.marketTime.getTime() ?? Infinity) <= instant) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}
