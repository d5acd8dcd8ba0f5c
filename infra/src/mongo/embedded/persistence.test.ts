/**
 * Persistence of the embedded server with a data directory: restart, SIGKILL of a server
 * process mid-traffic, a torn journal tail, corruption refused, compaction into snapshots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MongoClient, type Document, type IndexDescription, type MongoServerError } from 'mongodb';
import { pino } from 'pino';
import { pollUntil } from '../../testing/poll-until.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from './index.ts';
import { spawnServer } from './testing/spawn-server.ts';

const silent = pino({ level: 'silent' });

interface Doc extends Document {
  _id: number;
}

describe('embedded MongoDB persistence', function () {
  let dir: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tickwatch-mongo-'));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(
    options: { compactAfterBytes?: number } = {},
  ): Promise<{ server: EmbeddedMongo; client: MongoClient }> {
    const server = await startEmbeddedMongo({ dataDir: dir, logger: silent, ...options });
    const client = await new MongoClient(server.uri).connect();
    cleanups.push(
      () => server.stop(),
      () => client.close(),
    );
    return { server, client };
  }

  async function stop({
    server,
    client,
  }: {
    server: EmbeddedMongo;
    client: MongoClient;
  }): Promise<void> {
    await client.close();
    await server.stop();
  }

  it('keeps documents, updates, deletes and indexes across a restart', async () => {
    const first = await start();
    const quotes = first.client.db('app').collection<Doc>('quotes');
    await quotes.createIndex({ ticker: 1 }, { unique: true }, undefined);
    await quotes.createIndex({ at: 1 }, { expireAfterSeconds: 3600 }, undefined);
    await quotes.insertMany([
      { _id: 1, ticker: 'AAPL', price: 1, at: new Date(0) },
      { _id: 2, ticker: 'MSFT', price: 2 },
      { _id: 3, ticker: 'IBM', price: 3 },
    ]);
    await quotes.updateOne({ _id: 1 }, { $inc: { price: 10 } });
    await quotes.deleteOne({ _id: 3 });
    await first.client.db('gone').collection('x').insertOne({ a: 1 });
    await first.client.db('gone').dropDatabase();
    await stop(first);

    const second = await start();
    const again = second.client.db('app').collection<Doc>('quotes');
    expect(await again.find().sort({ _id: 1 }).toArray()).to.deep.equal([
      { _id: 1, ticker: 'AAPL', price: 11, at: new Date(0) },
      { _id: 2, ticker: 'MSFT', price: 2 },
    ]);
    const indexes = (await again.listIndexes().toArray()) as IndexDescription[];
    expect(
      indexes.map((index) => [index.name, index.unique ?? false, index.expireAfterSeconds ?? null]),
    ).to.deep.equal([
      ['_id_', false, null],
      ['ticker_1', true, null],
      ['at_1', false, 3600],
    ]);
    const duplicate = await again.insertOne({ _id: 9, ticker: 'MSFT' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((duplicate as MongoServerError).code).to.equal(11000);
    const names = (await second.client.db('admin').admin().listDatabases()).databases.map(
      (db) => db.name,
    );
    expect(names).to.include('app').and.not.include('gone');
  });

  it('loses no acknowledged write when the server process is SIGKILLed mid-traffic', async function () {
    this.timeout(30_000);
    const child = await spawnServer(dir);
    const client = await new MongoClient(child.uri, { serverSelectionTimeoutMS: 2000 }).connect();
    const acknowledged: number[] = [];
    const writer = (async () => {
      const collection = client.db('app').collection<Doc>('ticks');
      for (let i = 0; ; i++) {
        try {
          await collection.insertOne(
            { _id: i, j: i % 3 === 0 },
            i % 3 === 0 ? { writeConcern: { j: true } } : {},
          );
          acknowledged.push(i);
        } catch {
          return; // the server is gone
        }
      }
    })();
    await pollUntil('a few hundred acknowledged writes', () => acknowledged.length >= 300);
    const exited = once(child.process, 'exit');
    child.process.kill('SIGKILL');
    await exited; // reaped, so its pid no longer holds the directory lock
    await writer;
    await client.close();

    const { client: after } = await start();
    const stored = new Set(
      (await after.db('app').collection<Doc>('ticks').find().toArray()).map((d) => d._id),
    );
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost, 'acknowledged writes missing after SIGKILL').to.deep.equal([]);
  });

  it('cuts off a torn record at the end of the journal and keeps everything before it', async () => {
    const first = await start();
    await first.client
      .db('app')
      .collection<Doc>('c')
      .insertMany([{ _id: 1 }, { _id: 2 }]);
    await stop(first);
    const journal = latest(dir, 'journal');
    const goodSize = readFileSync(journal).length;
    // A crash mid-append: a header announcing 200 bytes, and only 7 of them written.
    const torn = Buffer.alloc(15);
    torn.writeUInt32LE(200, 0);
    appendFileSync(journal, torn);

    const logs: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
    const server = await startEmbeddedMongo({ dataDir: dir, logger });
    const client = await new MongoClient(server.uri).connect();
    cleanups.push(
      () => server.stop(),
      () => client.close(),
    );
    expect(await client.db('app').collection<Doc>('c').countDocuments()).to.equal(2);
    expect(readFileSync(journal).length).to.equal(goodSize);
    expect(logs.join('')).to.match(/torn record/);
  });

  it('refuses to start on a journal corrupted before its end', async () => {
    const first = await start();
    await first.client
      .db('app')
      .collection<Doc>('c')
      .insertMany([{ _id: 1 }, { _id: 2 }]);
    await first.client.db('app').collection<Doc>('c').insertOne({ _id: 3 });
    await stop(first);
    const journal = latest(dir, 'journal');
    const bytes = readFileSync(journal);
    bytes[12] = (bytes[12] ?? 0) ^ 0xff; // inside the first record's payload
    writeFileSync(journal, bytes);
    const error = await startEmbeddedMongo({ dataDir: dir, logger: silent }).then(
      (server) => server.stop(),
      (e: unknown) => e,
    );
    expect(String(error)).to.match(/checksum mismatch at byte 0, followed by more data/);
  });

  it('compacts the journal into a snapshot and restarts from it', async () => {
    const first = await start({ compactAfterBytes: 64 * 1024 });
    const collection = first.client.db('app').collection<Doc>('big');
    for (let batch = 0; batch < 10; batch++) {
      await collection.insertMany(
        Array.from({ length: 200 }, (_, i) => ({ _id: batch * 200 + i, pad: 'x'.repeat(100) })),
      );
    }
    await collection.updateMany({}, { $set: { touched: true } });
    await pollUntil('a snapshot and a single journal', () => {
      const files = readdirSync(dir);
      return (
        files.some((f) => f.startsWith('snapshot-')) &&
        files.filter((f) => f.startsWith('journal-')).length === 1
      );
    });
    await collection.deleteOne({ _id: 0 });
    await stop(first);

    const second = await start();
    const again = second.client.db('app').collection<Doc>('big');
    expect(await again.countDocuments()).to.equal(1999);
    expect(await again.countDocuments({ touched: true })).to.equal(1999);
  });

  it('compacts when asked, and restarts from the snapshot', async () => {
    const first = await start();
    const collection = first.client.db('app').collection<Doc>('quotes');
    await collection.insertMany([
      { _id: 1, price: 1 },
      { _id: 2, price: 2 },
    ]);
    await collection.updateOne({ _id: 1 }, { $set: { price: 10 } });
    const before = readdirSync(dir).filter((f) => f.startsWith('snapshot-'));
    await first.server.compact();
    const files = readdirSync(dir);
    expect(files.filter((f) => f.startsWith('snapshot-'))).to.have.length(before.length + 1);
    expect(files.filter((f) => f.startsWith('journal-'))).to.have.length(1);
    await stop(first);

    const second = await start();
    const again = second.client.db('app').collection<Doc>('quotes');
    expect(await again.find().sort({ _id: 1 }).toArray()).to.deep.equal([
      { _id: 1, price: 10 },
      { _id: 2, price: 2 },
    ]);
  });

  it('ignores a snapshot left half-written by a crash during compaction', async () => {
    const first = await start();
    await first.client
      .db('app')
      .collection<Doc>('c')
      .insertMany([{ _id: 1 }, { _id: 2 }]);
    await stop(first);
    // A newer generation's snapshot that never got renamed into place.
    const leftover = path.join(dir, 'snapshot-00000099.bson.tmp');
    writeFileSync(leftover, Buffer.from('half a snapshot'));
    const second = await start();
    expect(await second.client.db('app').collection<Doc>('c').countDocuments()).to.equal(2);
    expect(readdirSync(dir)).to.not.include('snapshot-00000099.bson.tmp');
  });

  it('refuses a data directory already in use, naming the process that holds it', async () => {
    await start();
    const error = await startEmbeddedMongo({ dataDir: dir, logger: silent }).then(
      (server) => server.stop(),
      (e: unknown) => e,
    );
    expect(String(error)).to.include(`in use by process ${String(process.pid)}`);
  });

  it('lets exactly one of two servers started at the same moment have the directory', async function () {
    this.timeout(30_000);
    const started = await Promise.allSettled([spawnServer(dir), spawnServer(dir)]);
    for (const result of started)
      if (result.status === 'fulfilled') cleanups.push(() => stopProcess(result.value.process));
    expect(started.map((result) => result.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
  });

  it('restarts at once on the directory of a SIGKILLed server its parent has not reaped yet', async function () {
    this.timeout(30_000);
    // The server runs under a shell that becomes `sleep` and never waits for it: once killed,
    // it stays a zombie whose pid still answers kill(pid, 0), the case a pid lock gets wrong.
    const parent = spawn(
      'sh',
      [
        '-c',
        `"$0" scripts/mongo-embedded.ts --port 0 --data "$1" & exec sleep 60`,
        process.execPath,
        dir,
      ],
      { cwd: path.resolve(import.meta.dirname, '../../../..'), stdio: 'ignore' },
    );
    cleanups.push(() => stopProcess(parent));
    const pid = await pollUntil('the server holding the directory', () =>
      Number(readFileSync(path.join(dir, 'mongod.lock'), 'utf8')),
    );
    process.kill(pid, 'SIGKILL');
    // A zombie whose last thread is gone (the main thread turns zombie before the others end).
    await pollUntil('the killed server to be a zombie', () => {
      const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
      return /^State:\s+Z/m.test(status) && /^Threads:\s+1$/m.test(status);
    });
    const { client } = await start();
    expect(await client.db('app').command({ ping: 1 })).to.include({ ok: 1 });
  });

  it('compacts a journal whose history outweighs the live data, long before compactAfterBytes', async () => {
    const { client } = await start();
    const collection = client.db('app').collection<Doc>('small');
    await collection.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, n: 0 })));
    // 20 documents of about 1 KB rewritten 100 times: ~2 MB of history over ~20 KB of data.
    for (let round = 0; round < 100; round++)
      await collection.updateMany({}, { $set: { n: round, pad: 'x'.repeat(1000) } });
    await pollUntil('a snapshot replacing the journal', () => {
      const files = readdirSync(dir);
      return (
        files.some((f) => f.startsWith('snapshot-')) &&
        files.filter((f) => f.startsWith('journal-')).length === 1
      );
    });
    expect(statSync(latest(dir, 'journal')).size).to.be.below(1 << 20);
  });
});

function latest(dir: string, kind: 'journal' | 'snapshot'): string {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(`${kind}-`))
    .sort();
  const file = files[files.length - 1];
  if (!file) throw new Error(`no ${kind} file in ${dir}`);
  return path.join(dir, file);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
