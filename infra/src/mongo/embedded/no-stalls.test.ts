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

  // The server runs in its own process, as for the services: the pings measure its scheduling,
  // not the test's event loop. What is asserted is an order, not a latency (a loaded machine
  // stretches every millisecond): pings sent one after another while the scan runs are answered
  // before the scan's own reply. A server that ran the scan to completion answers none of them
  // before it (each waits behind the whole scan), and one that ignored maxTimeMS would return
  // the scan's result instead of MaxTimeMSExpired. The p99 is printed for the reader.
  it('a 20 s scan on one connection leaves pings on another answered meanwhile; maxTimeMS ends it', async () => {
    const busy = await spawnServer();
    const clients = await Promise.all(
      [busy.uri, busy.uri].map((uri) => new MongoClient(uri, { maxPoolSize: 1 }).connect()),
    );
    const [scanning, pinging] = clients as [MongoClient, MongoClient];
    try {
      await scanAndPing(scanning, pinging);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      busy.process.kill('SIGTERM');
      await once(busy.process, 'exit');
    }
  });

  async function scanAndPing(scanner: MongoClient, pinging: MongoClient) {
    const collection = scanner.db('yield').collection('scan');
    await fill(collection, 40_000);
    const ping = async (): Promise<number> => {
      const sent = performance.now();
      await pinging.db('admin').command({ ping: 1 });
      return performance.now() - sent;
    };
    await ping();
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
    const answeredDuringScan: number[] = [];
    for (;;) {
      const latency = await ping();
      if (scan.done) break;
      answeredDuringScan.push(latency);
    }
    const error = await scanned;
    // The whole scan is 20 s of work or more on a quiet machine; only the deadline ends it early.
    expect(error).to.be.instanceOf(MongoServerError);
    expect((error as MongoServerError).code).to.equal(50);
    expect(
      answeredDuringScan.length,
      `pings answered before the scan's reply (p99 ${p99(answeredDuringScan).toFixed(1)} ms)`,
    ).to.be.at.least(10);
  }

  it('a read that yields sees each document as it is when reached (no snapshot across yields)', async () => {
    const collection = scanner.db('yield').collection('read');
    // About a second of work: two round trips from another client fit in it however loaded the
    // machine, since the read gives way every few milliseconds.
    await fill(collection, 3_000);
    const read = collection.find({ $or: [SLOW_FILTER, { a: { $gte: 0 } }] }).toArray();
    // Answered at the read's first yield, after it has passed the first documents.
    await other.db('admin').command({ ping: 1 });
    const writer = other.db('yield').collection('read');
    await writer.updateMany({ n: { $in: [0, 2_999] } }, { $set: { a: 1 } });
    const docs: Document[] = await read;
    const byN = new Map(docs.map((doc) => [doc.n as number, doc.a as number]));
    expect(byN.get(0), 'reached before the write').to.equal(0);
    expect(byN.get(2_999), 'reached after the write').to.equal(1);
  });

  it('a multi-document update interleaves with other writes, and no single-document write is lost', async () => {
    const collection = scanner.db('yield').collection('write');
    const count = 3_000;
    await fill(collection, count);
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
      const n = (i * 37) % count;
      await writer.updateOne({ n }, { $inc: { a: 1 } });
      increments.set(n, (increments.get(n) ?? 0) + 1);
      if (!multi.done) duringMulti++;
    }
    expect((await updated).modifiedCount).to.equal(count);
    // An order, not a rate: a server that ran the multi-update whole answers at most the first
    // single write before it (both replies arrive together); this one answers them in between.
    expect(duringMulti, 'single writes answered while the multi-update ran').to.be.at.least(3);
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
