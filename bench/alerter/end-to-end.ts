/**
 * Quotes per second through the broker: one alerter process with RULES rules on TICKERS
 * tickers, its state in the embedded MongoDB (journaled to disk, as `npm start` runs it),
 * against the messaging layer's own consume rate (consumePartitionBatches, a handler that does
 * nothing) in the same run. Each round fills the sixteen partition queues with QUOTES quotes
 * (every ticker in turn, twenty market-time seconds apart, a random walk from 100: most fire
 * nothing, some cross a rule), then starts the consumer and lets it drain them; the clock runs
 * from the moment every partition has handled its first batch (the consumer holds them:
 * partitions loaded, their first writes done, the journal compacted, every partition draining
 * from then on) to the last quote. The layer's rate is
 * measured the same way on the same quotes, round by round, and the alerter's again with
 * ALERTER_BATCH_SIZE=100 (the default is 1,000).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import {
  createEvent,
  derivedEventId,
  EventType,
  partitionOf,
  type Event,
} from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { createLogger } from '@tickwatch/infra/log';
import { createMessaging, tickwatchTopology, type Messaging } from '@tickwatch/infra/messaging';
import { createTestVhost, type TestVhost } from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import mongoose from 'mongoose';
import { DEFAULT_BATCH_SIZE } from '../../alerter/src/config.ts';
import { alerterModels, type RuleDocument } from '../../alerter/src/store/models.ts';
import { brokerPid, processUsage } from '../lib/process-usage.ts';
import { benchRules, random, TICKERS, tickerName } from './rule-set.ts';

export const E2E_RULES = 100_000;
/** Enough that the timed part is several batches of each partition after its first, held one. */
const QUOTES = Number(process.env.BENCH_ALERTER_QUOTES ?? 100_000);
const DB = 'tickwatch_alerter_bench';
const CHILD = new URL('./consumer-process.ts', import.meta.url).pathname;
const ORIGIN = Date.UTC(2026, 9, 5, 13, 30);
const STEP_MS = 20_000;

/** The alerter's batch size against which the default is compared. */
export const SMALL_BATCH = 100;

export interface EndToEndRound {
  readonly layer: number;
  /** Quotes and seconds the layer's and the alerter's clocks covered (not the first batches). */
  readonly layerTimed: Timed;
  readonly alerterTimed: Timed;
  readonly alerter: number;
  /** The alerter with ALERTER_BATCH_SIZE=SMALL_BATCH. */
  readonly alerterSmallBatch: number;
  /** Seconds from the alerter process's start until every partition was loaded (100k rules). */
  readonly alerterReady: number;
  readonly alerts: number;
  /** Share of the alerter's timed wall time spent evaluating in memory (the rest is I/O). */
  readonly evaluationShare: number;
  /** Averages the alerter published per quote (in averages.updated, confirmed, before each write). */
  readonly averagesPerQuote: number;
  /** Mean duration of a batch's writes, ms. */
  readonly writeMsPerBatch: number;
  /** Quotes per timed batch: a batch holds what the broker delivered while the last one ran. */
  readonly quotesPerBatch: number;
  /** CPU per timed quote of each process while the layer drained, and the alerter. */
  readonly layerCpu: CpuPerQuote;
  readonly alerterCpu: CpuPerQuote;
}

/** µs of CPU per timed quote, by process: what the two cores were spent on. */
export interface CpuPerQuote {
  readonly consumer: number;
  readonly broker: number;
  /** This process: the embedded MongoDB (the bench's own publisher is idle meanwhile). */
  readonly mongo: number;
}

export interface EndToEnd {
  readonly rounds: readonly EndToEndRound[];
  readonly seedSeconds: number;
  readonly quotes: number;
}

export interface Timed {
  readonly quotes: number;
  readonly seconds: number;
}

type Quote = Event<typeof EventType.priceUpdated>;

/** Quotes of every ticker in turn, `passes` passes, continuing each ticker's walk and clock. */
function quoteStream(): (passes: number) => Quote[] {
  const next = random(11);
  const prices = new Float64Array(TICKERS).fill(100);
  let pass = 0;
  return (passes) => {
    const quotes: Quote[] = [];
    for (let end = pass + passes; pass < end; pass++) {
      const marketTime = new Date(ORIGIN + pass * STEP_MS).toISOString();
      for (let t = 0; t < TICKERS; t++) {
        const price = (prices[t] ?? 100) * (1 + (next() - 0.5) * 0.004);
        prices[t] = price;
        const ticker = tickerName(t);
        quotes.push(
          createEvent(
            EventType.priceUpdated,
            {
              ...exampleData[EventType.priceUpdated],
              ticker,
              price: Math.round(price * 100) / 100,
              previousClose: 100,
              marketTime,
            },
            {
              source: 'tickwatch/bench',
              id: derivedEventId(EventType.priceUpdated, [ticker, marketTime]),
            },
          ),
        );
      }
    }
    return quotes;
  };
}

/** Publishes with confirms, at most 1,000 awaiting theirs. */
async function publishAll(messaging: Messaging, events: readonly Quote[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1_000) {
    await Promise.all(events.slice(i, i + 1_000).map((event) => messaging.publish(event)));
  }
}

/** Runs one consumer process until it reports; returns quotes/s and what it said. */
async function drain(
  mode: 'alerter' | 'bare',
  vhost: TestVhost,
  mongoUri: string,
  options: {
    /** Compacts the embedded MongoDB's journal (before the clock). */
    compact: () => Promise<void>;
    batchSize?: number;
    profile?: HereProfile | undefined;
  },
): Promise<{
  rate: number;
  timed: Timed;
  ready: number;
  alerts: number;
  evaluationShare: number;
  averagesPerQuote: number;
  writeMsPerBatch: number;
  quotesPerBatch: number;
  cpu: CpuPerQuote;
}> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, CHILD, mode, vhost.url, mongoUri, DB, String(QUOTES)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ALERTER_BATCH_SIZE: String(options.batchSize ?? DEFAULT_BATCH_SIZE) },
    },
  );
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => {
      reject(new Error(`${mode} consumer exited (${code})`));
    }),
  );
  let ready = Number.NaN;
  const broker = brokerPid();
  const cpuNow = (): CpuPerQuote => ({
    consumer: processUsage(child.pid ?? 0).cpu,
    broker: processUsage(broker).cpu,
    mongo: processUsage(process.pid).cpu,
  });
  let cpuAtGo = cpuNow();
  let cpuAtClock = cpuAtGo;
  const reported = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      const [word, ...figures] = line.split(' ').map((part, i) => (i === 0 ? part : Number(part)));
      if (word === 'ready') {
        ready = Number(figures[0]);
        // The first writes (every rule's trigger state, see consumer-process.ts) filled the
        // journal: its compaction would land in the timed part, where a steady alerter meets
        // one every minute or two.
        await options.compact();
        options.profile?.start();
        cpuAtGo = cpuNow();
        child.stdin.write('go\n');
      }
      if (word === 'clock') cpuAtClock = cpuNow();
      if (word === 'done') {
        await options.profile?.save();
        const [
          quotes = 0,
          seconds = 1,
          alerts = 0,
          evaluation = 0,
          averages = 0,
          batches = 1,
          writing = 0,
        ] = figures.map(Number);
        return {
          rate: quotes / seconds,
          timed: { quotes, seconds },
          ready,
          alerts,
          evaluationShare: evaluation / seconds,
          averagesPerQuote: averages / quotes,
          writeMsPerBatch: (writing * 1000) / batches,
          quotesPerBatch: quotes / batches,
          cpu: perQuote(cpuAtGo, cpuAtClock, quotes),
        };
      }
    }
    throw new Error(`${mode} consumer closed its output`);
  })();
  try {
    return await Promise.race([reported, exited]);
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
  }
}

/** µs of CPU each process spent per quote between two readings (CPU seconds). */
function perQuote(from: CpuPerQuote, to: CpuPerQuote, quotes: number): CpuPerQuote {
  const micros = (key: keyof CpuPerQuote) => ((to[key] - from[key]) * 1e6) / quotes;
  return { consumer: micros('consumer'), broker: micros('broker'), mongo: micros('mongo') };
}

/** This process's CPU profiler (the embedded MongoDB's), over a consumer's timed part. */
interface HereProfile {
  start(): void;
  /** Writes `<name>.cpuprofile` to BENCH_ALERTER_PROFILE. */
  save(): Promise<void>;
}

/** A profiler of this process when BENCH_ALERTER_PROFILE names a directory. */
async function profileHere(name: string): Promise<HereProfile | undefined> {
  const directory = process.env.BENCH_ALERTER_PROFILE;
  if (!directory) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  let started: Promise<unknown> | undefined;
  return {
    start() {
      started = session.post('Profiler.start');
    },
    async save() {
      if (!started) return;
      await started;
      const { profile } = await session.post('Profiler.stop');
      await writeFile(path.join(directory, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Every queue but the partitions and the event log: what the rounds' events fill up. */
function sideQueues(): string[] {
  return tickwatchTopology()
    .queues.filter((queue) => queue.role !== 'stream' && !queue.name.startsWith('alerter.p'))
    .map((queue) => queue.name);
}

export async function measureEndToEnd(rounds: number): Promise<EndToEnd> {
  const vhost = await createTestVhost('bench-alerter');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tickwatch-bench-alerter-'));
  const mongo = await startEmbeddedMongo({
    port: 0,
    dataDir,
    logger: createLogger({ name: 'bench-mongo', level: 'silent' }),
  });
  const messaging = createMessaging({
    url: vhost.url,
    service: 'bench',
    topology: tickwatchTopology(),
    maxInFlight: 1_000,
  });
  try {
    await messaging.start();
    const connection = await mongoose.createConnection(mongo.uri, { dbName: DB }).asPromise();
    const { rules } = alerterModels(connection);
    await rules.init();
    const seeding = performance.now();
    const all = benchRules(E2E_RULES);
    for (let i = 0; i < all.length; i += 5_000) {
      await rules.insertMany(
        all.slice(i, i + 5_000).map((rule): RuleDocument => ({
          _id: rule.id,
          partition: partitionOf(rule.ticker),
          ticker: rule.ticker,
          version: rule.version,
          deleted: false,
          rule,
        })),
        { lean: true },
      );
    }
    const seedSeconds = (performance.now() - seeding) / 1000;
    await connection.close();

    const compact = () => mongo.compact();
    const quotes = quoteStream();
    const passes = Math.ceil(QUOTES / TICKERS);
    const measured: EndToEndRound[] = [];
    for (let round = 0; round < rounds; round++) {
      // The layer drains the same quotes as the alerter after it (it does not look at them),
      // so the alerter's market time goes on without a gap.
      const batch = quotes(passes);
      await publishAll(messaging, batch);
      const layer = await drain('bare', vhost, mongo.uri, { compact });
      await publishAll(messaging, batch);
      const alerter = await drain('alerter', vhost, mongo.uri, {
        compact,
        profile: await profileHere(`mongo-round${round + 1}`),
      });
      await publishAll(messaging, quotes(passes));
      const small = await drain('alerter', vhost, mongo.uri, {
        compact,
        batchSize: SMALL_BATCH,
      });
      await vhost.purge(...sideQueues());
      measured.push({
        layer: layer.rate,
        layerTimed: layer.timed,
        alerterTimed: alerter.timed,
        alerter: alerter.rate,
        alerterSmallBatch: small.rate,
        alerterReady: alerter.ready,
        alerts: alerter.alerts,
        evaluationShare: alerter.evaluationShare,
        averagesPerQuote: alerter.averagesPerQuote,
        writeMsPerBatch: alerter.writeMsPerBatch,
        quotesPerBatch: alerter.quotesPerBatch,
        layerCpu: layer.cpu,
        alerterCpu: alerter.cpu,
      });
    }
    return { rounds: measured, seedSeconds, quotes: passes * TICKERS };
  } finally {
    await messaging.close();
    await mongo.stop();
    await rm(dataDir, { recursive: true, force: true });
    await vhost.delete();
  }
}
