/**
 * Commands, errors, indexes, cursors and concurrency as a server behaves, checked through the
 * driver: error codes and shapes, index definitions and their effect, what a query examines
 * (explain), cursor life, and atomic per-document updates under concurrent clients.
 */
import { expect } from 'chai';
import {
  Long,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type Filter,
  type Sort,
  type IndexDescription,
  type WriteError,
} from 'mongodb';
import { serverError, type Loose, type Target } from './target.ts';
import { pollUntil } from '../../../testing/poll-until.ts';

/** The part of a find/getMore reply these tests read (ids arrive as numbers: promoteLongs). */
interface CursorReply {
  cursor: { id: number; nextBatch?: unknown[] };
}

export function serverBehaviourCases(target: Target): void {
  describe('errors', () => {
    it('an unknown command answers CommandNotFound (59), not success', async () => {
      const error = await serverError(target.database().command({ frobnicate: 1 }));
      expect(error).to.include({ code: 59, codeName: 'CommandNotFound' });
      expect(error.message).to.equal("no such command: 'frobnicate'");
    });

    it('an unknown query operator is BadValue (2)', async () => {
      const error = await serverError(
        target
          .database()
          .collection('c')
          .find({ a: { $frob: 1 } })
          .toArray(),
      );
      expect(error.code).to.equal(2);
    });

    it('an unknown update operator is FailedToParse (9)', async () => {
      const collection = target.collection('c');
      await collection.insertOne({ _id: 1 });
      const error = await serverError(collection.updateOne({ _id: 1 }, { $frob: { a: 1 } }));
      expect(error.code).to.equal(9);
    });

    it('a duplicate _id in insertMany reports the write error with its index', async () => {
      const collection = target.collection('c');
      const error = await collection.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 1 }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(MongoBulkWriteError);
      const bulk = error as MongoBulkWriteError;
      expect(bulk.insertedCount).to.equal(2);
      const writeErrors = (
        Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors]
      ) as WriteError[];
      expect(writeErrors.map((w) => [w.index, w.code])).to.deep.equal([[2, 11000]]);
    });

    it('a compound unique index rejects the duplicate pair only', async () => {
      const collection = target.collection('watch');
      await collection.createIndex({ user: 1, ticker: 1 }, { unique: true }, undefined);
      await collection.insertMany([
        { user: 'u1', ticker: 'A' },
        { user: 'u1', ticker: 'B' },
        { user: 'u2', ticker: 'A' },
      ]);
      const error = await serverError(collection.insertOne({ user: 'u1', ticker: 'A' }));
      expect(error.code).to.equal(11000);
      expect(error.keyPattern).to.deep.equal({ user: 1, ticker: 1 });
      expect(error.keyValue).to.deep.equal({ user: 'u1', ticker: 'A' });
    });

    it('a unique index cannot be built over existing duplicates', async () => {
      const collection = target.collection('dups');
      await collection.insertMany([{ e: 1 }, { e: 1 }]);
      expect(
        (await serverError(collection.createIndex({ e: 1 }, { unique: true }, undefined))).code,
      ).to.equal(11000);
      expect(
        ((await collection.listIndexes().toArray()) as IndexDescription[]).map((i) => i.name),
      ).to.deep.equal(['_id_']);
    });

    it('a document nested deeper than 100 levels is refused with Overflow (15)', async () => {
      // src/mongo/db/ops/insert.cpp fixDocumentForInsert: the document itself is level 1.
      const nest = (levels: number) => {
        let value: Record<string, unknown> = { leaf: 1 };
        for (let i = 1; i < levels; i++) value = { d: value };
        return value;
      };
      const collection = target.collection('deep');
      await collection.insertOne({ _id: 1, ...nest(100) });
      const error = await serverError(collection.insertOne({ _id: 2, ...nest(101) }));
      expect(error.code).to.equal(15);
      expect(await collection.countDocuments()).to.equal(1);
    });

    it('listIndexes on a missing collection is NamespaceNotFound (26)', async () => {
      const error = await serverError(target.collection('missing').listIndexes().toArray());
      expect(error.code).to.equal(26);
    });

    it('transactions are refused on a standalone server (IllegalOperation, 20)', async function () {
      const hello = await target.database().admin().command({ hello: 1 });
      if (hello.setName || hello.msg === 'isdbgrid') this.skip();
      const session = target.client().startSession();
      try {
        const collection = target.collection('tx');
        session.startTransaction();
        const error = await collection.insertOne({ a: 1 }, { session }).then(
          () => undefined,
          (e: unknown) => e,
        );
        // The driver rewraps the server's IllegalOperation (20) "Transaction numbers are only
        // allowed on a replica set member or mongos" as its retryable-writes advice.
        expect(error).to.be.instanceOf(MongoServerError);
        const original = (error as MongoServerError).errorResponse.originalError as
          { code?: number } | undefined;
        expect(original?.code ?? (error as MongoServerError).code).to.equal(20);
      } finally {
        await session.endSession();
      }
    });
  });

  describe('write concern', () => {
    it('w > 1 is refused on a standalone server (BadValue) and nothing is written', async function () {
      const hello = await target.database().admin().command({ hello: 1 });
      if (hello.setName || hello.msg === 'isdbgrid') this.skip();
      const collection = target.collection('wc');
      const error = await serverError(collection.insertOne({ a: 1 }, { writeConcern: { w: 2 } }));
      expect(error.code).to.equal(2);
      await collection.insertOne({ a: 2 }, { writeConcern: { w: 'majority' } });
      expect(await collection.countDocuments()).to.equal(1);
    });
  });

  describe('indexes', () => {
    it('createIndexes, listIndexes and dropIndexes', async () => {
      const collection = target.collection('ix');
      await collection.createIndex({ email: 1 }, { unique: true }, undefined);
      await collection.createIndex({ ticker: 1, t: -1 }, { name: 'by_ticker_time' }, undefined);
      await collection.createIndex({ at: 1 }, { expireAfterSeconds: 3600 }, undefined);
      const indexes = (await collection.listIndexes().toArray()) as IndexDescription[];
      expect(
        indexes.map(({ name, key, unique, expireAfterSeconds }) => ({
          name,
          key,
          unique,
          expireAfterSeconds,
        })),
      ).to.deep.equal([
        { name: '_id_', key: { _id: 1 }, unique: undefined, expireAfterSeconds: undefined },
        { name: 'email_1', key: { email: 1 }, unique: true, expireAfterSeconds: undefined },
        {
          name: 'by_ticker_time',
          key: { ticker: 1, t: -1 },
          unique: undefined,
          expireAfterSeconds: undefined,
        },
        { name: 'at_1', key: { at: 1 }, unique: undefined, expireAfterSeconds: 3600 },
      ]);
      await collection.dropIndex('by_ticker_time');
      expect(
        ((await collection.listIndexes().toArray()) as IndexDescription[]).map((i) => i.name),
      ).to.deep.equal(['_id_', 'email_1', 'at_1']);
      expect((await serverError(collection.dropIndex('nope'))).code).to.equal(27);
    });

    it('re-creating an index is a no-op; conflicting definitions fail with 85/86', async () => {
      // index_catalog_impl.cpp _doesSpecConflictWithExisting, index_descriptor.cpp
      // compareIndexOptions: key, unique, sparse and partial filter identify an index.
      const collection = target.collection('ix');
      await collection.createIndex({ a: 1 }, undefined, undefined);
      expect(await collection.createIndex({ a: 1 }, undefined, undefined)).to.equal('a_1');
      const code = async (key: Record<string, 1>, options: Record<string, unknown>) =>
        (await serverError(collection.createIndex(key, options, undefined))).code;
      expect(await code({ a: 1 }, { name: 'other' })).to.equal(85);
      expect(await code({ b: 1 }, { name: 'a_1' })).to.equal(86);
      expect(await code({ a: 1 }, { unique: true })).to.equal(86);
      await collection.createIndex({ t: 1 }, { expireAfterSeconds: 10 }, undefined);
      expect(await code({ t: 1 }, { expireAfterSeconds: 20 })).to.equal(85);
      expect(await code({ t: 1 }, { name: 't_ttl', expireAfterSeconds: 20 })).to.equal(85);
      await collection.createIndex({ a: 1 }, { name: 'a_unique', unique: true }, undefined);
      const names = ((await collection.listIndexes().toArray()) as IndexDescription[]).map(
        (index) => index.name,
      );
      expect(names).to.deep.equal(['_id_', 'a_1', 't_1', 'a_unique']);
    });

    it('a sparse unique index allows many documents without the field', async () => {
      const collection = target.collection('sparse');
      await collection.createIndex({ code: 1 }, { unique: true, sparse: true }, undefined);
      await collection.insertMany([{ a: 1 }, { a: 2 }, { code: 'x' }]);
      expect((await serverError(collection.insertOne({ code: 'x' }))).code).to.equal(11000);
    });

    it('a lookup by unique key examines one document; an indexed range or sort only what it returns', async () => {
      const collection = target.collection('quotes');
      await collection.createIndex({ email: 1 }, { unique: true }, undefined);
      await collection.createIndex({ ticker: 1, t: 1 }, undefined, undefined);
      await collection.insertMany(
        Array.from({ length: 500 }, (_, i) => ({ email: `u${i}@x.io`, ticker: `T${i % 5}`, t: i })),
      );
      const examined = async (filter: Filter<Loose>, sort?: Sort, limit = 0) => {
        const plan = await collection.find(filter, { sort, limit }).explain('executionStats');
        const stats = plan.executionStats as { nReturned: number; totalDocsExamined: number };
        return [stats.nReturned, stats.totalDocsExamined];
      };
      expect(await examined({ email: 'u42@x.io' })).to.deep.equal([1, 1]);
      expect(await examined({ ticker: 'T3', t: { $gte: 400 } })).to.deep.equal([20, 20]);
      // The latest quote of a ticker: the index gives the order, so the scan stops at the limit.
      expect(await examined({ ticker: 'T3' }, { t: -1 }, 1)).to.deep.equal([1, 1]);
      expect(await examined({ t: { $gte: 400 } })).to.deep.equal([100, 500]);
    });

    it('TTL index: expired documents are deleted by the background sweep', async function () {
      if (!target.embedded) this.skip(); // mongod's TTL monitor runs every 60 s: too slow for a test.
      const collection = target.collection('sessions');
      await collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }, undefined);
      await collection.insertMany([
        { _id: 'old', expiresAt: new Date(Date.now() - 1000) },
        { _id: 'new', expiresAt: new Date(Date.now() + 3_600_000) },
        { _id: 'none' },
      ]);
      await pollUntil(
        'the expired session to be deleted',
        async () => !(await collection.findOne({ _id: 'old' })),
      );
      expect((await collection.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).to.deep.equal([
        'new',
        'none',
      ]);
    });
  });

  describe('cursors', () => {
    it('close() kills the server cursor; a getMore on it is CursorNotFound (43)', async () => {
      const db = target.database();
      const collection = db.collection<Loose>('c');
      await collection.insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
      const reply = (await db.command({ find: 'c', batchSize: 2 })) as CursorReply;
      const id = Long.fromValue(reply.cursor.id);
      expect(id.isZero()).to.equal(false);
      const killed = (await db.command({ killCursors: 'c', cursors: [id] })) as {
        cursorsKilled: unknown[];
      };
      expect(killed.cursorsKilled.map(String)).to.deep.equal([String(id)]);
      const error = await serverError(db.command({ getMore: id, collection: 'c' }));
      expect(error.code).to.equal(43);
    });

    it('a getMore after the collection was dropped fails with QueryPlanKilled (175)', async () => {
      const db = target.database();
      const collection = db.collection<Loose>('c');
      await collection.insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
      const reply = (await db.command({ find: 'c', batchSize: 2 })) as CursorReply;
      await collection.drop();
      const error = await serverError(
        db.command({ getMore: Long.fromValue(reply.cursor.id), collection: 'c' }),
      );
      expect(error).to.include({ code: 175, codeName: 'QueryPlanKilled' });
    });

    it('a getMore without batchSize returns the rest', async () => {
      const db = target.database();
      await db.collection<Loose>('c').insertMany(Array.from({ length: 300 }, (_, i) => ({ i })));
      const first = (await db.command({ find: 'c', batchSize: 10 })) as CursorReply;
      const rest = (await db.command({
        getMore: Long.fromValue(first.cursor.id),
        collection: 'c',
      })) as CursorReply;
      expect(rest.cursor.nextBatch).to.have.length(290);
      expect(String(rest.cursor.id)).to.equal('0');
    });
  });

  describe('concurrency', () => {
    it('findAndModify $inc from 50 concurrent clients loses no increment', async () => {
      const db = target.database();
      await db.collection<Loose>('counters').insertOne({ _id: 'c', n: 0 });
      const clients = await Promise.all(
        Array.from({ length: 50 }, () =>
          new MongoClient(target.uri(), { maxPoolSize: 2 }).connect(),
        ),
      );
      try {
        await Promise.all(
          clients.map(async (client) => {
            const counters = client.db(db.databaseName).collection<Loose>('counters');
            for (let i = 0; i < 10; i++) {
              await counters.findOneAndUpdate({ _id: 'c' }, { $inc: { n: 1 } });
            }
          }),
        );
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
      const counter = await db.collection<Loose>('counters').findOne({ _id: 'c' });
      expect(counter?.n).to.equal(500);
    });
  });
}
