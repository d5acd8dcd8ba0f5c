/**
 * Alerter benchmark (issue 11), `npm run bench -- alerter`.
 *
 * 1. µs per quote that fires nothing, with 1k, 100k and 1M rules over 1,000 tickers: a bare
 *    sorted array searched twice (the baseline), the alerter's index lookup alone, the whole
 *    evaluation of a quote by the alerter (TickerBook.applyTick: windows, signals, index, due
 *    queues), a scan of the ticker's rules and a scan of all rules of all users (the original
 *    systems). Medians of LOOKUP_ROUNDS rounds (bench/alerter/lookup.ts).
 * 2. µs per fired alert: trigger state, alert event with its derived id, outbox entry.
 * 3. Quotes/s through the broker: one alerter process with 100k rules and its state in the
 *    embedded MongoDB against the messaging layer's own consume rate, and the alerter again
 *    with batches of 100, E2E_ROUNDS interleaved rounds, medians (bench/alerter/end-to-end.ts).
 *    Floor 0.5×, goal 0.8×.
 *
 * BENCH_ALERTER_PARTS picks the parts to run (`lookups`, `firing`, `e2e`, comma-separated; all
 * by default): `BENCH_ALERTER_PARTS=e2e` measures only the broker part.
 * BENCH_ALERTER_PROFILE=<directory> writes CPU profiles of the broker part there: each consumer
 * process's timed part, and this process (the embedded MongoDB) while the alerter drains.
 */
import { DEFAULT_BATCH_SIZE } from '../alerter/src/config.ts';
import {
  measureEndToEnd,
  E2E_RULES,
  SMALL_BATCH,
  type CpuPerQuote,
  type Timed,
} from './alerter/end-to-end.ts';
import { measureFiringCost, measureLookups } from './alerter/lookup.ts';
import type { BenchReport, Cell } from './lib/report.ts';
import { median } from './lib/stats.ts';

const SIZES = [1_000, 100_000, 1_000_000];
const LOOKUP_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const E2E_ROUNDS = Number(process.env.BENCH_ALERTER_E2E_ROUNDS ?? 3);
const FIRING_RULES = 100;
const PARTS = ['lookups', 'firing', 'e2e'] as const;

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
const timed = ({ quotes, seconds }: Timed): string =>
  `${quotes.toLocaleString('en-US')} in ${seconds.toFixed(2)} s`;
const list = (values: readonly number[], digits = 3): string =>
  values.map((v) => v.toFixed(digits)).join(', ');

interface PartReport {
  readonly rows: Record<string, Cell>[];
  readonly notes: string[];
}

function row(scenario: string, cells: Partial<Record<string, Cell>>): Record<string, Cell> {
  return {
    scenario,
    'µs/quote': '',
    'vs bare array': '',
    'quotes/s': '',
    'vs layer': '',
    ...cells,
  };
}

function requestedParts(): Set<string> {
  const raw = process.env.BENCH_ALERTER_PARTS;
  if (!raw) return new Set(PARTS);
  const parts = raw.split(',').map((part) => part.trim());
  const unknown = parts.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ALERTER_PARTS: unknown part(s) ${unknown.join(', ')}; known: ${PARTS.join(', ')}`,
    );
  }
  return new Set(parts);
}

function lookupPart(): PartReport {
  const lookups = measureLookups({ sizes: SIZES, rounds: LOOKUP_ROUNDS });
  const of = (rules: number, variant: string): number =>
    lookups.find((r) => r.rules === rules && r.variant.startsWith(variant))?.micros ?? Number.NaN;
  const rows = lookups.map((r) =>
    row(`${r.variant}, ${r.rules.toLocaleString('en-US')} rules`, {
      'µs/quote': round3(r.micros),
      'vs bare array': round3(r.micros / of(r.rules, 'bare')),
    }),
  );
  const biggest = SIZES.at(-1) ?? 0;
  const lookupRatio = of(biggest, 'alerter index lookup') / of(biggest, 'bare');
  const scanSpeedup = of(biggest, 'scan of all') / of(biggest, 'alerter, whole');
  const sizes = (variant: string) => SIZES.map((size) => of(size, variant).toFixed(3)).join(' / ');
  return {
    rows,
    notes: [
      `Lookups: quotes that fire nothing (each ticker hovering between 99.95 and 100.05, rules above 101, below 99 or ≥ 1 % from the previous close, every frequency), a random ticker per quote, after one quote of every ticker; median of ${LOOKUP_ROUNDS} rounds of ~250 ms. Per round, µs: ${lookups.map((r) => `${r.variant} ${r.rules}: ${list(r.roundMicros)}`).join('; ')}.`,
      `Whole quote, 1k / 100k / 1M rules: ${sizes('alerter, whole')} µs (it must not grow with rules that do not fire).`,
      `Goal: index lookup at 1M rules ≤ 2 × the bare sorted array: ${lookupRatio <= 2 ? 'met' : 'NOT met'} (${lookupRatio.toFixed(2)} ×). Goal: the whole quote at 1M rules ≥ 10,000 × faster than the scan of all rules: ${scanSpeedup >= 10_000 ? 'met' : 'NOT met'} (${Math.round(scanSpeedup).toLocaleString('en-US')} ×).`,
    ],
  };
}

function firingPart(): PartReport {
  const firing = measureFiringCost(FIRING_RULES, LOOKUP_ROUNDS);
  return {
    rows: [
      row(`one fired alert (state, id, alert event, outbox entry; ${FIRING_RULES} per quote)`, {
        'µs/quote': round3(firing.microsPerAlert),
      }),
    ],
    notes: [
      `Fired alert: a quote crossing ${FIRING_RULES} EVERY_CROSSING rules at once, per alert (rounds: ${list(firing.roundMicros)} µs); the database write is per batch, in the end-to-end figure.`,
    ],
  };
}

/** `name: consumer X + broker Y + MongoDB Z = total` in µs per quote, medians of the rounds. */
function cpuLine(name: string, rounds: readonly CpuPerQuote[]): string {
  const of = (key: keyof CpuPerQuote) => median(rounds.map((r) => r[key]));
  const [consumer, broker, mongo] = [of('consumer'), of('broker'), of('mongo')];
  return `${name}: consumer ${consumer.toFixed(0)} + broker ${broker.toFixed(0)} + MongoDB process ${mongo.toFixed(0)} = ${(consumer + broker + mongo).toFixed(0)}`;
}

async function endToEndPart(): Promise<PartReport> {
  const e2e = await measureEndToEnd(E2E_ROUNDS);
  const layer = median(e2e.rounds.map((r) => r.layer));
  const alerter = median(e2e.rounds.map((r) => r.alerter));
  const small = median(e2e.rounds.map((r) => r.alerterSmallBatch));
  const ratio = alerter / layer;
  return {
    rows: [
      row('messaging layer, consumePartitionBatches, no-op handler (baseline)', {
        'quotes/s': Math.round(layer),
        'vs layer': 1,
      }),
      row(
        `alerter process, ${E2E_RULES.toLocaleString('en-US')} rules, state in the embedded MongoDB, batches ≤ ${DEFAULT_BATCH_SIZE.toLocaleString('en-US')}`,
        { 'quotes/s': Math.round(alerter), 'vs layer': Math.round(ratio * 100) / 100 },
      ),
      row(`the same with ALERTER_BATCH_SIZE=${SMALL_BATCH}`, {
        'quotes/s': Math.round(small),
        'vs layer': Math.round((small / layer) * 100) / 100,
      }),
    ],
    notes: [
      `End to end: ${e2e.quotes.toLocaleString('en-US')} quotes per round queued on the 16 partitions before the consumer starts (1,000 tickers, 20 s of market time apart, random walk), timed from the moment every partition has handled its first batch (the consumer holds each until all sixteen have, and the embedded MongoDB compacted the journal those first writes filled: every partition loaded and draining from then on; those batches are not counted), to the last; batches ≤ ${DEFAULT_BATCH_SIZE} (the layer too); ${E2E_ROUNDS} interleaved rounds, medians. Layer: ${list(
        e2e.rounds.map((r) => r.layer),
        0,
      )} quotes/s; alerter: ${list(
        e2e.rounds.map((r) => r.alerter),
        0,
      )} quotes/s (batches ≤ ${SMALL_BATCH}: ${list(
        e2e.rounds.map((r) => r.alerterSmallBatch),
        0,
      )}), alerts fired in the timed part: ${e2e.rounds.map((r) => r.alerts).join(', ')}; every partition loaded after ${list(
        e2e.rounds.map((r) => r.alerterReady),
        1,
      )} s (${E2E_RULES.toLocaleString('en-US')} rules). Seeding the rules took ${e2e.seedSeconds.toFixed(1)} s. The clocks covered (quotes in seconds) layer ${e2e.rounds
        .map((r) => timed(r.layerTimed))
        .join(
          ', ',
        )}; alerter ${e2e.rounds.map((r) => timed(r.alerterTimed)).join(', ')}: the rest of each round's quotes went by while partitions took their first batch.`,
      `Where the alerter's time goes: evaluating in memory ${list(
        e2e.rounds.map((r) => r.evaluationShare * 100),
        1,
      )} % of the timed wall time; the rest is the batch's writes (one small document per ticker the batch touched, one per trigger state it changed: ${list(
        e2e.rounds.map((r) => r.writeMsPerBatch),
        1,
      )} ms per batch of ${list(
        e2e.rounds.map((r) => r.quotesPerBatch),
        0,
      )} quotes on average) and the broker, which takes the consumed quotes and the averages.updated event the alerter publishes with confirms before each write (${list(
        e2e.rounds.map((r) => r.averagesPerQuote),
        2,
      )} averages per quote, one event per batch: the newest average of each warm window of each ticker the batch touched, 3 per ticker once the 15-minute window has filled).`,
      `CPU per timed quote (µs, medians of the rounds; from /proc, when the clock starts and when it stops): ${cpuLine(
        'layer',
        e2e.rounds.map((r) => r.layerCpu),
      )}; ${cpuLine(
        'alerter',
        e2e.rounds.map((r) => r.alerterCpu),
      )}. On two cores, a rate of R quotes/s can spend at most 2,000,000 / R µs per quote in all.`,
      `Floor 0.5 ×, goal 0.8 × the layer: ${ratio >= 0.8 ? 'goal met' : ratio >= 0.5 ? 'floor met, goal not' : 'floor NOT met'} (${ratio.toFixed(2)} ×).`,
      'The embedded MongoDB (journaled to a temporary directory) and the RabbitMQ broker run on the same machine as the consumer process.',
    ],
  };
}

export default async function alerterBench(): Promise<BenchReport> {
  process.env.LOG_LEVEL ??= 'silent';
  const parts = requestedParts();
  const reports: PartReport[] = [];
  if (parts.has('lookups')) reports.push(lookupPart());
  if (parts.has('firing')) reports.push(firingPart());
  if (parts.has('e2e')) reports.push(await endToEndPart());
  return {
    title: 'Alerter: quotes against 1k / 100k / 1M rules (1,000 tickers), and through the broker',
    rows: reports.flatMap((report) => report.rows),
    notes: reports.flatMap((report) => report.notes),
  };
}
