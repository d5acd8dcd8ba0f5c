/**
 * Aggregation stages the product relies on, projections, and the shape of documents (field
 * order included: the server keeps `_id` first and appends new fields in lexicographic order).
 */
import { expect } from 'chai';
import { MongoServerError } from 'mongodb';
import type { Target } from './target.ts';

async function orders(target: Target) {
  const db = target.database();
  await db.collection('users').insertMany([
    { _id: 'u1', name: 'Ada' },
    { _id: 'u2', name: 'Bob' },
  ] as never[]);
  const collection = target.collection('orders');
  await collection.insertMany([
    {
      _id: 1,
      user: 'u1',
      items: [
        { t: 'A', q: 2 },
        { t: 'B', q: 1 },
      ],
      total: 10,
    },
    { _id: 2, user: 'u2', items: [{ t: 'A', q: 5 }], total: 7 },
  ]);
  return collection;
}

export function readsAndShapesCases(target: Target): void {
  describe('aggregation stages', () => {
    it('$unwind then $group sums per element', async () => {
      const collection = await orders(target);
      const rows = await collection
        .aggregate([
          { $unwind: '$items' },
          { $group: { _id: '$items.t', q: { $sum: '$items.q' } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(rows).to.deep.equal([
        { _id: 'A', q: 7 },
        { _id: 'B', q: 1 },
      ]);
    });

    it('$lookup joins a sibling collection; $project keeps _id first', async () => {
      const collection = await orders(target);
      const rows = await collection
        .aggregate([
          { $lookup: { from: 'users', localField: 'user', foreignField: '_id', as: 'u' } },
          { $project: { name: { $first: '$u.name' } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(rows).to.deep.equal([
        { _id: 1, name: 'Ada' },
        { _id: 2, name: 'Bob' },
      ]);
      expect(Object.keys(rows[0] ?? {})).to.deep.equal(['_id', 'name']);
    });

    it('$facet with $count, $sort and $limit', async () => {
      const collection = await orders(target);
      const [facets] = await collection
        .aggregate([
          {
            $facet: {
              n: [{ $count: 'n' }],
              top: [{ $sort: { total: -1 } }, { $limit: 1 }, { $project: { _id: 1 } }],
            },
          },
        ])
        .toArray();
      expect(facets).to.deep.equal({ n: [{ n: 2 }], top: [{ _id: 1 }] });
    });

    it('$group with $first/$last/$min/$max/$avg after a $sort', async () => {
      const collection = await orders(target);
      const [row] = await collection
        .aggregate([
          { $sort: { _id: 1 } },
          {
            $group: {
              _id: null,
              first: { $first: '$total' },
              last: { $last: '$total' },
              min: { $min: '$total' },
              max: { $max: '$total' },
              avg: { $avg: '$total' },
            },
          },
        ])
        .toArray();
      expect(row).to.deep.equal({ _id: null, first: 10, last: 7, min: 7, max: 10, avg: 8.5 });
    });

    it('an unknown stage is refused (40324)', async () => {
      const collection = await orders(target);
      const error = await collection
        .aggregate([{ $frobnicate: {} }])
        .toArray()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(MongoServerError);
      expect((error as MongoServerError).code).to.equal(40324);
    });
  });

  describe('projections', () => {
    it('inclusion keeps document order with _id first; exclusion drops fields', async () => {
      const collection = await orders(target);
      const included = await collection.findOne({ _id: 1 }, { projection: { total: 1, user: 1 } });
      expect(Object.keys(included ?? {})).to.deep.equal(['_id', 'user', 'total']);
      expect(await collection.findOne({ _id: 2 }, { projection: { items: 0 } })).to.deep.equal({
        _id: 2,
        user: 'u2',
        total: 7,
      });
    });

    it('positional $ returns the first matching element; $slice cuts arrays', async () => {
      const collection = await orders(target);
      expect(
        await collection.findOne({ 'items.t': 'B' }, { projection: { 'items.$': 1 } }),
      ).to.deep.equal({
        _id: 1,
        items: [{ t: 'B', q: 1 }],
      });
      expect(
        await collection.findOne({ _id: 1 }, { projection: { items: { $slice: 1 }, total: 1 } }),
      ).to.deep.equal({
        _id: 1,
        items: [{ t: 'A', q: 2 }],
        total: 10,
      });
    });

    // Manual, $slice (projection), https://www.mongodb.com/docs/manual/reference/operator/projection/slice/:
    // "db.inventory.find( { }, { qty: 0, details: { $slice: 1 } } )" and `{ instock: { $slice: 1 } }`
    // alone return every other field: $slice alone is an exclusion-style projection.
    it('$slice alone keeps every other field', async () => {
      const collection = await orders(target);
      expect(
        await collection.findOne({ _id: 1 }, { projection: { items: { $slice: -1 } } }),
      ).to.deep.equal({ _id: 1, user: 'u1', items: [{ t: 'B', q: 1 }], total: 10 });
    });

    // Manual, $elemMatch (projection), https://www.mongodb.com/docs/manual/reference/operator/projection/elemMatch/:
    // the first element matching conditions with query operators, and only the projected fields.
    it('$elemMatch projection takes query operators and returns the first matching element', async () => {
      const collection = await orders(target);
      const projection = { items: { $elemMatch: { q: { $lt: 2 }, t: { $in: ['A', 'B'] } } } };
      expect(await collection.find({}, { projection }).sort({ _id: 1 }).toArray()).to.deep.equal([
        { _id: 1, items: [{ t: 'B', q: 1 }] },
        { _id: 2 },
      ]);
    });

    it('mixing inclusion and exclusion is refused (31254)', async () => {
      const collection = await orders(target);
      const error = await collection
        .find({}, { projection: { user: 1, items: 0 } })
        .toArray()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((error as MongoServerError).code).to.equal(31254);
    });
  });

  describe('document shape', () => {
    it('keeps _id first and appends $set fields in lexicographic order', async () => {
      const collection = target.collection('shape');
      await collection.insertOne({ b: 1, _id: 7 });
      await collection.updateOne({ _id: 7 }, { $set: { z: 1, c: 2, a: 3 } });
      expect(Object.keys((await collection.findOne({ _id: 7 })) ?? {})).to.deep.equal([
        '_id',
        'b',
        'a',
        'c',
        'z',
      ]);
    });
  });

  describe('catalog commands', () => {
    it('listCollections, drop and dropDatabase', async () => {
      const db = target.database();
      await db.createCollection('a');
      await db.collection('b').insertOne({ x: 1 });
      const names = (await db.listCollections({}, { nameOnly: true }).toArray())
        .map((c) => c.name)
        .sort();
      expect(names).to.deep.equal(['a', 'b']);
      expect((await db.listCollections({ name: 'b' }).toArray()).map((c) => c.type)).to.deep.equal([
        'collection',
      ]);
      expect(await db.collection('a').drop()).to.equal(true);
      expect(await db.collection('never').drop()).to.equal(true);
      const databases = await db.admin().listDatabases({ nameOnly: true });
      expect(databases.databases.map((d) => d.name)).to.include(db.databaseName);
      await db.dropDatabase();
      const after = await db.admin().listDatabases({ nameOnly: true });
      expect(after.databases.map((d) => d.name)).to.not.include(db.databaseName);
    });
  });
}
