/**
 * How filters and sorts select and order documents, checked against what a real server answers.
 * Expected results come from the server's own test suite (mongodb/mongo jstests/core, named per
 * case) and the documented BSON comparison order.
 */
import { expect } from 'chai';
import type { Loose, Target } from './target.ts';

const ids = (docs: readonly Loose[]) => docs.map((doc) => doc._id);

export function querySemanticsCases(target: Target): void {
  describe('sort order (BSON comparison order, arrays by their extreme element)', () => {
    const docs = (): Loose[] => [
      { _id: 'empty', v: [] },
      { _id: 'missing' },
      { _id: 'null', v: null },
      { _id: 'array', v: [5, 1] },
      { _id: 'number', v: 3 },
      { _id: 'string', v: 'a' },
      { _id: 'nested', v: [[0]] },
    ];

    it('ascending: empty array, then null/missing, numbers by smallest element, strings, arrays', async () => {
      const collection = target.collection('s');
      await collection.insertMany(docs());
      const sorted = ids(await collection.find().sort({ v: 1, _id: 1 }).toArray());
      expect(sorted).to.deep.equal([
        'empty',
        'missing',
        'null',
        'array',
        'number',
        'string',
        'nested',
      ]);
    });

    it('descending: by largest element, empty array last', async () => {
      const collection = target.collection('s');
      await collection.insertMany(docs());
      const sorted = ids(await collection.find().sort({ v: -1, _id: 1 }).toArray());
      expect(sorted).to.deep.equal([
        'nested',
        'string',
        'array',
        'number',
        'missing',
        'null',
        'empty',
      ]);
    });

    it('$natural: -1 is the reverse of insertion order', async () => {
      const collection = target.collection('s');
      await collection.insertMany([{ _id: 2 }, { _id: 1 }, { _id: 3 }]);
      expect(ids(await collection.find().sort({ $natural: -1 }).toArray())).to.deep.equal([
        3, 1, 2,
      ]);
    });
  });

  describe('_id lookups', () => {
    it('a repeated value in $in finds the document once and updates it once', async () => {
      const collection = target.collection('c');
      await collection.insertMany([
        { _id: 1, n: 0 },
        { _id: 2, n: 0 },
      ]);
      expect(ids(await collection.find({ _id: { $in: [1, 1, 2] } }).toArray())).to.have.members([
        1, 2,
      ]);
      expect(await collection.countDocuments({ _id: { $in: [1, 1] } })).to.equal(1);
      const result = await collection.updateMany({ _id: { $in: [1, 1] } }, { $inc: { n: 1 } });
      expect(result).to.include({ matchedCount: 1, modifiedCount: 1 });
      expect(await collection.findOne({ _id: 1 })).to.deep.equal({ _id: 1, n: 1 });
    });
  });

  describe('count', () => {
    it('takes a negative limit as its absolute value', async () => {
      const db = target.database();
      await db.collection<Loose>('c').insertMany([{ a: 1 }, { a: 2 }, { a: 3 }]);
      const reply = await db.command({ count: 'c', query: { a: { $gte: 1 } }, limit: -2 });
      expect(reply.n).to.equal(2);
    });
  });
}
