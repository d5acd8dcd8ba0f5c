/**
 * What updates do to stored documents, checked against a real server's answers: partial
 * failure of multi-document updates, upsert seeding and the order of fields after an update.
 * Expected results come from the server's own tests (mongodb/mongo jstests/core, named per case)
 * or from the specifications' CRUD tests.
 */
import { expect } from 'chai';
import type { Document } from 'mongodb';
import { serverError, type Loose, type Target } from './target.ts';

const all = (target: Target): Promise<Loose[]> =>
  target.collection('c').find().sort({ _id: 1 }).toArray();

/** jstests/core/upsert_fields.js: the value an op-style upsert gives `x`, from the query alone. */
const seededX: readonly [string, Record<string, unknown>, unknown][] = [
  ['{x: 1}', { x: 1 }, 1],
  ['{x: {$eq: 1}}', { x: { $eq: 1 } }, 1],
  ['{x: {$in: [1]}}', { x: { $in: [1] } }, 1],
  ['{x: {$all: [1]}}', { x: { $all: [1] } }, 1],
  ['{$and: [{x: 1}]}', { $and: [{ x: 1 }] }, 1],
  ['{$or: [{x: {$eq: 1}}]}', { $or: [{ x: { $eq: 1 } }] }, 1],
  ['{x: [1, 2]}', { x: [1, 2] }, [1, 2]],
  ['{"x.x": 1}', { 'x.x': 1 }, { x: 1 }],
  ['{$or: [{"x.x": 1}]}', { $or: [{ 'x.x': 1 }] }, { x: 1 }],
  ['{x: {$gt: 1}}', { x: { $gt: 1 } }, undefined],
  ['{x: {$in: [1, 2]}}', { x: { $in: [1, 2] } }, undefined],
  ['{x: {$elemMatch: {$eq: 1}}}', { x: { $elemMatch: { $eq: 1 } } }, undefined],
  ['{x: {$not: {$eq: 1}}}', { x: { $not: { $eq: 1 } } }, undefined],
  ['{$or: [{x: 1}, {x: 1}]}', { $or: [{ x: 1 }, { x: 1 }] }, undefined],
  ['{$nor: [{x: 1}]}', { $nor: [{ x: 1 }] }, undefined],
  ['{x: /abc/}', { x: /abc/ }, undefined],
];

/** jstests/core/upsert_fields.js: queries an op-style upsert cannot build a document from. */
const unseedable: readonly [string, Record<string, unknown>][] = [
  ['{x: {$all: [1, 2]}}', { x: { $all: [1, 2] } }],
  ['{$and: [{x: 1}, {x: 1}]}', { $and: [{ x: 1 }, { x: 1 }] }],
  ['{x: 1, "x.x": 1}', { x: 1, 'x.x': 1 }],
  ['{x: {x: 1}, "x.y": 1}', { x: { x: 1 }, 'x.y': 1 }],
];

export function writeSemanticsCases(target: Target): void {
  describe('upsert seeding (jstests/core/upsert_fields.js)', () => {
    for (const [label, query, expected] of seededX) {
      it(`${label} gives x ${expected === undefined ? 'nothing' : JSON.stringify(expected)}`, async () => {
        const collection = target.collection('c');
        await collection.updateOne(query, { $set: { a: 1 } }, { upsert: true });
        const doc = await collection.findOne({}, { projection: { _id: 0, a: 0 } });
        expect(doc?.x).to.deep.equal(expected);
      });
    }

    for (const [label, query] of unseedable) {
      it(`${label} is a write error`, async () => {
        const collection = target.collection('c');
        await serverError(collection.updateOne(query, { $set: { a: 1 } }, { upsert: true }));
        expect(await collection.countDocuments()).to.equal(0);
      });
    }

    it('a replacement takes only _id from the query; $setOnInsert with dotted _id parts', async () => {
      const collection = target.collection('c');
      await collection.replaceOne({ _id: 1, x: 1 }, { y: 2 }, { upsert: true });
      expect(await collection.findOne({ _id: 1 })).to.deep.equal({ _id: 1, y: 2 });
      await collection.updateOne({ '_id.x': 1, '_id.y': 2 }, { $set: { a: 1 } }, { upsert: true });
      expect(await collection.findOne({ a: 1 })).to.deep.equal({ _id: { x: 1, y: 2 }, a: 1 });
    });
  });

  describe('update operators the server refuses or allows (src/mongo/db/update)', () => {
    const code = async (update: Document, options: Record<string, unknown> = {}) => {
      const collection = target.collection('c');
      await collection.deleteMany({});
      await collection.insertOne({ _id: 1, a: [{ b: 1 }, { b: 2 }], n: 1 });
      const error = await collection.updateOne({ _id: 1 }, update, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      return (error as { code?: number } | undefined)?.code;
    };

    it('refuses paths that cannot be created or stored', async () => {
      expect(await code({ $set: { 'a.c': 1 } })).to.equal(28); // PathNotViable: field in an array
      expect(await code({ $set: { '': 1 } })).to.equal(56); // EmptyFieldName
      expect(await code({ $set: { 'n..x': 1 } })).to.equal(56);
      // storage_validation.cpp (MongoDB ≥ 5.0): only top-level field names may not start with $.
      expect(await code({ $set: { $y: 1 } })).to.equal(52); // DollarPrefixedFieldName
      expect(await code({ $set: { 'x.$y': 1, 'z.a.$b': 2 } })).to.equal(undefined);
      expect(await target.collection('c').findOne({ _id: 1 })).to.deep.include({
        x: { $y: 1 },
        z: { a: { $b: 2 } },
      });
    });

    it('requires every $[id] to have an array filter and every array filter to be used', async () => {
      expect(await code({ $set: { 'a.$[e].b': 0 } })).to.equal(2);
      expect(await code({ $set: { 'a.$[].b': 0 } }, { arrayFilters: [{ 'e.b': 1 }] })).to.equal(9);
      expect(await code({ $set: { 'a.$[e].b': 0 } }, { arrayFilters: [{ 'e.b': 1 }] })).to.equal(
        undefined,
      );
    });

    // update/update_driver.cpp and storage_validation: _id is refused only when the update
    // changes it (ImmutableField, 66); an upsert whose $set gives _id the query's own value
    // changes nothing (jstests/core/write/upsert/upsert_fields.js "_id" cases).
    it("an upsert whose $set gives _id the query's _id inserts with that _id", async () => {
      const collection = target.collection('c');
      const result = await collection.updateOne(
        { _id: 7 },
        { $set: { _id: 7, a: 1 } },
        { upsert: true },
      );
      expect(result.upsertedId).to.equal(7);
      expect(await all(target)).to.deep.equal([{ _id: 7, a: 1 }]);
      const changed = collection.updateOne({ _id: 8 }, { $set: { _id: 9 } }, { upsert: true });
      expect((await serverError(changed)).code).to.equal(66);
    });

    // ops/insert.cpp fixDocumentForInsert: an _id is generated only when the field is missing;
    // null is a value like any other (Manual, "Documents" > "The _id Field"). Sent as a raw
    // command: the Node driver's insertOne itself replaces a null _id with an ObjectId.
    it('an _id of null is stored as null, not replaced by an ObjectId', async () => {
      const insert = { insert: 'c', documents: [{ _id: null, a: 1 }] };
      expect(await target.database().command(insert)).to.include({ n: 1 });
      expect(await all(target)).to.deep.equal([{ _id: null, a: 1 }]);
      const again: Document = await target.database().command(insert);
      expect((again.writeErrors as { code: number }[])[0]?.code).to.equal(11000);
    });

    // Manual, $all, https://www.mongodb.com/docs/manual/reference/operator/query/all/
    // "Use $all with Non-Array Field": `{ "qty.num": { $all: [ 50 ] } }` matches qty.num 50.
    it('$all matches a non-array field equal to its single value', async () => {
      const collection = target.collection('c');
      await collection.insertMany([
        { _id: 1, x: 50 },
        { _id: 2, x: [50, 51] },
        { _id: 3, x: 51 },
      ]);
      const ids = (
        await collection
          .find({ x: { $all: [50] } })
          .sort({ _id: 1 })
          .toArray()
      ).map((doc) => doc._id as unknown);
      expect(ids).to.deep.equal([1, 2]);
      // "Behavior": {$all: [[a, b]]} is {$and: [{field: [a, b]}]}: an equal array matches.
      expect(await collection.countDocuments({ x: { $all: [[50, 51]] } })).to.equal(1);
      expect(await collection.countDocuments({ x: { $all: [] } })).to.equal(0);
    });

    it('allows $set of _id to its own value; $currentDate can make a timestamp', async () => {
      const collection = target.collection('c');
      await collection.insertOne({ _id: 1, n: 1 });
      const same = await collection.updateOne({ _id: 1 }, { $set: { _id: 1, n: 2 } });
      expect(same).to.include({ matchedCount: 1, modifiedCount: 1 });
      await collection.updateOne({ _id: 1 }, {
        $currentDate: { at: true, ts: { $type: 'timestamp' } },
      } as Document);
      expect(
        await collection.countDocuments({ at: { $type: 'date' }, ts: { $type: 'timestamp' } }),
      ).to.equal(1);
    });
  });

  describe('field order after an update', () => {
    // update_object_node.cpp applies every operator's fields as one tree, in field-name order.
    it('appends created fields in name order across operators, _id first', async () => {
      const collection = target.collection('c');
      await collection.insertOne({ b: 1, _id: 7 });
      await collection.updateOne({ _id: 7 }, {
        $set: { z: 1, 'n.y': 1 },
        $inc: { a: 1, 'n.x': 1 },
        $push: { m: 1 },
      } as Document);
      const doc: Document = (await collection.findOne({ _id: 7 })) ?? {};
      expect(Object.keys(doc)).to.deep.equal(['_id', 'b', 'a', 'm', 'n', 'z']);
      expect(Object.keys(doc.n as object)).to.deep.equal(['x', 'y']);
    });

    it('an upsert seeds the query fields in path order, then the update fields in name order', async () => {
      const collection = target.collection('c');
      await collection.updateOne(
        { t: 1, 'm.z': 1, 'm.y': 2 },
        { $set: { u: 1 }, $setOnInsert: { c: 1 }, $inc: { a: 1 } },
        { upsert: true },
      );
      const doc: Document = (await collection.findOne({ t: 1 })) ?? {};
      expect(Object.keys(doc)).to.deep.equal(['_id', 'm', 't', 'a', 'c', 'u']);
      expect(Object.keys(doc.m as object)).to.deep.equal(['y', 'z']);
    });
  });

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

  describe('index entries across updates', () => {
    // The embedded engine leaves an index's entries alone when an update keeps its keys; these
    // pin that both its unique map (equality) and its sorted entries (ranges) still find the
    // document, and that a changed key still moves it or is refused.
    const setUp = async () => {
      const collection = target.collection('c');
      await collection.createIndex({ u: 1 }, { unique: true }, undefined);
      await collection.createIndex({ t: 1, p: 1 }, undefined, undefined);
      await collection.insertMany([
        { _id: 1, u: 1, t: 'A', p: 10, n: 0, tags: 'x' },
        { _id: 2, u: 2, t: 'B', p: 20, n: 0, tags: 'y' },
      ]);
      return collection;
    };
    const ids = async (filter: Document) =>
      (await target.collection('c').find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);

    it('an update that keeps the indexed keys still finds the document by every index', async () => {
      const collection = await setUp();
      await collection.updateOne({ u: 1 }, { $inc: { n: 1 } });
      await collection.updateOne({ _id: 1 }, { $set: { p: 10.0, u: 1, tags: ['x'] } });
      expect(await collection.findOne({ u: 1 })).to.deep.include({ _id: 1, n: 1 });
      expect(await ids({ u: { $gte: 1, $lte: 1 } })).to.deep.equal([1]);
      expect(await ids({ t: 'A', p: { $gte: 10, $lt: 11 } })).to.deep.equal([1]);
      expect(await ids({ tags: 'x' })).to.deep.equal([1]);
      expect((await serverError(collection.insertOne({ _id: 3, u: 1 }))).code).to.equal(11000);
    });

    it('an update that changes an indexed key moves the document', async () => {
      const collection = await setUp();
      await collection.updateOne({ _id: 1 }, { $set: { u: 5, p: 30 } });
      expect(await collection.findOne({ u: 1 })).to.equal(null);
      expect(await collection.findOne({ u: 5 })).to.deep.include({ _id: 1 });
      expect(await ids({ t: 'A', p: { $lt: 20 } })).to.deep.equal([]);
      expect(await ids({ t: 'A', p: { $gte: 30 } })).to.deep.equal([1]);
      await collection.insertOne({ _id: 3, u: 1 });
    });

    it('a unique violation by an update is refused with 11000 and changes nothing', async () => {
      const collection = await setUp();
      const error = await serverError(collection.updateOne({ _id: 1 }, { $set: { u: 2, n: 7 } }));
      expect(error.code).to.equal(11000);
      expect(await all(target)).to.deep.equal([
        { _id: 1, u: 1, t: 'A', p: 10, n: 0, tags: 'x' },
        { _id: 2, u: 2, t: 'B', p: 20, n: 0, tags: 'y' },
      ]);
      expect(await collection.findOne({ u: 1 })).to.deep.include({ _id: 1 });
      expect(await collection.findOne({ u: 2 })).to.deep.include({ _id: 2 });
      expect(await ids({ u: { $gte: 1 } })).to.deep.equal([1, 2]);
    });
  });
}
