/**
 * What every quote source (Yahoo, the simulated market, a recording) hands the collector: raw
 * quotes as the source reports them (minor currency units, possibly missing or absurd prices),
 * and the tickers it does not know. Hygiene (hygiene.ts) decides what becomes a price.updated.
 */
import type { EventData, EventType, MarketState } from '@tickwatch/contracts';

/** The `source` field of the events: `recorded` for the replay source. */
export type QuoteSourceName = 'yahoo' | 'simulated' | 'recorded';

export interface SourceQuote {
  readonly ticker: string;
  /** As reported: in minor units for GBp/ZAc/ILA; undefined when the source sent none. */
  readonly price: number | undefined;
  /** As reported, case kept (GBp is pence, GBP pounds). */
  readonly currency: string | undefined;
  readonly exchange: string;
  readonly exchangeTimeZone: string;
  readonly marketState: MarketState;
  /** When the exchange set the price; undefined when the source sent none. */
  readonly marketTime: Date | undefined;
  readonly delayMinutes: number;
  readonly previousClose: number | undefined;
  readonly dayLow: number | undefined;
  readonly dayHigh: number | undefined;
  readonly volume: number | undefined;
}

export interface SourceRejection {
  readonly ticker: string;
  readonly reason: EventData<typeof EventType.tickerRejected>['reason'];
  /** What the source said, for people. */
  readonly detail: string;
}

/** The answer to one batch request. */
export interface BatchResult {
  readonly quotes: readonly SourceQuote[];
  readonly rejected: readonly SourceRejection[];
}

export interface QuoteSource {
  readonly name: QuoteSourceName;
  /**
   * Resolves when the next request may go out (rate limit, back-off after a 429); at once for
   * local sources. Called before each batch, outside the circuit breaker, so waiting for a
   * token never counts as a slow fetch.
   */
  pace(): Promise<void>;
  /** Quotes for at most QUOTE_BATCH_SIZE tickers; `signal` aborts the request (breaker timeout). */
  fetchBatch(tickers: readonly string[], signal: AbortSignal): Promise<BatchResult>;
  /** Releases timers and files. */
  close(): Promise<void>;
}
