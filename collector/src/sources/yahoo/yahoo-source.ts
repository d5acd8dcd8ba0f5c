/**
 * Quotes from Yahoo Finance through yahoo-finance2 v4: many symbols per `quote()` request, one
 * client shared by every batch, requests paced by the request gate. yahoo-finance2 performs the
 * cookie/crumb handshake on its first request; when Yahoo rotates the crumb (401 on a quote),
 * the client is replaced by one with a fresh cookie jar, which makes it shake hands again
 * (yahoo-finance2 has no public crumb reset), and the batch is asked once more.
 */
import { MarketState, normalizeTicker } from '@tickwatch/contracts';
import { z } from 'zod';
import type { Logger } from '@tickwatch/infra/log';
import createYahooFinance from 'yahoo-finance2/createYahooFinance';
import { ExtendedCookieJar } from 'yahoo-finance2/lib/cookieJar';
import quote from 'yahoo-finance2/modules/quote';
import type {
  BatchResult,
  QuoteSource,
  SourceQuote,
  SourceRejection,
} from '../../quotes/source.ts';
import { createRequestGate, type BackoffSettings } from './request-gate.ts';
import { yahooFetch, YahooHttpError, type FetchFunction } from './yahoo-http.ts';

const YahooFinance = createYahooFinance({ modules: { quote } });
type YahooClient = InstanceType<typeof YahooFinance>;

export interface YahooSourceOptions {
  /** Defaults to the global fetch; tests replay recorded responses through their own. */
  readonly fetch?: FetchFunction;
  readonly requestsPerMinute: number;
  readonly backoff: BackoffSettings;
  readonly logger: Logger;
  /** For tests: the jitter of the back-off. */
  readonly random?: () => number;
}

export function createYahooSource(options: YahooSourceOptions): QuoteSource {
  const logger = options.logger.child({ component: 'yahoo' });
  const fetch = yahooFetch(options.fetch ?? globalThis.fetch);
  const gate = createRequestGate({
    requestsPerMinute: options.requestsPerMinute,
    backoff: options.backoff,
    random: options.random,
  });
  const newClient = (): YahooClient =>
    new YahooFinance({
      fetch,
      cookieJar: new ExtendedCookieJar(),
      versionCheck: false,
      suppressNotices: ['yahooSurvey'],
      validation: { logErrors: false, logOptionsErrors: false },
      logger: yahooLogger(logger),
    });
  let client = newClient();

  const ask = (tickers: readonly string[], signal: AbortSignal) =>
    client.quote([...tickers], { return: 'array' }, { fetchOptions: { signal } });

  const fetchWithCrumbRetry = async (tickers: readonly string[], signal: AbortSignal) => {
    try {
      return await ask(tickers, signal);
    } catch (error) {
      if (!(error instanceof YahooHttpError) || error.kind !== 'unauthorized') throw error;
      logger.info('Yahoo refused the crumb (401): shaking hands again with a fresh cookie jar');
      client = newClient();
      return await ask(tickers, signal);
    }
  };

  return {
    name: 'yahoo',
    pace: () => gate.pace(),
    async fetchBatch(tickers, signal) {
      let quotes: unknown[];
      try {
        quotes = await fetchWithCrumbRetry(tickers, signal);
      } catch (error) {
        if (error instanceof YahooHttpError && error.retryable) {
          const delayMs = gate.failed(error.retryAfterMs);
          logger.warn(
            { status: error.status, retryAfterMs: error.retryAfterMs, delayMs },
            'Yahoo asked us to back off',
          );
        }
        throw error;
      }
      gate.succeeded();
      return toBatchResult(tickers, quotes);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * The fields the collector reads, checked: yahoo-finance2 types its quotes with an `any` index
 * signature, and a quote Yahoo reshaped should fail alone, by name, not as a TypeError later.
 */
const YahooQuote = z.object({
  symbol: z.string(),
  regularMarketPrice: z.number().optional(),
  currency: z.string().optional(),
  exchange: z.string().min(1),
  exchangeTimezoneName: z.string().min(1),
  marketState: z.string(),
  /** yahoo-finance2 turns the wire's epoch seconds into a Date (seconds × 1000). */
  regularMarketTime: z.date().optional(),
  exchangeDataDelayedBy: z.number().default(0),
  regularMarketPreviousClose: z.number().optional(),
  regularMarketDayLow: z.number().optional(),
  regularMarketDayHigh: z.number().optional(),
  regularMarketVolume: z.number().optional(),
});
type YahooQuote = z.infer<typeof YahooQuote>;

/** Requested symbols missing from the answer are unknown to Yahoo (or delisted: quoteType NONE). */
function toBatchResult(requested: readonly string[], answer: readonly unknown[]): BatchResult {
  const byTicker = new Map<string, YahooQuote>();
  for (const item of answer) {
    const parsed = YahooQuote.safeParse(item);
    if (parsed.success)
      byTicker.set(normalizeTicker(parsed.data.symbol) ?? parsed.data.symbol, parsed.data);
  }
  const found: SourceQuote[] = [];
  const rejected: SourceRejection[] = [];
  for (const ticker of requested) {
    const item = byTicker.get(ticker);
    if (item) found.push(toSourceQuote(ticker, item));
    else {
      rejected.push({
        ticker,
        reason: 'UNKNOWN_SYMBOL',
        detail: `Yahoo Finance returned no quote for ${ticker}`,
      });
    }
  }
  return { quotes: found, rejected };
}

function toSourceQuote(ticker: string, item: YahooQuote): SourceQuote {
  const state = MarketState.safeParse(item.marketState);
  return {
    ticker,
    price: item.regularMarketPrice,
    currency: item.currency,
    exchange: item.exchange,
    exchangeTimeZone: item.exchangeTimezoneName,
    marketState: state.success ? state.data : 'CLOSED',
    marketTime: item.regularMarketTime,
    delayMinutes: item.exchangeDataDelayedBy,
    previousClose: item.regularMarketPreviousClose,
    dayLow: item.regularMarketDayLow,
    dayHigh: item.regularMarketDayHigh,
    volume: item.regularMarketVolume,
  };
}

/** yahoo-finance2 logs through console by default: route it into our JSON logs. */
function yahooLogger(logger: Logger) {
  const text = (args: unknown[]) =>
    args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
  return {
    info: (...args: unknown[]) => {
      logger.info(text(args));
    },
    warn: (...args: unknown[]) => {
      logger.warn(text(args));
    },
    error: (...args: unknown[]) => {
      logger.error(text(args));
    },
    debug: (...args: unknown[]) => {
      logger.debug(text(args));
    },
    dir: (...args: unknown[]) => {
      logger.debug(text(args));
    },
  };
}
