/**
 * Aggregation results as mongod gives them, where a query library gives others, and the memory
 * limits that make a pipeline fail instead of exhausting the process. Expected results come
 * from the MongoDB manual pages named per case (https://www.mongodb.com/docs/manual/...) or
 * from the server source (src/mongo/db/pipeline/...), named likewise.
 */
import { expect } from 'chai';
import { ObjectId, type Document } from 'mongodb';
import { serverError, type Target } from './target.ts';

/** A one-megabyte string built by the pipeline itself (the command carries 100 KB). */
const MEGABYTE = { $concat: Array.from({ length: 10 }, () => 'x'.repeat(100_000)) };

export function aggregationResultCases(target: Target): void {
  const aggregate = (pipeline: Document[], options: Document = {}) =>
    target.collection('c').aggregate(pipeline, options).toArray();

  describe('results', () => {
    // Manual, $bucket: a document belongs to [lower, upper); only buckets with documents come out.
    it('$bucket: a value equal to an inner boundary starts the upper bucket; empty buckets are not emitted', async () => {
      await target
        .collection('c')
        .insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, v: 100 + i })));
      expect(
        await aggregate([{ $bucket: { groupBy: '$v', boundaries: [100, 103, 106, 110] } }]),
      ).to.deep.equal([
        { _id: 100, count: 3 },
        { _id: 103, count: 3 },
        { _id: 106, count: 4 },
      ]);
      expect(
        await aggregate([
          { $bucket: { groupBy: '$v', boundaries: [0, 50, 100, 110, 200], default: 'other' } },
        ]),
      ).to.deep.equal([{ _id: 100, count: 10 }]);
    });

    // Manual, $lt (aggregation) and "Comparison/Sort Order": values of different types compare
    // by BSON type order, in which missing and null come before numbers.
    it('$expr comparisons order missing and null below numbers', async () => {
      await target
        .collection('c')
        .insertMany([
          { _id: 1, x: 1 },
          { _id: 2, x: null },
          { _id: 3 },
          { _id: 4, x: 'a' },
          { _id: 5, x: 9 },
        ]);
      const ids = async (filter: Document) =>
        (await target.collection('c').find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(await ids({ $expr: { $lt: ['$x', 5] } })).to.deep.equal([1, 2, 3]);
      expect(await ids({ $expr: { $gt: ['$x', 5] } })).to.deep.equal([4, 5]);
      expect(await ids({ $expr: { $eq: ['$x', null] } })).to.deep.equal([2]);
    });

    // Manual, "Comparison/Sort Order": ObjectId sorts before Date.
    it('$sort orders an ObjectId before a Date', async () => {
      const id = new ObjectId();
      await target.collection('c').insertMany([
        { _id: 1, v: new Date(0) },
        { _id: 2, v: id },
        { _id: 3, v: true },
      ]);
      expect(
        (await aggregate([{ $sort: { v: 1 } }, { $project: { _id: 1 } }])).map(
          (d) => d._id as unknown,
        ),
      ).to.deep.equal([2, 3, 1]);
    });

    // accumulator_push.cpp: a missing value is not pushed; Manual, $top: one value, not an array.
    it('$group: $push skips missing values, $top gives a single value', async () => {
      await target.collection('c').insertMany([
        { _id: 1, a: 1, score: 5, name: 'low' },
        { _id: 2, score: 9, name: 'high' },
        { _id: 3, a: null, score: 7, name: 'mid' },
      ]);
      expect(
        await aggregate([
          {
            $group: {
              _id: null,
              pushed: { $push: '$a' },
              top: { $top: { sortBy: { score: -1 }, output: '$name' } },
              topTwo: { $topN: { n: 2, sortBy: { score: -1 }, output: '$name' } },
            },
          },
        ]),
      ).to.deep.equal([{ _id: null, pushed: [1, null], top: 'high', topTwo: ['high', 'mid'] }]);
    });

    // Manual, "Comparison/Sort Order": documents compare field by field, in order.
    it('$group keys {a, b} and {b, a} are different groups', async () => {
      await target.collection('c').insertMany([
        { _id: 1, k: { a: 1, b: 2 } },
        { _id: 2, k: { b: 2, a: 1 } },
        { _id: 3, k: { a: 1, b: 2 } },
      ]);
      const groups = await aggregate([
        { $group: { _id: '$k', n: { $sum: 1 } } },
        { $sort: { n: -1 } },
      ]);
      expect(groups).to.deep.equal([
        { _id: { a: 1, b: 2 }, n: 2 },
        { _id: { b: 2, a: 1 }, n: 1 },
      ]);
    });

    // Manual, aggregate command: `let` holds expressions, evaluated before the pipeline runs.
    it('aggregate `let` values are evaluated', async () => {
      await target.collection('c').insertOne({ _id: 1 });
      expect(
        await aggregate([{ $project: { _id: 0, total: '$$total' } }], {
          let: { total: { $add: [1, 2] } },
        }),
      ).to.deep.equal([{ total: 3 }]);
    });

    // Manual, $lookup "Join Conditions and Subqueries on a Joined Collection".
    it('$lookup with let and a pipeline joins by $expr equality', async () => {
      await target.collection('c').insertMany([
        { _id: 1, item: 'a' },
        { _id: 2, item: 'b' },
      ]);
      await target
        .database()
        .collection('stock')
        .insertMany([
          { _id: 10, item: 'a', qty: 1 },
          { _id: 11, item: 'a', qty: 2 },
          { _id: 12, item: 'c', qty: 3 },
        ] as never[]);
      expect(
        await aggregate([
          {
            $lookup: {
              from: 'stock',
              let: { item: '$item' },
              pipeline: [
                { $match: { $expr: { $eq: ['$item', '$$item'] } } },
                { $sort: { qty: -1 } },
                { $project: { _id: 0, qty: 1 } },
              ],
              as: 'stock',
            },
          },
          { $sort: { _id: 1 } },
        ]),
      ).to.deep.equal([
        { _id: 1, item: 'a', stock: [{ qty: 2 }, { qty: 1 }] },
        { _id: 2, item: 'b', stock: [] },
      ]);
    });
  });

  describe('memory limits (a pipeline fails, the server stays up)', () => {
    // expression.cpp ExpressionRange: internalQueryMaxRangeBytes, 100 MB.
    it('$range of ten million values fails with ExceededMemoryLimit (146)', async () => {
      await target.collection('c').insertMany(Array.from({ length: 60 }, (_, i) => ({ _id: i })));
      const error = await serverError(
        aggregate([
          { $project: { r: { $range: [0, 1e7] } } },
          { $group: { _id: null, n: { $sum: { $size: '$r' } } } },
        ]),
      );
      expect(error.code).to.equal(146);
      expect(await target.database().command({ ping: 1 })).to.include({ ok: 1 });
    });

    // accumulator_push.cpp: one $push array is limited to 100 MB whatever allowDiskUse says.
    it('a $push past 100 MB fails with ExceededMemoryLimit (146)', async () => {
      await target.collection('c').insertMany(Array.from({ length: 3 }, (_, i) => ({ _id: i })));
      // 2.5 million values: 40 MB each as mongod counts them, so the third passes 100 MB.
      const error = await serverError(
        aggregate([
          { $project: { r: { $range: [0, 2_500_000] } } },
          { $group: { _id: null, all: { $push: '$r' } } },
        ]),
      );
      expect(error.code).to.equal(146);
    });

    // document_source_group.cpp / document_source_sort.cpp: 100 MB per blocking stage, and
    // without allowDiskUse QueryExceededMemoryLimitNoDiskUseAllowed (292).
    it('$group and $sort past 100 MB without allowDiskUse fail with 292', async () => {
      await target.collection('c').insertMany(Array.from({ length: 110 }, (_, i) => ({ _id: i })));
      const grouped = await serverError(
        aggregate([{ $group: { _id: '$_id', s: { $first: MEGABYTE } } }], { allowDiskUse: false }),
      );
      expect(grouped.code).to.equal(292);
      const sorted = await serverError(
        aggregate([{ $project: { s: MEGABYTE } }, { $sort: { s: 1 } }], { allowDiskUse: false }),
      );
      expect(sorted.code).to.equal(292);
    });
  });
}
