/**
 * Nothing one client does stalls the server for the others. Long operations share the event
 * loop (server/operation.ts): a scan of many seconds neither holds up another connection nor
 * outlives its maxTimeMS, in every command that reads or writes many documents, and what a
 * yielding operation sees follows the README's isolation rule (each document as it is when
 * reached, each single-document write atomic, multi-document writes interleaved). A join uses
 * the foreign collection's index instead of scanning it per document. A server that ran each
 * command to completion fails these tests: the ping would wait for the whole scan.
 * Embedded only: they measure this server's scheduling, not a result mongod could be asked for.
 */
import { once } from 'node:events';
import { expect } from 'chai';
import { MongoClient, MongoServerError, type Collection, type Document } from 'mongodb';
import { pino } from 'pino';
import { startEmbeddedMongo, type EmbeddedMongo } from './index.ts';
import { spawnServer } from './testing/spawn-server.ts';

/**
 * A filter costing a fraction of a millisecond per document, whatever the machine's load: it
 * builds eight 5,000-element arrays, each small enough to die young (bigger ones would add
 * old-generation GC pauses to the latencies measured).
 */
const SLOW_FILTER = {
  $expr: {
    $lt: [
      { $sum: { $map: { input: { $range: [0, 8] }, in: { $size: { $range: [0, 5_000] } } } } },
      0,
    ],
  },
};

describe('embedded MongoDB: nothing stalls the server', function () {
  this.timeout(60_000);
  let server: EmbeddedMongo;
  let scanner: MongoClient;
  let other: MongoClient;

  before(async () => {
    server = await startEmbeddedMongo({ logger: pino({ level: 'silent' }) });
    scanner = await new MongoClient(server.uri, { maxPoolSize: 1 }).connect();
    other = await new MongoClient(server.uri, { maxPoolSize: 1 }).connect();
  });

  after(async () => {
    await scanner.close();
    await other.close();
    await server.stop();
  });

  const fill = async (collection: Collection, count: number) => {
    for (let start = 0; start < count; start += 10_000) {
      const size = Math.min(10_000, count - start);
      await collection.insertMany(Array.from({ length: size }, (_, i) => ({ n: start + i, a: 0 })));
    }
  };

  // The servers run in their own processes, as for the services: the pings measure their
  // scheduling, not the test's event loop. The bound is the 50 ms added to the p99 of
  // pings sent alternately, in the same seconds, to a second, idle server (on a quiet machine
  // about a millisecond; on a shared, loaded one the operating system alone costs more, and a
  // busy process more than an idle one, hence at least three times it). A server that does not
  // yield answers after the whole scan: seconds.
  it('a 20 s scan on one connection adds under 50 ms to ping p99 on another; maxTimeMS ends it on time', async () => {
    const [busy, idle] = await Promise.all([spawnServer(), spawnServer()]);
    const clients = await Promise.all(
      [busy.uri, busy.uri, idle.uri].map((uri) =>
        new MongoClient(uri, { maxPoolSize: 1 }).connect(),
      ),
    );
    const [scanning, pingingBusy, pingingIdle] = clients as [MongoClient, MongoClient, MongoClient];
    try {
      await scanAndPing(scanning, pingingBusy, pingingIdle);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      for (const child of [busy, idle]) child.process.kill('SIGTERM');
      await Promise.all([once(busy.process, 'exit'), once(idle.process, 'exit')]);
    }
  });

  async function scanAndPing(scanner: MongoClient, busy: MongoClient, idle: MongoClient) {
    const collection = scanner.db('yield').collection('scan');
    await fill(collection, 40_000);
    const ping = async (client: MongoClient): Promise<number> => {
      const sent = performance.now();
      await client.db('admin').command({ ping: 1 });
      return performance.now() - sent;
    };
    await ping(idle);
    const started = performance.now();
    const scan = { done: false };
    const scanned = collection
      .find(SLOW_FILTER)
      .maxTimeMS(4_000)
      .toArray()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
      .finally(() => {
        scan.done = true;
      });
    const latencies = { busy: [] as number[], idle: [] as number[] };
    while (!scan.done) {
      latencies.busy.push(await ping(busy));
      latencies.idle.push(await ping(idle));
    }
    const error = await scanned;
    const elapsed = performance.now() - started;
    expect(error).to.be.instanceOf(MongoServerError);
    expect((error as MongoServerError).code).to.equal(50);
    // The whole scan is 20 s of work or more; the deadline ends it after 4 s (slack for a busy machine).
    expect(elapsed).to.be.below(12_000);
    expect(latencies.busy.length).to.be.above(20);
    const [during, control] = [p99(latencies.busy), p99(latencies.idle)];
    expect(
      during,
      `ping p99 ${during.toFixed(1)} ms to the scanning server, ${control.toFixed(1)} ms to the idle one`,
    ).to.be.below(Math.max(control + 50, 3 * control));
  }

  it('a read that yields sees each document as it is when reached (no snapshot across yields)', async () => {
    const collection = scanner.db('yield').collection('read');
    await fill(collection, 1_000);
    const read = collection.find({ $or: [SLOW_FILTER, { a: { $gte: 0 } }] }).toArray();
    // Answered at the read's first yield, after it has passed the first documents.
    await other.db('admin').command({ ping: 1 });
    const writer = other.db('yield').collection('read');
    await writer.updateMany({ n: { $in: [0, 999] } }, { $set: { a: 1 } });
    const docs: Document[] = await read;
    const byN = new Map(docs.map((doc) => [doc.n as number, doc.a as number]));
    expect(byN.get(0), 'reached before the write').to.equal(0);
    expect(byN.get(999), 'reached after the write').to.equal(1);
  });

  it('a multi-document update interleaves with other writes, and no single-document write is lost', async () => {
    const collection = scanner.db('yield').collection('write');
    await fill(collection, 1_000);
    await collection.createIndex({ n: 1 }, { unique: true }, undefined);
    const multi = { done: false };
    const updated = collection
      .updateMany({ $or: [SLOW_FILTER, { a: { $gte: 0 } }] }, { $inc: { a: 1 } })
      .finally(() => {
        multi.done = true;
      });
    const writer = other.db('yield').collection('write');
    const increments = new Map<number, number>();
    let duringMulti = 0;
    for (let i = 0; !multi.done || i < 50; i++) {
      const n = (i * 37) % 1_000;
      await writer.updateOne({ n }, { $inc: { a: 1 } });
      increments.set(n, (increments.get(n) ?? 0) + 1);
      if (!multi.done) duringMulti++;
    }
    expect((await updated).modifiedCount).to.equal(1_000);
    expect(duringMulti, 'single writes answered while the multi-update ran').to.be.above(10);
    const docs = await collection.find({}, { projection: { _id: 0, n: 1, a: 1 } }).toArray();
    for (const doc of docs) {
      expect(doc.a, `n=${String(doc.n)}`).to.equal(1 + (increments.get(doc.n as number) ?? 0));
    }
  });

  it('maxTimeMS ends every long read and write with MaxTimeMSExpired (50)', async () => {
    const db = scanner.db('yield');
    const collection = db.collection('deadline');
    await fill(collection, 5_000);
    const slow = { $or: [SLOW_FILTER, { a: { $gte: 0 } }] };
    const maxTimeMS = 100;
    const attempts: [string, () => Promise<unknown>][] = [
      ['find', () => collection.find(slow, { maxTimeMS }).toArray()],
      [
        'aggregate',
        () =>
          collection
            .aggregate([{ $match: slow }, { $group: { _id: '$a' } }], { maxTimeMS })
            .toArray(),
      ],
      ['count', () => collection.countDocuments(slow, { maxTimeMS })],
      ['distinct', () => collection.distinct('a', slow, { maxTimeMS })],
      ['updateMany', () => collection.updateMany(slow, { $inc: { a: 1 } }, { maxTimeMS })],
      [
        'findOneAndUpdate',
        () => collection.findOneAndUpdate(slow, { $inc: { a: 1 } }, { sort: { a: -1 }, maxTimeMS }),
      ],
      ['deleteMany', () => collection.deleteMany(slow, { maxTimeMS })],
    ];
    for (const [name, attempt] of attempts) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: number } | undefined)?.code, name).to.equal(50);
    }
  });

  it('$lookup by let/pipeline $expr $eq, and by localField, uses the index on the foreign field', async () => {
    const db = scanner.db('yield');
    await db
      .collection<{ _id: number; sku: number }>('orders')
      .insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: i, sku: i * 100 })));
    const stock = db.collection('stock');
    await fill(stock, 20_000);
    await stock.createIndex({ n: 1 }, {}, undefined);
    const examined = async () => {
      const status = await db.admin().command({ serverStatus: 1 });
      return (status.metrics as { queryExecutor: { scannedObjects: number } }).queryExecutor
        .scannedObjects;
    };
    for (const lookup of [
      {
        from: 'stock',
        let: { sku: '$sku' },
        pipeline: [{ $match: { $expr: { $eq: ['$n', '$$sku'] } } }],
        as: 'stock',
      },
      { from: 'stock', localField: 'sku', foreignField: 'n', as: 'stock' },
    ]) {
      const before = await examined();
      const joined = await db
        .collection('orders')
        .aggregate([{ $lookup: lookup }])
        .toArray();
      const scanned = (await examined()) - before;
      expect(joined.filter((order) => (order.stock as unknown[]).length === 1)).to.have.length(200);
      // 200 orders plus one stock document each; a scan per order would examine 4 million.
      expect(scanned, JSON.stringify(lookup)).to.be.below(1_000);
    }
  });
});

function p99(latencies: readonly number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.99)] ?? Infinity;
}
