/**
 * Ticker symbols as Yahoo writes them (BRK-B, RDS.A, ^GSPC, EURUSD=X, BTC-USD), normalised to
 * upper case. Anything else is rejected before it reaches a routing key, a query or a log.
 */
import { z } from 'zod';

export const TICKER_MAX_LENGTH = 15;
const TICKER_PATTERN = /^[A-Z0-9.^=-]{1,15}$/;

/** Upper-cases and trims; returns null when the result is not a valid ticker. */
export function normalizeTicker(input: string): string | null {
  const ticker = input.trim().toUpperCase();
  return TICKER_PATTERN.test(ticker) ? ticker : null;
}

export function isTicker(value: string): boolean {
  return TICKER_PATTERN.test(value);
}

/** A ticker on the wire: already normalised (events carry the canonical form only). */
export const Ticker = z
  .string()
  .regex(
    TICKER_PATTERN,
    `a ticker is 1-${TICKER_MAX_LENGTH} characters of A-Z, 0-9 and . ^ = - (upper case)`,
  )
  .meta({
    description: 'Ticker symbol as Yahoo Finance writes it, upper case',
    examples: ['AAPL'],
  });

/**
 * A ticker as one AMQP routing word: `.` would split it into two words, so it becomes `_`
 * (never a ticker character, hence reversible) and `*` matches exactly one ticker.
 */
export function tickerToRoutingWord(ticker: string): string {
  if (!isTicker(ticker)) throw new RangeError(`not a normalised ticker: ${JSON.stringify(ticker)}`);
  return ticker.replaceAll('.', '_');
}

export function routingWordToTicker(word: string): string {
  const ticker = word.replaceAll('_', '.');
  if (!isTicker(ticker)) throw new RangeError(`not a ticker routing word: ${JSON.stringify(word)}`);
  return ticker;
}
