/**
 * A simulated market for demos and offline runs: every ticker follows its own seeded
 * geometric random walk (drift-free, with the instrument's volatility), stepping once per
 * second of wall time. `speed` scales how much happens per step (60: a market hour of moves per
 * minute), so a demo shows alerts within a minute while market times stay real instants.
 * With `hours: 'exchange'` a ticker trades only in its exchange's regular session (time zone,
 * weekends, holidays), opens with an overnight gap, and now and then gaps on "news".
 *
 * Deterministic: the same seed and start instant give every ticker the same path, however
 * often it is polled (the walk advances on a fixed grid of steps, each ticker from its own
 * generator, seeded from the seed and the ticker).
 */
import { stableHash32, type MarketState } from '@tickwatch/contracts';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { calendarOf, type ExchangeCalendar } from '../../market/calendar.ts';
import type { QuoteSource, SourceQuote } from '../../quotes/source.ts';
import { instrumentOf, type Instrument } from './instruments.ts';

export interface SimulatedMarketOptions {
  readonly seed: number;
  /** Market moves per unit of wall time (1 = realistic, 60 = an hour of moves per minute). */
  readonly speed: number;
  /** `exchange`: trade only in exchange sessions; `always`: around the clock. */
  readonly hours: 'exchange' | 'always';
  /** Wall-clock instant where every ticker starts at its base price (default: now). */
  readonly start?: number;
  readonly clock?: () => number;
}

/** One step of the walk per second of wall time. */
export const STEP_MS = 1_000;
/** After a long pause (a stopped poller), at most this many steps are replayed; the rest skipped. */
const MAX_CATCH_UP_STEPS = 6 * 3_600;
/** On average one news gap per this much market time while trading. */
const NEWS_EVERY_MS = 24 * 3_600_000;

const SECONDS_PER_TRADING_YEAR: Readonly<Record<string, number>> = {
  CRYPTO: 365 * 24 * 3_600,
  FX: 260 * 24 * 3_600,
};
const EQUITY_SECONDS_PER_YEAR = 252 * 6.5 * 3_600;

interface Walk {
  readonly instrument: Instrument;
  readonly calendar: ExchangeCalendar | undefined;
  readonly rng: RandomGenerator;
  readonly dtYears: number;
  price: number;
  step: number;
  marketTime: number;
  trading: boolean;
  previousClose: number;
  dayLow: number;
  dayHigh: number;
  volume: number;
}

export function createSimulatedSource(options: SimulatedMarketOptions): QuoteSource {
  const clock = options.clock ?? Date.now;
  const start = options.start ?? clock();
  const walks = new Map<string, Walk>();
  const sessions = new Map<string, { step: number; trading: boolean }>();

  const tradingAt = (calendar: ExchangeCalendar | undefined, step: number): boolean => {
    if (options.hours === 'always' || !calendar) return true;
    const cached = sessions.get(calendar.id);
    if (cached?.step === step) return cached.trading;
    const trading = calendar.stateAt(start + step * STEP_MS) === 'REGULAR';
    sessions.set(calendar.id, { step, trading });
    return trading;
  };

  const walkOf = (ticker: string): Walk => {
    let walk = walks.get(ticker);
    if (!walk) {
      const instrument = instrumentOf(ticker);
      const calendar = calendarOf(instrument.exchange);
      const yearSeconds = SECONDS_PER_TRADING_YEAR[calendar?.id ?? ''] ?? EQUITY_SECONDS_PER_YEAR;
      walk = {
        instrument,
        calendar,
        rng: xoroshiro128plus(stableHash32(`${options.seed}:${ticker}`)),
        dtYears: ((STEP_MS / 1_000) * options.speed) / yearSeconds,
        price: instrument.basePrice,
        step: 0,
        marketTime: start,
        trading: tradingAt(calendar, 0),
        previousClose: instrument.basePrice,
        dayLow: instrument.basePrice,
        dayHigh: instrument.basePrice,
        volume: 0,
      };
      walks.set(ticker, walk);
    }
    return walk;
  };

  const advance = (walk: Walk, toStep: number): void => {
    if (toStep - walk.step > MAX_CATCH_UP_STEPS) walk.step = toStep - MAX_CATCH_UP_STEPS;
    for (let step = walk.step + 1; step <= toStep; step++) {
      const trading = tradingAt(walk.calendar, step);
      if (!trading) {
        if (walk.trading) walk.previousClose = walk.price;
        walk.trading = false;
        continue;
      }
      if (!walk.trading) openSession(walk);
      moveOneStep(walk, options.speed);
      walk.marketTime = start + step * STEP_MS;
    }
    walk.step = Math.max(walk.step, toStep);
  };

  const quoteOf = (ticker: string, now: number): SourceQuote => {
    const walk = walkOf(ticker);
    advance(walk, Math.floor((now - start) / STEP_MS));
    const { instrument } = walk;
    const state: MarketState =
      options.hours === 'always' ? 'REGULAR' : (walk.calendar?.stateAt(now) ?? 'REGULAR');
    return {
      ticker,
      price: roundPrice(walk.price),
      currency: instrument.currency,
      exchange: instrument.exchange,
      exchangeTimeZone: instrument.exchangeTimeZone,
      marketState: state,
      marketTime: new Date(walk.marketTime),
      delayMinutes: instrument.delayMinutes,
      previousClose: roundPrice(walk.previousClose),
      dayLow: roundPrice(walk.dayLow),
      dayHigh: roundPrice(walk.dayHigh),
      volume: walk.volume,
    };
  };

  return {
    name: 'simulated',
    pace: () => Promise.resolve(),
    fetchBatch(tickers) {
      const now = clock();
      return Promise.resolve({
        quotes: tickers.map((ticker) => quoteOf(ticker, now)),
        rejected: [],
      });
    },
    close: () => Promise.resolve(),
  };
}

/** A standard normal variate (Box–Muller) from the walk's own generator. */
function normal(rng: RandomGenerator): number {
  const u = 1 - uniformFloat64(rng); // (0, 1]: log(0) never happens
  const v = uniformFloat64(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The session opens: an overnight gap of about a third of a day's volatility. */
function openSession(walk: Walk): void {
  const dailyVolatility = walk.instrument.volatility / Math.sqrt(252);
  walk.price *= Math.exp(normal(walk.rng) * dailyVolatility * 0.3);
  walk.dayLow = walk.price;
  walk.dayHigh = walk.price;
  walk.volume = 0;
  walk.trading = true;
}

function moveOneStep(walk: Walk, speed: number): void {
  const sigma = walk.instrument.volatility;
  let logReturn =
    -0.5 * sigma * sigma * walk.dtYears + sigma * Math.sqrt(walk.dtYears) * normal(walk.rng);
  // News: a 1-3 % gap, up or down, on average once per NEWS_EVERY_MS of market time.
  if (uniformFloat64(walk.rng) < (STEP_MS * speed) / NEWS_EVERY_MS) {
    const size = 0.01 + 0.02 * uniformFloat64(walk.rng);
    logReturn += uniformFloat64(walk.rng) < 0.5 ? -size : size;
  }
  walk.price *= Math.exp(logReturn);
  walk.dayLow = Math.min(walk.dayLow, walk.price);
  walk.dayHigh = Math.max(walk.dayHigh, walk.price);
  walk.volume += Math.floor(uniformFloat64(walk.rng) * 10_000 * speed);
}

/** Cents for prices above 10, four decimals below (currencies, penny stocks). */
function roundPrice(price: number): number {
  const factor = price >= 10 ? 100 : 10_000;
  return Math.round(price * factor) / factor;
}
