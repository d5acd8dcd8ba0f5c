/**
 * The alerter's in-memory cost per quote, no I/O: quotes that fire nothing against the ticker
 * books (the alerter's index, loaded as a partition is loaded), a scan of every rule of every
 * user (the original systems), a scan of the quote's ticker's rules, and a bare sorted array
 * of the ticker's price levels searched twice (the floor an index can hope for). Then the cost
 * of a quote that fires: per fired alert, the trigger state, the alert event with its derived
 * id, and its outbox entry.
 */
import { performance } from 'node:perf_hooks';
import { createEvent, derivedEventId, EventType, type Rule } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { withOutbox } from '@tickwatch/infra/messaging/outbox';
import { NaiveScan } from '../../alerter/src/domain/naive-scan.ts';
import { alertTriggered } from '../../alerter/src/domain/outgoing-events.ts';
import { PartitionBook } from '../../alerter/src/domain/partition-book.ts';
import { SortedLevels } from '../../alerter/src/domain/sorted-levels.ts';
import { TickerBook } from '../../alerter/src/domain/ticker-book.ts';
import { benchRules, hoveringQuotes, priceLevelsByTicker, type BenchTick } from './rule-set.ts';
import { median } from '../lib/stats.ts';

/** One way of handling a quote. */
type Evaluate = (quote: BenchTick) => void;

/** Time each round aims at: long enough for the timer, short enough for the 1M-rule scan. */
const ROUND_MS = 250;

export interface LookupOptions {
  readonly sizes: readonly number[];
  readonly rounds: number;
}

export interface LookupRow {
  readonly rules: number;
  readonly variant: string;
  /** Median over rounds, µs per quote, and every round's figure. */
  readonly micros: number;
  readonly roundMicros: readonly number[];
}

/**
 * µs per quote of `evaluate` over `rounds` rounds of ~ROUND_MS each; quotes are generated
 * before each round (not timed), continuing the same market clock.
 */
function timeQuotes(evaluate: Evaluate, rounds: number): number[] {
  const quotes = hoveringQuotes();
  for (const quote of quotes.eachTickerOnce()) evaluate(quote);
  // Calibration (also warms the JIT): how many quotes fill a round.
  const probe = quotes.next(200);
  const started = performance.now();
  let probed = 0;
  for (const quote of probe) {
    evaluate(quote);
    probed += 1;
    if (performance.now() - started > ROUND_MS) break;
  }
  const perQuote = (performance.now() - started) / probed;
  const count = Math.max(20, Math.min(2_000_000, Math.round(ROUND_MS / perQuote)));
  const figures: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const batch = quotes.next(count);
    const start = performance.now();
    for (const quote of batch) evaluate(quote);
    figures.push(((performance.now() - start) * 1000) / count);
  }
  return figures;
}

/** The alerter's index: the partition book as a partition load builds it. */
function indexed(rules: readonly Rule[]): Evaluate {
  const book = PartitionBook.restore(
    0,
    rules.map((rule) => ({ rule, deleted: false })),
    [],
    0,
  );
  return ({ ticker, tick }) => {
    if (book.applyTick(ticker, tick, 0).firings.length > 0) throw new Error('a quote fired');
  };
}

function scanOfAllRules(rules: readonly Rule[]): Evaluate {
  const scan = new NaiveScan();
  for (const rule of rules) scan.addRule(rule);
  return ({ ticker, tick }) => {
    if (scan.applyTick(ticker, tick, 0).length > 0) throw new Error('a quote fired');
  };
}

function scanOfTickerRules(rules: readonly Rule[]): Evaluate {
  const scans = new Map<string, NaiveScan>();
  for (const rule of rules) {
    let scan = scans.get(rule.ticker);
    if (!scan) scans.set(rule.ticker, (scan = new NaiveScan()));
    scan.addRule(rule);
  }
  return ({ ticker, tick }) => {
    if ((scans.get(ticker)?.applyTick(ticker, tick, 0).length ?? 0) > 0) {
      throw new Error('a quote fired');
    }
  };
}

/** First position whose level is >= value (or > value when `strict`). */
function search(levels: Float64Array, value: number, strict: boolean): number {
  let low = 0;
  let high = levels.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const level = levels[mid] ?? Number.NaN;
    if (strict ? level > value : level >= value) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Two binary searches in the ticker's sorted price levels: the levels between two prices. */
function bareSortedArray(rules: readonly Rule[]): Evaluate {
  const levels = priceLevelsByTicker(rules);
  const last = new Map<string, number>();
  return ({ ticker, tick }) => {
    const sorted = levels.get(ticker);
    const previous = last.get(ticker) ?? tick.price;
    last.set(ticker, tick.price);
    if (!sorted) return;
    const from = search(sorted, Math.min(previous, tick.price), false);
    const to = search(sorted, Math.max(previous, tick.price), true);
    if (to > from) throw new Error('a quote crossed a level');
  };
}

/**
 * The alerter's index structure alone (SortedLevels, searching from where the ticker's previous
 * search ended) over the same price levels as the bare array: the lookup without the rest of a
 * quote's evaluation (windows, signals, due queues).
 */
function indexLookup(rules: readonly Rule[]): Evaluate {
  const books = new Map(
    [...priceLevelsByTicker(rules)].map(([ticker, sorted]) => [
      ticker,
      SortedLevels.from(Array.from(sorted, (level, slot) => [level, slot] as const)),
    ]),
  );
  const last = new Map<string, number>();
  let crossed = 0;
  const visit = (): void => {
    crossed += 1;
  };
  return ({ ticker, tick }) => {
    const levels = books.get(ticker);
    const previous = last.get(ticker) ?? tick.price;
    last.set(ticker, tick.price);
    levels?.between(previous, tick.price, visit);
    if (crossed > 0) throw new Error('a quote crossed a level');
  };
}

const VARIANTS: readonly [string, (rules: readonly Rule[]) => Evaluate][] = [
  ['bare sorted array, 2 binary searches', bareSortedArray],
  ['alerter index lookup (SortedLevels)', indexLookup],
  ['alerter, whole quote (TickerBook.applyTick)', indexed],
  ['scan of the ticker’s rules', scanOfTickerRules],
  ['scan of all rules (original)', scanOfAllRules],
];

export function measureLookups(options: LookupOptions): LookupRow[] {
  const rows: LookupRow[] = [];
  for (const size of options.sizes) {
    const rules = benchRules(size);
    for (const [variant, build] of VARIANTS) {
      // One structure at a time: the 1M-rule ones are large.
      const roundMicros = timeQuotes(build(rules), options.rounds);
      rows.push({ rules: size, variant, micros: median(roundMicros), roundMicros });
    }
  }
  return rows;
}

export interface FiringCost {
  readonly rulesPerQuote: number;
  /** Median µs per fired alert: the evaluation, the alert event, its outbox entry. */
  readonly microsPerAlert: number;
  readonly roundMicros: readonly number[];
}

/**
 * A ticker with `rulesPerQuote` ABOVE rules between 100 and 101 (EVERY_CROSSING): every quote
 * from 99.5 to 101.5 fires all of them, the quote back down re-arms them (not timed). Timed per
 * firing quote: applying it, building each alert.triggered (UUIDv5 id from rule, version and
 * sequence; schema-checked) and the ticker document's update with the outbox entries.
 */
export function measureFiringCost(rulesPerQuote: number, rounds: number): FiringCost {
  const book = new TickerBook('FIRE');
  book.addRules(
    benchRules(rulesPerQuote).map((rule, i) => ({
      rule: {
        ...rule,
        ticker: 'FIRE',
        condition: { type: 'ABOVE', threshold: 100 + (i + 1) / (rulesPerQuote + 1) },
        frequency: 'EVERY_CROSSING',
        hysteresisPercent: 0,
      },
      stored: undefined,
    })),
    0,
  );
  let time = Date.UTC(2026, 9, 5, 13, 30);
  const at = (price: number) => ({
    price,
    marketTime: (time += 1_000),
    previousClose: 100,
    timeZone: 'America/New_York',
  });
  book.applyTick(at(99.5), 0);
  const quote = createEvent(
    EventType.priceUpdated,
    { ...exampleData[EventType.priceUpdated], ticker: 'FIRE', price: 101.5 },
    { source: 'tickwatch/bench', id: derivedEventId(EventType.priceUpdated, ['FIRE', 'bench']) },
  );
  const triggeredAt = new Date();
  const perRound = 20;
  const figures: number[] = [];
  for (let round = 0; round < rounds + 1; round++) {
    let micros = 0;
    let alerts = 0;
    for (let i = 0; i < perRound; i++) {
      const up = at(101.5);
      const start = performance.now();
      const outcome = book.applyTick(up, 0);
      const events = outcome.firings.map((firing) =>
        alertTriggered(firing, quote, outcome.previousPrice, triggeredAt),
      );
      withOutbox({ $set: { lastPrice: up.price } }, events);
      micros += (performance.now() - start) * 1000;
      alerts += events.length;
      book.applyTick(at(99.5), 0);
    }
    if (alerts !== perRound * rulesPerQuote) throw new Error(`fired ${alerts} alerts`);
    // The first round warms the JIT.
    if (round > 0) figures.push(micros / alerts);
  }
  return { rulesPerQuote, microsPerAlert: median(figures), roundMicros: figures };
}
