/**
 * The rules and quotes the alerter benchmark evaluates: `count` rules spread evenly over
 * TICKERS tickers, a mix of the price conditions and PERCENT_CHANGE in every frequency, and
 * quotes that hover around 100 without reaching any rule's threshold or re-arm level (the
 * common case: most quotes fire nothing).
 */
import type { Condition, Frequency, Rule } from '@tickwatch/contracts';
import { exampleRule } from '@tickwatch/contracts/examples';
import { levelsOf } from '../../alerter/src/domain/conditions.ts';
import { PRICE_SIGNAL } from '../../alerter/src/domain/signals.ts';
import type { Tick } from '../../alerter/src/domain/ticker-book.ts';

export const TICKERS = 1_000;
export const tickerName = (index: number): string => `B${index}`;

const FREQUENCIES: readonly Frequency[] = ['ONCE', 'ONCE_PER_DAY', 'EVERY_CROSSING', 'WHILE_TRUE'];
/** 2026-10-05 13:30 UTC, a Monday: the market opens in New York. */
const ORIGIN = Date.UTC(2026, 9, 5, 13, 30);

/** A small deterministic generator (mulberry32): the same rules in every run. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Above 101 or below 99 (a re-arm level is at most 0.5 % closer): never inside 99.9-100.1. */
function condition(kind: number, next: () => number): Condition {
  const high = () => Math.round((101 + next() * 49) * 100) / 100;
  const low = () => Math.round((50 + next() * 49) * 100) / 100;
  switch (kind) {
    case 0:
      return { type: 'ABOVE', threshold: high() };
    case 1:
      return { type: 'BELOW', threshold: low() };
    case 2:
      return { type: 'OUTSIDE_RANGE', low: low(), high: high() };
    default:
      return {
        type: 'PERCENT_CHANGE',
        percent: Math.round((1 + next() * 20) * 10) / 10,
        direction: 'EITHER',
      };
  }
}

/** `count` rules, rule i on ticker i mod TICKERS (ids are UUID-shaped and unique). */
export function benchRules(count: number, seed = 1): Rule[] {
  const next = random(seed);
  const rules: Rule[] = [];
  for (let i = 0; i < count; i++) {
    rules.push({
      ...exampleRule,
      id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      ticker: tickerName(i % TICKERS),
      condition: condition(i % 4, next),
      frequency: FREQUENCIES[Math.floor(i / 4) % 4] ?? 'ONCE',
      hysteresisPercent: 0.5,
      cooldownSeconds: 1800,
      expiresAt: null,
      paused: false,
    });
  }
  return rules;
}

/** The price levels of each ticker's rules, sorted: what a bare sorted array holds. */
export function priceLevelsByTicker(rules: readonly Rule[]): Map<string, Float64Array> {
  const levels = new Map<string, number[]>();
  for (const rule of rules) {
    const of = levelsOf(rule);
    if (of.signal !== PRICE_SIGNAL) continue;
    const list = levels.get(rule.ticker) ?? [];
    for (const level of [of.upper, of.lower, of.upperRearm, of.lowerRearm]) {
      if (!Number.isNaN(level)) list.push(level);
    }
    levels.set(rule.ticker, list);
  }
  return new Map(
    [...levels].map(([ticker, list]) => [ticker, Float64Array.from(list).sort()] as const),
  );
}

export interface BenchTick {
  readonly ticker: string;
  readonly tick: Tick;
}

export interface QuoteSource {
  /** `count` quotes in a random ticker order. */
  next(count: number): BenchTick[];
  /** One quote of every ticker, in ticker order (a ticker's first quote looks at all its rules). */
  eachTickerOnce(): BenchTick[];
}

/**
 * Quotes whose ticker's market time is ten seconds after its previous one, alternating
 * 99.95 / 100.05 around a previous close of 100: nothing crosses anything. Successive calls go
 * on where the previous one stopped (market time only moves forward).
 */
export function hoveringQuotes(seed = 7): QuoteSource {
  const random01 = random(seed);
  const clock = new Float64Array(TICKERS).fill(ORIGIN);
  const up = new Uint8Array(TICKERS);
  const quoteOf = (t: number): BenchTick => {
    clock[t] = (clock[t] ?? ORIGIN) + 10_000;
    up[t] = up[t] ? 0 : 1;
    return {
      ticker: tickerName(t),
      tick: {
        price: up[t] ? 100.05 : 99.95,
        marketTime: clock[t] ?? ORIGIN,
        previousClose: 100,
        timeZone: 'America/New_York',
      },
    };
  };
  return {
    next: (count) => Array.from({ length: count }, () => quoteOf(Math.floor(random01() * TICKERS))),
    eachTickerOnce: () => Array.from({ length: TICKERS }, (_, t) => quoteOf(t)),
  };
}
