/** Market data events: quotes from the collector, moving averages from the alerter. */
import { z } from 'zod';
import { Ticker } from '../ticker.ts';
import { AverageWindowMinutes, Currency, Instant, Price } from './common.ts';

/** Yahoo's trading-session states, in order through a day. */
export const MarketState = z.enum(['PREPRE', 'PRE', 'REGULAR', 'POST', 'POSTPOST', 'CLOSED']);
export type MarketState = z.infer<typeof MarketState>;

export const QuoteSource = z.enum(['yahoo', 'simulated', 'recorded']);

export const PriceUpdated = z.object({
  ticker: Ticker,
  price: Price,
  currency: Currency,
  /** Exchange code as the source reports it (NMS, LSE, CCC...). */
  exchange: z.string().min(1).max(32),
  exchangeTimeZone: z
    .string()
    .min(1)
    .meta({ examples: ['America/New_York'] }),
  marketState: MarketState,
  /** When the exchange set this price (not when it was fetched). */
  marketTime: Instant,
  /** How late the source's quotes are, in minutes (15 for LSE on Yahoo). */
  delayMinutes: z
    .int()
    .min(0)
    .max(24 * 60),
  previousClose: Price.nullable(),
  dayLow: Price.nullable(),
  dayHigh: Price.nullable(),
  volume: z.int().min(0).nullable(),
  source: QuoteSource,
});

export const AverageUpdated = z.object({
  ticker: Ticker,
  windowMinutes: AverageWindowMinutes,
  average: Price,
  /** The window's average before this tick; null for the first full window. */
  previousAverage: Price.nullable(),
  sampleCount: z.int().min(1),
  /** Market time of the newest tick in the window. */
  marketTime: Instant,
});
