/** Rules and quote paths for the domain's tests and the benchmark. */
import type { Condition, Rule } from '@tickwatch/contracts';
import { exampleRule } from '@tickwatch/contracts/examples';
import type { Tick } from './ticker-book.ts';

/** 2026-10-05 13:30 UTC, a Monday: 09:30 in New York. */
export const ORIGIN = Date.UTC(2026, 9, 5, 13, 30);
export const NEW_YORK = 'America/New_York';

let ruleCounter = 0;

/** A valid rule (numbers only: thresholds are never text); ids are unique per call. */
export function makeRule(condition: Condition, overrides: Partial<Rule> = {}): Rule {
  ruleCounter += 1;
  return {
    ...exampleRule,
    id: `00000000-0000-4000-8000-${String(ruleCounter).padStart(12, '0')}`,
    condition,
    frequency: 'EVERY_CROSSING',
    hysteresisPercent: 0,
    cooldownSeconds: 1800,
    ...overrides,
  };
}

/** A quote `minutes` after ORIGIN (fractions allowed). */
export function tickAt(minutes: number, price: number, overrides: Partial<Tick> = {}): Tick {
  return {
    price,
    marketTime: ORIGIN + Math.round(minutes * 60_000),
    previousClose: 100,
    timeZone: NEW_YORK,
    ...overrides,
  };
}

/** One quote a minute along `prices`. */
export function path(prices: readonly number[], overrides: Partial<Tick> = {}): Tick[] {
  return prices.map((price, i) => tickAt(i, price, overrides));
}
