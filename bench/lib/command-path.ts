/**
 * The embedded server's command path against the driver's own floor (issue 16 §4): the same
 * `mongodb` driver, one process, against a canned server (fixed reply bytes) and against the
 * embedded server in memory and with a data directory: `ping`, then `findOne`, `updateOne`
 * ($inc) and `insertOne` by unique key, one at a time and with 16 in flight. Rounds are
 * interleaved and the median kept; each figure is µs per operation (client and server share
 * the process, so both sides are in it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Long, MongoClient } from 'mongodb';
import { pino } from 'pino';
import { startEmbeddedMongo } from '../../infra/src/mongo/embedded/index.ts';
import { startCannedServer } from './canned-mongo.ts';
import type { Cell } from './report.ts';

const OPS = 2_000;
const ROUNDS = 3;
const IN_FLIGHT = 16;
const KEYS = 1_000;

type Op = (i: number) => Promise<unknown>;

/** µs per operation: `OPS` operations, `workers` at a time. */
async function microsPerOp(op: Op, workers: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < OPS) await op(next++);
    }),
  );
  return ((performance.now() - started) * 1000) / OPS;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

interface Target {
  readonly name: string;
  readonly client: MongoClient;
  readonly ops: Readonly<Record<string, Op>>;
}

export async function commandPathRows(): Promise<Record<string, Cell>[]> {
  const canned = await startCannedServer({
    cursor: { id: Long.ZERO, ns: 'bench.users', firstBatch: [{ _id: 1, key: 'k1', n: 1 }] },
    ok: 1,
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-mongo-path-'));
  const logger = pino({ level: 'silent' });
  const memory = await startEmbeddedMongo({ logger });
  const journaled = await startEmbeddedMongo({ logger, dataDir });
  const clients: MongoClient[] = [];
  const connect = async (uri: string) => {
    const client = await new MongoClient(uri, { maxPoolSize: IN_FLIGHT }).connect();
    clients.push(client);
    return client;
  };
  try {
    const targets: Target[] = [];
    const floorClient = await connect(canned.uri);
    const floorUsers = floorClient.db('bench').collection('users');
    targets.push({
      name: 'driver floor (canned bytes)',
      client: floorClient,
      ops: {
        ping: () => floorClient.db('admin').command({ ping: 1 }),
        findOne: (i) => floorUsers.findOne({ key: `k${String(i % KEYS)}` }),
      },
    });
    for (const [name, server] of [
      ['embedded, in memory', memory],
      ['embedded, --data', journaled],
    ] as const) {
      const client = await connect(server.uri);
      const users = client.db('bench').collection<{ key: string; n: number }>('users');
      await users.createIndex({ key: 1 }, { unique: true }, undefined);
      await users.insertMany(
        Array.from({ length: KEYS }, (_, i) => ({ key: `k${String(i)}`, n: 0 })),
      );
      let inserted = 0;
      targets.push({
        name,
        client,
        ops: {
          ping: () => client.db('admin').command({ ping: 1 }),
          findOne: (i) => users.findOne({ key: `k${String(i % KEYS)}` }),
          updateOne: (i) => users.updateOne({ key: `k${String(i % KEYS)}` }, { $inc: { n: 1 } }),
          insertOne: () => users.insertOne({ key: `new${String(inserted++)}`, n: 0 }),
        },
      });
    }
    const samples = new Map<string, number[]>();
    for (let round = 0; round <= ROUNDS; round++) {
      for (const target of targets) {
        for (const [op, run] of Object.entries(target.ops)) {
          for (const workers of [1, IN_FLIGHT]) {
            const micros = await microsPerOp(run, workers);
            if (round === 0) continue; // warm-up: JIT, pools, indexes
            const key = `${target.name}|${op}|${String(workers)}`;
            samples.set(key, [...(samples.get(key) ?? []), micros]);
          }
        }
      }
    }
    const at = (target: string, op: string, workers: number) =>
      median(samples.get(`${target}|${op}|${String(workers)}`) ?? []);
    const rows: Record<string, Cell>[] = [];
    for (const target of targets) {
      for (const op of Object.keys(target.ops)) {
        const sequential = at(target.name, op, 1);
        const parallel = at(target.name, op, IN_FLIGHT);
        const floor = at(targets[0]?.name ?? '', 'ping', 1);
        const ownPing = at(target.name, 'ping', 1);
        rows.push({
          'command path': target.name,
          operation: op,
          'µs/op, 1 at a time': Number(sequential.toFixed(1)),
          [`µs/op, ${String(IN_FLIGHT)} in flight`]: Number(parallel.toFixed(1)),
          '÷ driver floor ping': Number((sequential / floor).toFixed(2)),
          '÷ own ping': Number((sequential / ownPing).toFixed(2)),
        });
      }
    }
    return rows;
  } finally {
    for (const client of clients) await client.close();
    await memory.stop();
    await journaled.stop();
    await canned.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
