/**
 * Hostile or huge requests get an error and leave the server serving: a command nested far
 * beyond the server's depth limit (which recursive code would overflow the stack on), and a
 * regular expression with catastrophic backtracking (which would hold the one event loop).
 * Embedded only: a real server's own limits differ in timing, not in outcome.
 */
import { expect } from 'chai';
import { MongoClient, MongoServerError } from 'mongodb';
import { pino } from 'pino';
import { startEmbeddedMongo, type EmbeddedMongo } from './index.ts';

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < levels; i++) value = { d: value };
  return value;
}

describe('embedded MongoDB robustness', function () {
  let server: EmbeddedMongo;
  let client: MongoClient;

  before(async () => {
    server = await startEmbeddedMongo({ logger: pino({ level: 'silent' }) });
    client = await new MongoClient(server.uri).connect();
  });

  after(async () => {
    await client.close();
    await server.stop();
  });

  it('answers a command nested 20,000 levels deep with Overflow (15) and keeps serving', async () => {
    const collection = client.db('robust').collection('deep');
    const error = await collection.insertOne({ deep: nested(20_000) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(MongoServerError);
    expect((error as MongoServerError).code).to.equal(15);
    const filterError = await collection
      .find({ deep: nested(20_000) })
      .toArray()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((filterError as MongoServerError).code).to.equal(15);
    await collection.insertOne({ ok: true });
    expect(await collection.countDocuments()).to.equal(1);
  });

  it('answers a catastrophically backtracking $regex quickly', async function () {
    this.timeout(5_000);
    const collection = client.db('robust').collection('regex');
    await collection.insertMany([{ s: `${'a'.repeat(50)}!` }, { s: 'aaa' }]);
    const started = performance.now();
    const found = await collection.find({ s: { $regex: '^(a+)+$' } }).toArray();
    expect(found.map((doc) => String(doc.s))).to.deep.equal(['aaa']);
    // Without the linear-engine fallback this takes longer than the universe has left.
    expect(performance.now() - started).to.be.below(2_000);
  });
});
