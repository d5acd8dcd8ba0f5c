/**
 * The places where a query library is not a server: behaviour mingo does not have, filled in by
 * the embedded server (or refused by it), each checked here against what MongoDB does.
 */
import { expect } from 'chai';
import { Decimal128, Long } from 'mongodb';
import { serverError, type Target } from './target.ts';

export function engineGapCases(target: Target): void {
  describe('upserts', () => {
    it("seeds the new document with the query's equality fields, dotted paths expanded", async () => {
      const collection = target.collection('quotes');
      await collection.updateOne(
        { ticker: 'AAPL', 'meta.source': { $eq: 'yahoo' }, price: { $gt: 100 } },
        { $set: { price: 190 } },
        { upsert: true },
      );
      const doc = await collection.findOne({}, { projection: { _id: 0 } });
      expect(doc).to.deep.equal({ ticker: 'AAPL', meta: { source: 'yahoo' }, price: 190 });
    });

    it('applies $setOnInsert only when the upsert inserts', async () => {
      const collection = target.collection('users');
      const upsert = (name: string) =>
        collection.updateOne(
          { email: 'a@x.io' },
          { $set: { name }, $setOnInsert: { createdAt: new Date(0) } },
          { upsert: true },
        );
      await upsert('first');
      await collection.updateOne({ email: 'a@x.io' }, { $set: { createdAt: new Date(5) } });
      await upsert('second');
      const doc = await collection.findOne({}, { projection: { _id: 0 } });
      expect(doc).to.deep.equal({ email: 'a@x.io', name: 'second', createdAt: new Date(5) });
    });

    it('refuses $set and $setOnInsert of the same path (ConflictingUpdateOperators)', async () => {
      const collection = target.collection('users');
      const error = await serverError(
        collection.updateOne(
          { a: 1 },
          { $set: { b: 1 }, $setOnInsert: { b: 2 } },
          { upsert: true },
        ),
      );
      expect(error.code).to.equal(40);
    });
  });

  describe('positional $ and arrayFilters', () => {
    it('updates the first array element the query matched', async () => {
      const collection = target.collection('rules');
      await collection.insertOne({
        _id: 1,
        rules: [
          { id: 'a', on: true },
          { id: 'b', on: true },
        ],
      });
      await collection.updateOne({ _id: 1, 'rules.id': 'b' }, { $set: { 'rules.$.on': false } });
      expect(await collection.findOne({ _id: 1 })).to.deep.equal({
        _id: 1,
        rules: [
          { id: 'a', on: true },
          { id: 'b', on: false },
        ],
      });
    });
  });

  describe('updates mingo would silently skip', () => {
    it('refuse arithmetic on non-numbers, arrays ops on non-arrays, paths through scalars', async () => {
      const collection = target.collection('u');
      await collection.insertOne({ _id: 1, s: 'text', sub: { k: 2 }, tags: 'notArray' });
      const code = async (update: Record<string, unknown>) =>
        (await serverError(collection.updateOne({ _id: 1 }, update))).code;
      expect(await code({ $inc: { s: 1 } })).to.equal(14); // TypeMismatch
      expect(await code({ $inc: { n: 'one' } })).to.equal(14);
      expect(await code({ $set: { 'sub.k.z': 1 } })).to.equal(28); // PathNotViable
      expect(await code({ $push: { tags: 'x' } })).to.equal(2); // BadValue
      expect(await collection.findOne({ _id: 1 })).to.deep.equal({
        _id: 1,
        s: 'text',
        sub: { k: 2 },
        tags: 'notArray',
      });
    });
  });

  describe('query operands and types', () => {
    it('a malformed operand is BadValue, not a server fault', async () => {
      const collection = target.collection('q');
      await collection.insertOne({ n: 1 });
      expect((await serverError(collection.find({ n: { $in: 5 } }).toArray())).code).to.equal(2);
      expect((await serverError(collection.find({ $or: [] }).toArray())).code).to.equal(2);
    });

    it('$type tells int from double and looks inside arrays', async () => {
      const collection = target.collection('types');
      await collection.insertMany([
        { _id: 1, v: 5 },
        { _id: 2, v: 5.5 },
        { _id: 3, v: 'five' },
        { _id: 4, v: [1, 'x'] },
      ]);
      const ids = async (type: string) =>
        (await collection.find({ v: { $type: type } }).toArray()).map((d) => d._id).sort();
      expect(await ids('int')).to.deep.equal([1, 4]);
      expect(await ids('double')).to.deep.equal([2]);
      expect(await ids('number')).to.deep.equal([1, 2, 4]);
      expect(await ids('string')).to.deep.equal([3, 4]);
      expect(await ids('array')).to.deep.equal([4]);
    });
  });

  describe('immutable _id', () => {
    it('refuses an update that changes _id (ImmutableField, 66)', async () => {
      const collection = target.collection('c');
      await collection.insertOne({ _id: 1 });
      expect(
        (await serverError(collection.updateOne({ _id: 1 }, { $set: { _id: 2 } }))).code,
      ).to.equal(66);
      expect(
        (await serverError(collection.replaceOne({ _id: 1 }, { _id: 2, a: 1 }))).code,
      ).to.equal(66);
    });
  });

  describe('create', () => {
    it('of an existing collection fails with NamespaceExists (48)', async () => {
      const db = target.database();
      await db.createCollection('once');
      const error = await serverError(db.createCollection('once'));
      expect(error).to.include({ code: 48, codeName: 'NamespaceExists' });
    });
  });

  describe('numbers', () => {
    it('compares and adds int64 values as numbers', async () => {
      const collection = target.collection('n');
      const big = 2 ** 40;
      await collection.insertMany([
        { _id: 1, n: Long.fromNumber(big) },
        { _id: 2, n: 5 },
      ]);
      await collection.updateOne({ _id: 1 }, { $inc: { n: Long.fromNumber(3) } });
      const found = await collection.find({ n: { $gt: Long.fromNumber(10) } }).toArray();
      expect(found.map((d) => Number(d.n))).to.deep.equal([big + 3]);
      const [sum] = await collection
        .aggregate([{ $group: { _id: null, total: { $sum: '$n' } } }])
        .toArray();
      expect(Number(sum?.total)).to.equal(big + 8);
    });

    it('Decimal128: refused by the embedded server, round-tripped by MongoDB', async () => {
      const collection = target.collection('d');
      const price = Decimal128.fromString('199.99');
      if (target.embedded) {
        const error = await serverError(collection.insertOne({ price }));
        expect(error.code).to.equal(238); // NotImplemented
        expect(error.message).to.match(/Decimal128/);
        expect((await serverError(collection.find({ price }).toArray())).code).to.equal(238);
        expect(await collection.countDocuments()).to.equal(0);
      } else {
        await collection.insertOne({ _id: 1, price });
        const doc = await collection.findOne({ _id: 1 });
        expect(String(doc?.price)).to.equal('199.99');
      }
    });
  });
}
