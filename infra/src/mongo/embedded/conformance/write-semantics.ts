/**
 * What updates do to stored documents, checked against a real server's answers: partial
 * failure of multi-document updates, upsert seeding and the order of fields after an update.
 * Expected results come from the server's own tests (mongodb/mongo jstests/core, named per case)
 * or from the specifications' CRUD tests.
 */
import { expect } from 'chai';
import { MongoServerError, type Document } from 'mongodb';
import type { Loose, Target } from './target.ts';

async function serverError(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a server error').to.be.instanceOf(MongoServerError);
  return error as MongoServerError;
}

const all = (target: Target): Promise<Loose[]> =>
  target.collection('c').find().sort({ _id: 1 }).toArray();

export function writeSemanticsCases(target: Target): void {
  describe('a multi-document update failing part-way', () => {
    // A write command counts only the statements that succeeded; documents already updated by
    // the failing statement stay updated (write_ops_exec performUpdates: not a transaction).
    it('keeps the documents before the failure updated, the rest untouched, and counts none', async () => {
      await target.collection('c').insertMany([
        { _id: 1, x: 1 },
        { _id: 2, x: 'text' },
        { _id: 3, x: 3 },
      ]);
      const reply: Document = await target.database().command({
        update: 'c',
        updates: [{ q: {}, u: { $inc: { x: 1 } }, multi: true }],
      });
      expect(reply).to.include({ n: 0, nModified: 0 });
      const writeErrors = reply.writeErrors as { index: number; code: number }[];
      expect(writeErrors.map((e) => [e.index, e.code])).to.deep.equal([[0, 14]]);
      expect(await all(target)).to.deep.equal([
        { _id: 1, x: 2 },
        { _id: 2, x: 'text' },
        { _id: 3, x: 3 },
      ]);
    });

    it('on a unique index violation, leaves the index agreeing with the documents', async () => {
      const collection = target.collection('c');
      await collection.createIndex({ u: 1 }, { unique: true }, undefined);
      await collection.insertMany([
        { _id: 1, u: 1 },
        { _id: 2, u: 3 },
        { _id: 3, u: 4 },
      ]);
      const error = await serverError(collection.updateMany({}, { $inc: { u: 1 } }));
      expect(error.code).to.equal(11000);
      expect(error.keyValue).to.deep.equal({ u: 4 });
      expect(await all(target)).to.deep.equal([
        { _id: 1, u: 2 },
        { _id: 2, u: 3 },
        { _id: 3, u: 4 },
      ]);
      expect(await collection.findOne({ u: 1 })).to.equal(null);
      expect(await collection.findOne({ u: 2 })).to.deep.equal({ _id: 1, u: 2 });
      await collection.insertOne({ _id: 4, u: 1 });
      expect((await serverError(collection.insertOne({ _id: 5, u: 2 }))).code).to.equal(11000);
    });
  });
}
