/**
 * Recorded quotes as JSON lines: one source quote per line, as the source reported it (before
 * hygiene: minor currency units kept), market time as an ISO instant. `npm run record -w
 * collector` writes them from any source; the replay source plays them.
 */
import { readFile } from 'node:fs/promises';
import { MarketState, Ticker } from '@tickwatch/contracts';
import { z } from 'zod';
import type { SourceQuote } from '../../quotes/source.ts';

const optionalNumber = z.number().optional();

export const RecordedQuote = z.object({
  ticker: Ticker,
  price: optionalNumber,
  currency: z.string().optional(),
  exchange: z.string().min(1),
  exchangeTimeZone: z.string().min(1),
  marketState: MarketState,
  marketTime: z.iso.datetime(),
  delayMinutes: z.number().int().min(0),
  previousClose: optionalNumber,
  dayLow: optionalNumber,
  dayHigh: optionalNumber,
  volume: optionalNumber,
});

export function toRecordLine(quote: SourceQuote): string {
  return JSON.stringify({ ...quote, marketTime: quote.marketTime?.toISOString() });
}

/** Every quote of a recording, or an error naming the first bad line. */
export async function readRecording(path: string | URL): Promise<SourceQuote[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const quotes: SourceQuote[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${String(path)} line ${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where}: not JSON (${(error as Error).message})`, { cause: error });
    }
    const parsed = RecordedQuote.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${where}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    const { data } = parsed;
    quotes.push({
      ticker: data.ticker,
      price: data.price,
      currency: data.currency,
      exchange: data.exchange,
      exchangeTimeZone: data.exchangeTimeZone,
      marketState: data.marketState,
      marketTime: new Date(data.marketTime),
      delayMinutes: data.delayMinutes,
      previousClose: data.previousClose,
      dayLow: data.dayLow,
      dayHigh: data.dayHigh,
      volume: data.volume,
    });
  });
  return quotes;
}
