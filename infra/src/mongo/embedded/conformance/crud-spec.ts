/**
 * Cases taken from the MongoDB specifications' CRUD tests (mongodb/specifications,
 * source/crud/tests/...), whose expected results come from real servers. Each case names its
 * source file; the data, operation and expected outcome are the spec's, written as driver calls.
 */
import { expect } from 'chai';
import { MongoBulkWriteError, type Collection } from 'mongodb';
import type { Loose, Target } from './target.ts';

async function seeded(target: Target, docs: Loose[]): Promise<Collection<Loose>> {
  const collection = target.collection('coll');
  await collection.insertMany(docs);
  return collection;
}

const all = (collection: Collection<Loose>) => collection.find({}).sort({ _id: 1 }).toArray();
const elevenToThirtyThree = () => [
  { _id: 1, x: 11 },
  { _id: 2, x: 22 },
  { _id: 3, x: 33 },
];

export function crudSpecCases(target: Target): void {
  describe('read/find.yml, unified/find.yml', () => {
    const data = () => [1, 2, 3, 4, 5].map((i) => ({ _id: i, x: i * 11 }));

    it('Find with filter, sort, skip, and limit', async () => {
      const collection = await seeded(target, data());
      const found = await collection
        .find({ _id: { $gt: 2 } })
        .sort({ _id: 1 })
        .skip(2)
        .limit(2)
        .toArray();
      expect(found).to.deep.equal([{ _id: 5, x: 55 }]);
    });

    it('Find with limit, sort, and batchsize', async () => {
      const collection = await seeded(target, data());
      const found = await collection.find({}).sort({ _id: 1 }).limit(4).batchSize(2).toArray();
      expect(found.map((d) => d._id)).to.deep.equal([1, 2, 3, 4]);
    });

    it('find with multiple batches works (getMore with batchSize 2)', async () => {
      const collection = await seeded(target, [
        ...data(),
        { _id: 6, x: 66 },
        { _id: 7, x: 77 },
        { _id: 8, x: 88 },
      ]);
      const events: string[] = [];
      const client = target.client();
      const listener = (event: { commandName: string }) => events.push(event.commandName);
      client.on('commandStarted', listener);
      try {
        const found = await collection.find({ _id: { $gt: 1 } }, { batchSize: 2 }).toArray();
        expect(found.map((d) => Number(d.x))).to.deep.equal([22, 33, 44, 55, 66, 77, 88]);
        expect(events.filter((name) => name === 'getMore')).to.have.length(3);
      } finally {
        client.off('commandStarted', listener);
      }
    });
  });

  describe('write/updateOne.yml', () => {
    it('UpdateOne when many documents match modifies one', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      const result = await collection.updateOne({ _id: { $gt: 1 } }, { $inc: { x: 1 } });
      expect(result).to.include({ matchedCount: 1, modifiedCount: 1 });
    });

    it('UpdateOne with upsert when no documents match', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      const result = await collection.updateOne({ _id: 4 }, { $inc: { x: 1 } }, { upsert: true });
      expect(result).to.include({ matchedCount: 0, modifiedCount: 0, upsertedId: 4 });
      expect(await all(collection)).to.deep.equal([...elevenToThirtyThree(), { _id: 4, x: 1 }]);
    });
  });

  describe('write/findOneAndUpdate.yml, write/findOneAndReplace-upsert.yml', () => {
    it('returns the document before modification, projected, first by sort', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      const before = await collection.findOneAndUpdate(
        { _id: { $gt: 1 } },
        { $inc: { x: 1 } },
        { projection: { x: 1, _id: 0 }, sort: { x: 1 } },
      );
      expect(before).to.deep.equal({ x: 22 });
      expect(await all(collection)).to.deep.equal([
        { _id: 1, x: 11 },
        { _id: 2, x: 23 },
        { _id: 3, x: 33 },
      ]);
    });

    it('returns the document after modification', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      const after = await collection.findOneAndUpdate(
        { _id: 2 },
        { $inc: { x: 1 } },
        { projection: { x: 1, _id: 0 }, returnDocument: 'after' },
      );
      expect(after).to.deep.equal({ x: 23 });
    });

    it('with upsert and no match: null before, the new document after', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      const options = { projection: { x: 1, _id: 0 }, sort: { x: 1 }, upsert: true } as const;
      expect(await collection.findOneAndUpdate({ _id: 4 }, { $inc: { x: 1 } }, options)).to.equal(
        null,
      );
      const after = await collection.findOneAndReplace(
        { _id: 5 },
        { x: 44 },
        { ...options, returnDocument: 'after' },
      );
      expect(after).to.deep.equal({ x: 44 });
      expect(await all(collection)).to.deep.equal([
        ...elevenToThirtyThree(),
        { _id: 4, x: 1 },
        { _id: 5, x: 44 },
      ]);
    });

    it('findOneAndDelete removes and returns the first by sort', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      const removed = await collection.findOneAndDelete(
        { _id: { $gt: 1 } },
        { sort: { x: -1 }, projection: { x: 1 } },
      );
      expect(removed).to.deep.equal({ _id: 3, x: 33 });
      expect(await collection.countDocuments()).to.equal(2);
    });
  });

  describe('write/insertMany.yml, unified/bulkWrite.yml', () => {
    it('InsertMany continue-on-error with unordered (preexisting duplicate key)', async () => {
      const collection = await seeded(target, [{ _id: 1, x: 11 }]);
      const error = await collection.insertMany(elevenToThirtyThree(), { ordered: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(MongoBulkWriteError);
      expect((error as MongoBulkWriteError).insertedCount).to.equal(2);
      expect((error as MongoBulkWriteError).writeErrors).to.have.length(1);
      expect(await all(collection)).to.deep.equal(elevenToThirtyThree());
    });

    it('BulkWrite with mixed ordered operations', async () => {
      const collection = await seeded(target, [
        { _id: 1, x: 11 },
        { _id: 2, x: 22 },
      ]);
      const result = await collection.bulkWrite(
        [
          { insertOne: { document: { _id: 3, x: 33 } } },
          { updateOne: { filter: { _id: 2 }, update: { $inc: { x: 1 } } } },
          { updateMany: { filter: { _id: { $gt: 1 } }, update: { $inc: { x: 1 } } } },
          { insertOne: { document: { _id: 4, x: 44 } } },
          { deleteMany: { filter: { x: { $nin: [24, 34] } } } },
          { replaceOne: { filter: { _id: 4 }, replacement: { _id: 4, x: 44 }, upsert: true } },
        ],
        { ordered: true },
      );
      expect(result).to.include({
        deletedCount: 2,
        insertedCount: 2,
        matchedCount: 3,
        modifiedCount: 3,
        upsertedCount: 1,
      });
      expect(result.upsertedIds).to.deep.equal({ 5: 4 });
      expect(await all(collection)).to.deep.equal([
        { _id: 2, x: 24 },
        { _id: 3, x: 34 },
        { _id: 4, x: 44 },
      ]);
    });

    it('BulkWrite with updateMany operations counts matched, modified and upserted', async () => {
      const collection = await seeded(target, [
        { _id: 1, x: 11 },
        { _id: 2, x: 22 },
      ]);
      const result = await collection.bulkWrite([
        { updateMany: { filter: { x: { $lt: 11 } }, update: { $set: { x: 0 } } } },
        { updateMany: { filter: { x: { $lte: 22 } }, update: { $unset: { y: 1 } } } },
        { updateMany: { filter: { x: { $lte: 22 } }, update: { $inc: { x: 1 } } } },
        { updateMany: { filter: { _id: 3 }, update: { $set: { x: 33 } }, upsert: true } },
      ]);
      expect(result).to.include({ matchedCount: 4, modifiedCount: 2, upsertedCount: 1 });
      expect(await all(collection)).to.deep.equal([
        { _id: 1, x: 12 },
        { _id: 2, x: 23 },
        { _id: 3, x: 33 },
      ]);
    });
  });

  describe('unified/bulkWrite-arrayFilters.yml', () => {
    it('updateMany with arrayFilters changes only the matching elements', async () => {
      const collection = await seeded(target, [
        { _id: 1, y: [{ b: 3 }, { b: 1 }] },
        { _id: 2, y: [{ b: 0 }, { b: 1 }] },
      ]);
      const result = await collection.updateMany(
        {},
        { $set: { 'y.$[i].b': 2 } },
        { arrayFilters: [{ 'i.b': 1 }] },
      );
      expect(result).to.include({ matchedCount: 2, modifiedCount: 2 });
      expect(await all(collection)).to.deep.equal([
        { _id: 1, y: [{ b: 3 }, { b: 2 }] },
        { _id: 2, y: [{ b: 0 }, { b: 2 }] },
      ]);
    });
  });

  describe('unified/updateWithPipelines.yml', () => {
    const data = () => [
      { _id: 1, x: 1, y: 1, t: { u: { v: 1 } } },
      { _id: 2, x: 2, y: 1 },
    ];

    it('UpdateOne using pipelines keeps _id through $replaceRoot', async () => {
      const collection = await seeded(target, data());
      const result = await collection.updateOne({ _id: 1 }, [
        { $replaceRoot: { newRoot: '$t' } },
        { $addFields: { foo: 1 } },
      ]);
      expect(result).to.include({ matchedCount: 1, modifiedCount: 1 });
      expect(await all(collection)).to.deep.equal([{ _id: 1, u: { v: 1 }, foo: 1 }, data()[1]]);
    });

    it('UpdateMany using pipelines', async () => {
      const collection = await seeded(target, data());
      const result = await collection.updateMany({}, [
        { $project: { x: 1 } },
        { $addFields: { foo: 1 } },
      ]);
      expect(result).to.include({ matchedCount: 2, modifiedCount: 2 });
      expect(await all(collection)).to.deep.equal([
        { _id: 1, x: 1, foo: 1 },
        { _id: 2, x: 2, foo: 1 },
      ]);
    });
  });

  describe('read/distinct.yml, read/count.yml, read/aggregate.yml', () => {
    it('Distinct with a filter', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      expect((await collection.distinct('x', { _id: { $gt: 1 } })).sort()).to.deep.equal([22, 33]);
    });

    it('countDocuments with a filter, estimatedDocumentCount without', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      expect(await collection.countDocuments({ _id: { $gt: 1 } })).to.equal(2);
      expect(await collection.countDocuments({}, { skip: 1, limit: 1 })).to.equal(1);
      expect(await collection.estimatedDocumentCount()).to.equal(3);
    });

    it('Aggregate with $sort and batchSize', async () => {
      const collection = await seeded(target, [
        { _id: 3, x: 33 },
        { _id: 1, x: 11 },
        { _id: 2, x: 22 },
      ]);
      const results = await collection.aggregate([{ $sort: { x: 1 } }], { batchSize: 2 }).toArray();
      expect(results).to.deep.equal(elevenToThirtyThree());
    });

    it('Aggregate with $out writes the target collection', async () => {
      const collection = await seeded(target, elevenToThirtyThree());
      await collection
        .aggregate([{ $sort: { x: 1 } }, { $out: 'other_test_collection' }])
        .toArray();
      const other = target.collection('other_test_collection');
      expect(await all(other)).to.deep.equal(elevenToThirtyThree());
    });
  });
}
