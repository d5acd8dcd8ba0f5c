/**
 * Quote hygiene: what a source reported becomes a price.updated only when it is a valid, new and
 * plausible price. Pure: the caller keeps the state (the last published quote and any held one
 * per ticker) and counts the verdicts.
 *
 * - missing, NaN or non-positive prices, missing market times, unusable currencies: rejected;
 * - a market time not after the last published one: duplicate (equal) or stale (older);
 * - minor-unit currencies (GBp, ZAc, ILA) become their major unit, every price divided by 100;
 * - a move of more than `jumpThresholdPercent` from the last price published within
 *   `jumpWindowMs` (market time) is held until the next quote confirms it (within the threshold
 *   of the held price); a next quote back near the last price shows the held one was a spike.
 */
import type { EventData, EventType } from '@tickwatch/contracts';
import type { QuoteSourceName, SourceQuote } from './source.ts';

export type PriceData = EventData<typeof EventType.priceUpdated>;

/** The last quote of a ticker the broker confirmed. */
export interface PublishedQuote {
  readonly marketTime: number;
  readonly price: number;
}

export interface HygieneOptions {
  readonly jumpThresholdPercent: number;
  readonly jumpWindowMs: number;
}

export const REJECTION_REASONS = [
  'missing-price',
  'invalid-price',
  'missing-time',
  'invalid-currency',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type Verdict =
  | { readonly kind: 'publish'; readonly data: PriceData }
  | { readonly kind: 'held'; readonly data: PriceData }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'stale' }
  | { readonly kind: 'rejected'; readonly reason: RejectionReason };

/** Currencies quoted in hundredths of their ISO unit, and that unit. */
const MINOR_UNITS: Readonly<Record<string, string>> = {
  GBp: 'GBP',
  GBX: 'GBP',
  ZAc: 'ZAR',
  ZAC: 'ZAR',
  ILA: 'ILS',
};

const ISO_CURRENCY = /^[A-Z]{3}$/;
const MAX_DELAY_MINUTES = 24 * 60;

export function judgeQuote(
  quote: SourceQuote,
  last: PublishedQuote | undefined,
  held: PriceData | undefined,
  source: QuoteSourceName,
  options: HygieneOptions,
): Verdict {
  const normalised = normalise(quote, source);
  if ('reason' in normalised) return { kind: 'rejected', reason: normalised.reason };
  const { data, marketTime } = normalised;
  if (last && marketTime <= last.marketTime) {
    return { kind: marketTime === last.marketTime ? 'duplicate' : 'stale' };
  }
  if (held && marketTime <= Date.parse(held.marketTime)) {
    return { kind: marketTime === Date.parse(held.marketTime) ? 'duplicate' : 'stale' };
  }
  if (!last || marketTime - last.marketTime > options.jumpWindowMs)
    return { kind: 'publish', data };
  const threshold = options.jumpThresholdPercent;
  if (!isJump(last.price, data.price, threshold)) return { kind: 'publish', data };
  // A jump from the last price: plausible only if it repeats what the held quote said.
  if (held && !isJump(held.price, data.price, threshold)) return { kind: 'publish', data };
  return { kind: 'held', data };
}

function isJump(from: number, to: number, thresholdPercent: number): boolean {
  return (Math.abs(to - from) / from) * 100 > thresholdPercent;
}

type Normalised = { data: PriceData; marketTime: number } | { reason: RejectionReason };

function normalise(quote: SourceQuote, source: QuoteSourceName): Normalised {
  if (quote.price === undefined) return { reason: 'missing-price' };
  if (!Number.isFinite(quote.price) || quote.price <= 0) return { reason: 'invalid-price' };
  const marketTime = quote.marketTime?.getTime();
  if (marketTime === undefined || !Number.isFinite(marketTime)) return { reason: 'missing-time' };
  const currency = majorUnit(quote.currency);
  if (!currency) return { reason: 'invalid-currency' };
  const price = (value: number | undefined) => positive(value, currency.divisor);
  return {
    marketTime,
    data: {
      ticker: quote.ticker,
      price: inUnit(quote.price, currency.divisor),
      currency: currency.code,
      exchange: quote.exchange,
      exchangeTimeZone: quote.exchangeTimeZone,
      marketState: quote.marketState,
      marketTime: new Date(marketTime).toISOString(),
      delayMinutes: Math.min(MAX_DELAY_MINUTES, Math.max(0, Math.round(quote.delayMinutes))),
      previousClose: price(quote.previousClose),
      dayLow: price(quote.dayLow),
      dayHigh: price(quote.dayHigh),
      volume:
        quote.volume !== undefined && Number.isFinite(quote.volume) && quote.volume >= 0
          ? Math.round(quote.volume)
          : null,
      source,
    },
  };
}

function majorUnit(reported: string | undefined): { code: string; divisor: number } | undefined {
  if (reported === undefined) return undefined;
  const major = MINOR_UNITS[reported];
  if (major) return { code: major, divisor: 100 };
  return ISO_CURRENCY.test(reported) ? { code: reported, divisor: 1 } : undefined;
}

function positive(value: number | undefined, divisor: number): number | null {
  return value !== undefined && Number.isFinite(value) && value > 0 ? inUnit(value, divisor) : null;
}

/** 260.4 pence → 2.604 pounds, not 2.6039999999999996: twelve significant digits are plenty. */
function inUnit(value: number, divisor: number): number {
  return divisor === 1 ? value : Number((value / divisor).toPrecision(12));
}
