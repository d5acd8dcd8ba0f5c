/**
 * Embedded MongoDB benchmark (issue 4), everything through mongoose over TCP as the services
 * use it, server in the same process (in memory unless the row says journaled).
 *
 *  - inserts/s: Model.create one at a time (one round trip each), and insertMany in batches of
 *    1,000; in memory, journaled (data directory), and journaled with j: true (fsync per write).
 *  - indexed findOne/s: findOne by a unique field, lean, one at a time.
 *  - unique-key lookups at 1k vs 1M documents: the same findOne by unique key on a 1,000- and
 *    a 1,000,000-document collection (loaded with the driver's insertMany in batches of 10,000
 *    to keep the bench short), measured in alternating rounds. Flat = hash index.
 *  - baseline: the same lookup on a field with no index (collection scan), at 1k and 1M docs,
 *    showing what the index saves and that the scan, unlike the lookup, grows with the data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import mongoose, { Schema } from 'mongoose';
import { pino } from 'pino';
import { startEmbeddedMongo, type EmbeddedMongo } from '../infra/src/mongo/embedded/index.ts';
import { commandPathRows } from './lib/command-path.ts';
import type { BenchReport, Cell } from './lib/report.ts';

const SMALL = 1_000;
const LARGE = 1_000_000;
const GROW_BATCH = 10_000;
const LOOKUPS = 5_000;
const SCAN_LOOKUPS = { [SMALL]: 500, [LARGE]: 5 } as const;
const CREATES = 3_000;
const JOURNALED_FSYNC_CREATES = 300;
const INSERT_MANY_DOCS = 50_000;

const userSchema = new Schema({
  // mongoose types schema options as a class; an object literal is its documented usage.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  email: { type: String, unique: true },
  name: String,
  plain: String,
  n: Number,
});

type Row = Record<string, Cell>;

async function withServer<T>(
  dataDir: string | undefined,
  run: (server: EmbeddedMongo, connection: mongoose.Connection) => Promise<T>,
): Promise<T> {
  const server = await startEmbeddedMongo({ dataDir, logger: pino({ level: 'silent' }) });
  const connection = await mongoose.createConnection(server.uri, { dbName: 'bench' }).asPromise();
  try {
    return await run(server, connection);
  } finally {
    await connection.close();
    await server.stop();
  }
}

const user = (i: number) => ({
  email: `user${i}@example.com`,
  name: `User ${i}`,
  plain: `plain${i}`,
  n: i,
});

/** Runs `op` `count` times sequentially; returns operations per second. */
async function rate(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await op(i);
  return (count / (performance.now() - started)) * 1000;
}

async function insertRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const modes: { mode: string; dataDir?: string; j?: boolean; creates: number }[] = [
    { mode: 'in memory', creates: CREATES },
    {
      mode: 'journaled',
      dataDir: mkdtempSync(path.join(tmpdir(), 'bench-mongo-')),
      creates: CREATES,
    },
    {
      mode: 'journaled, j: true',
      dataDir: mkdtempSync(path.join(tmpdir(), 'bench-mongo-')),
      j: true,
      creates: JOURNALED_FSYNC_CREATES,
    },
  ];
  for (const { mode, dataDir, j, creates } of modes) {
    try {
      await withServer(dataDir, async (_server, connection) => {
        const User = connection.model('User', userSchema);
        await User.init();
        // mongoose forwards `writeConcern` to the driver although its types list only `j`/`w`,
        // and a bare `j: true` is not sent at all (checked with command monitoring).
        const options = (j ? { writeConcern: { j: true } } : {}) as mongoose.CreateOptions;
        // Warm-up (JIT, connection pool), not measured; its documents use other keys.
        await rate(200, (i) => User.create([user(-1 - i)], options));
        await User.insertMany(
          Array.from({ length: 2_000 }, (_, i) => user(-1_000 - i)),
          { lean: true },
        );
        const single = await rate(creates, (i) => User.create([user(i)], options));
        rows.push({
          measurement: 'Model.create, one per round trip',
          mode,
          'ops/s': Math.round(single),
        });
        const batches = INSERT_MANY_DOCS / 1_000;
        const started = performance.now();
        for (let b = 0; b < batches; b++) {
          await User.insertMany(
            Array.from({ length: 1_000 }, (_, i) => user(creates + b * 1_000 + i)),
            { lean: true, ...options },
          );
        }
        const docsPerSecond = (INSERT_MANY_DOCS / (performance.now() - started)) * 1000;
        rows.push({
          measurement: 'insertMany, batches of 1,000 (docs/s)',
          mode,
          'ops/s': Math.round(docsPerSecond),
        });
      });
    } finally {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return rows;
}

async function lookupRows(): Promise<Row[]> {
  return withServer(undefined, async (_server, connection) => {
    // Two collections side by side, 1k and 1M documents, measured in alternating rounds so
    // JIT warm-up and machine noise hit both sizes alike.
    const Small = connection.model('Small', userSchema, 'users_small');
    const Large = connection.model('Large', userSchema, 'users_large');
    await Promise.all([Small.init(), Large.init()]);
    const grow = async (collection: mongoose.Collection, target: number) => {
      for (let size = 0; size < target; size += GROW_BATCH) {
        const batch = Math.min(GROW_BATCH, target - size);
        await collection.insertMany(
          Array.from({ length: batch }, (_, i) => user(size + i)),
          { ordered: false },
        );
      }
    };
    await grow(Small.collection, SMALL);
    const growStarted = performance.now();
    await grow(Large.collection, LARGE);
    const growSeconds = (performance.now() - growStarted) / 1000;

    const random = (n: number) => Math.floor(Math.random() * n);
    const byEmail = (model: typeof Small, docs: number) => () =>
      model.findOne({ email: `user${random(docs)}@example.com` }).lean();
    const byPlain = (model: typeof Small, docs: number) => () =>
      model.findOne({ plain: `plain${random(docs)}` }).lean();
    await rate(2_000, byEmail(Small, SMALL)); // warm-up, not measured
    await rate(2_000, byEmail(Large, LARGE));
    const rounds = {
      small: [] as number[],
      large: [] as number[],
      smallScan: [] as number[],
      largeScan: [] as number[],
    };
    for (let round = 0; round < 3; round++) {
      rounds.small.push(await rate(LOOKUPS, byEmail(Small, SMALL)));
      rounds.large.push(await rate(LOOKUPS, byEmail(Large, LARGE)));
      rounds.smallScan.push(await rate(SCAN_LOOKUPS[SMALL], byPlain(Small, SMALL)));
      rounds.largeScan.push(await rate(SCAN_LOOKUPS[LARGE], byPlain(Large, LARGE)));
    }
    const median = (rates: number[]) =>
      rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)] ?? 0;
    const [small, large, smallScan, largeScan] = [
      rounds.small,
      rounds.large,
      rounds.smallScan,
      rounds.largeScan,
    ].map(median) as [number, number, number, number];
    const memoryMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    return [
      {
        measurement: 'findOne by unique key (hash index)',
        'ops/s @1k': Math.round(small),
        'ops/s @1M': Math.round(large),
        '1M / 1k': Number((large / small).toFixed(2)),
      },
      {
        measurement: 'baseline: findOne by unindexed field (scan)',
        'ops/s @1k': Math.round(smallScan),
        'ops/s @1M': Number(largeScan.toFixed(2)),
        '1M / 1k': Number((largeScan / smallScan).toFixed(4)),
      },
      {
        measurement: `loading 1M documents with driver insertMany (docs/s); RSS after ${String(memoryMiB)} MiB`,
        'ops/s @1k': '',
        'ops/s @1M': Math.round(LARGE / growSeconds),
        '1M / 1k': '',
      },
    ];
  });
}

export default async function mongoBench(): Promise<BenchReport> {
  const commandPath = await commandPathRows();
  const inserts = await insertRows();
  const lookups = await lookupRows();
  return {
    title: 'Embedded MongoDB: the command path against the driver floor, then through mongoose',
    rows: [...commandPath, ...inserts, ...lookups],
    notes: [
      'Command path: the mongodb driver against a canned server (fixed reply bytes: the driver floor) and against the embedded server in memory and with --data; 2,000 operations per figure, 1 at a time and 16 in flight, median of 3 interleaved rounds after a warm-up. "÷ driver floor ping" and "÷ own ping" divide the sequential figure (floor: ping ≤ 2× driver floor, each operation ≤ 3× own ping).',
      `Model.create: ${String(CREATES)} sequential creates (${String(JOURNALED_FSYNC_CREATES)} with j: true); insertMany: ${String(INSERT_MANY_DOCS)} lean documents, unique index on email.`,
      `Lookups: ${String(LOOKUPS)} sequential findOne({email}).lean() on random existing keys, on a 1k and a 1M collection side by side, alternating, median of 3 rounds after a warm-up; scans: ${String(SCAN_LOOKUPS[SMALL])} at 1k, ${String(SCAN_LOOKUPS[LARGE])} at 1M per round.`,
      '"1M / 1k" near 1 means the lookup cost does not grow with the collection (hash index, no scan).',
      'Client and server share one Node process and its event loop, so every figure includes both sides.',
    ],
  };
}
