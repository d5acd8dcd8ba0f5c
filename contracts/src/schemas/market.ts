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

/** One window's moving average of one ticker, as of a quote. */
export const MovingAverage = z.object({
  ticker: Ticker,
  windowMinutes: AverageWindowMinutes,
  average: Price,
  /** The window's average before this tick; null for the first full window. */
  previousAverage: Price.nullable(),
  sampleCount: z.int().min(1),
  /** Market time of the newest tick in the window. */
  marketTime: Instant,
});
export type MovingAverage = z.infer<typeof MovingAverage>;

/**
 * Most averages one averages.updated event carries (about 150 bytes each in JSON): a delivery
 * batch that moved more is published as several events.
 */
export const MAX_AVERAGES_PER_EVENT = 500;

/**
 * The newest average of each (ticker, window) that one delivery batch of an alerter partition
 * moved: one message for the whole batch (several past MAX_AVERAGES_PER_EVENT), since the
 * broker's cost is per message (one event per average made its publishing most of the alerter's
 * cost under a backlog). Consumers keep the newest average of each (ticker, window) by market
 * time, so a repeat or an older average changes nothing.
 */
export const AveragesUpdated = z.object({
  averages: z.array(MovingAverage).min(1).max(MAX_AVERAGES_PER_EVENT),
});

/** Why a source refused a ticker: it does not know the symbol, or the symbol has no price. */
export const TickerRejectionReason = z.enum(['UNKNOWN_SYMBOL', 'NO_PRICE']);

/** The collector's source does not know a ticker: rules on it can never fire until it does. */
export const TickerRejected = z.object({
  ticker: Ticker,
  reason: TickerRejectionReason,
  /** What the source said, for people (bounded). */
  detail: z.string().max(512),
  source: QuoteSource,
  rejectedAt: Instant,
});

/**
 * Someone wants a ticker collected although no rule or watch names it (a live subscription,
 * a `quote` query): a lease that `holder` renews while it needs the ticker and that expires on
 * its own, so a holder that crashed leaks nothing.
 */
export const InterestRenewed = z.object({
  ticker: Ticker,
  /** Who holds the lease, e.g. `gateway:<instance id>`; one lease per ticker and holder. */
  holder: z.string().min(1).max(128),
  expiresAt: Instant,
});
