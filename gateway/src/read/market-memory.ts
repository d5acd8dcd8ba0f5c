/**
 * What every gateway process keeps in memory of the market: the latest quote per ticker and
 * the tickers the collector's source refused. `quote`/`quotes` answer from here with no
 * database round trip. Warmed from the read model at start, then fed by the events this
 * process sees (its read-model deliveries and its live queue, which gets every price), and
 * caught up from the read model every few seconds for what the lossy live queue dropped.
 */
import type { EventData } from '@tickwatch/contracts';
import type { LatestQuoteRow, ReadModels } from './models.ts';

/** A quote as the API returns it (also the payload type of live price subscriptions). */
export interface Quote {
  readonly ticker: string;
  readonly price: number;
  readonly currency: string;
  readonly exchange: string;
  readonly exchangeTimeZone: string;
  readonly marketState: string;
  readonly marketTime: Date;
  readonly delayMinutes: number;
  readonly previousClose: number | null;
  readonly dayLow: number | null;
  readonly dayHigh: number | null;
  readonly volume: number | null;
  readonly source: string;
  readonly publishedAt: Date;
}

export function quoteFromEvent(
  data: EventData<'tickwatch.price.updated.v1'>,
  publishedAt: string,
): Quote {
  return { ...data, marketTime: new Date(data.marketTime), publishedAt: new Date(publishedAt) };
}

function quoteFromRow(row: LatestQuoteRow): Quote {
  const { _id: _ticker, eventId: _eventId, ...quote } = row;
  return quote;
}

export interface MarketMemory {
  quote(ticker: string): Quote | undefined;
  isRejected(ticker: string): boolean;
  /** Keeps the quote if it is newer (market time) than the one known. */
  offer(quote: Quote): void;
  markRejected(ticker: string): void;
  /** Loads what the read model has (at start), then only what changed since (catch-up). */
  catchUp(): Promise<void>;
  readonly size: number;
}

/** Overlap of two catch-ups, so a row written while the previous one ran is not skipped. */
const CATCH_UP_OVERLAP_MS = 5_000;

export function createMarketMemory(
  models: Pick<ReadModels, 'quotes' | 'rejectedTickers'>,
): MarketMemory {
  const quotes = new Map<string, Quote>();
  const rejected = new Set<string>();
  let caughtUpTo: Date | undefined;

  const offer = (quote: Quote): void => {
    const known = quotes.get(quote.ticker);
    if (known && known.marketTime.getTime() >= quote.marketTime.getTime()) return;
    quotes.set(quote.ticker, quote);
    rejected.delete(quote.ticker);
  };

  return {
    quote: (ticker) => quotes.get(ticker),
    isRejected: (ticker) => rejected.has(ticker),
    offer,
    markRejected: (ticker) => {
      if (!quotes.has(ticker)) rejected.add(ticker);
    },
    async catchUp() {
      const startedAt = new Date();
      const since = caughtUpTo
        ? { publishedAt: { $gte: new Date(caughtUpTo.getTime() - CATCH_UP_OVERLAP_MS) } }
        : {};
      const rows = await models.quotes.find(since).lean<LatestQuoteRow[]>();
      for (const row of rows) offer(quoteFromRow(row));
      const refused = await models.rejectedTickers.find({}, { _id: 1 }).lean<{ _id: string }[]>();
      rejected.clear();
      for (const { _id } of refused) if (!quotes.has(_id)) rejected.add(_id);
      caughtUpTo = startedAt;
    },
    get size() {
      return quotes.size;
    },
  };
}
