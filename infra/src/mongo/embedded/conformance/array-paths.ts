/**
 * Paths into arrays and embedded documents: updates of array elements, what mongoose sends for
 * subdocument arrays with timestamps (`rules.$.low` with `rules.$.updatedAt`), find
 * projections on nested paths (`select: false` on `auth.hash`), sorts and distinct on an array
 * position. Expected results come from the server's update tree
 * (src/mongo/db/update/update_object_node.cpp parseAndMerge, update_array_node.cpp,
 * update_node.cpp createUpdateNodeByMerging), its projection parser
 * (src/mongo/db/query/projection_parser.cpp), its key generators and the MongoDB manual pages
 * named per case.
 */
import { expect } from 'chai';
import type { Document } from 'mongodb';
import { Schema } from 'mongoose';
import { serverError, type Target } from './target.ts';

const rules = () => [
  { id: 'a', low: 1, high: 5 },
  { id: 'b', low: 2, high: 6 },
];

export function arrayPathCases(target: Target): void {
  describe('updates into one array element', () => {
    const seeded = async () => {
      const collection = target.collection('users');
      await collection.insertOne({ _id: 1, rules: rules() });
      return collection;
    };

    // Manual, "$ (update)": the positional operator updates several fields of the matched element.
    it('two fields of the element the query matched ($)', async () => {
      const collection = await seeded();
      const result = await collection.updateOne(
        { _id: 1, 'rules.id': 'b' },
        { $set: { 'rules.$.low': 3, 'rules.$.at': 7 } },
      );
      expect(result).to.include({ matchedCount: 1, modifiedCount: 1 });
      expect(await collection.findOne({ _id: 1 })).to.deep.equal({
        _id: 1,
        rules: [
          { id: 'a', low: 1, high: 5 },
          { id: 'b', low: 3, high: 6, at: 7 },
        ],
      });
    });

    // Manual, "$[<identifier>]": several fields of every element an array filter matches.
    it('two fields of each element an array filter matches ($[id]), and of every element ($[])', async () => {
      const collection = await seeded();
      await collection.updateOne(
        { _id: 1 },
        { $set: { 'rules.$[r].low': 0, 'rules.$[r].high': 9 } },
        { arrayFilters: [{ 'r.id': 'a' }] },
      );
      await collection.updateOne(
        { _id: 1 },
        { $inc: { 'rules.$[].low': 10, 'rules.$[].high': 1 } },
      );
      expect((await collection.findOne({ _id: 1 }))?.rules).to.deep.equal([
        { id: 'a', low: 10, high: 10 },
        { id: 'b', low: 12, high: 7 },
      ]);
    });

    // update_object_node.cpp parseAndMerge: one leaf per path; a leaf where another path goes on.
    it('the same path twice, or a path and its prefix, is a conflict (40)', async () => {
      const collection = await seeded();
      const conflicts: Document[] = [
        { $set: { 'rules.$.low': 1 }, $inc: { 'rules.$.low': 1 } },
        { $set: { 'rules.$': { id: 'c' }, 'rules.$.low': 1 } },
        { $set: { rules: [] }, $unset: { 'rules.0': 1 } },
        { $rename: { 'rules.0.low': 'x' }, $set: { 'rules.0.low': 1 } },
      ];
      for (const update of conflicts) {
        const error = await serverError(collection.updateOne({ _id: 1, 'rules.id': 'a' }, update));
        expect(error.code, JSON.stringify(update)).to.equal(40);
      }
      const error = await serverError(
        collection.updateOne(
          { _id: 1 },
          { $set: { 'rules.$.low': 1 }, $inc: { 'rules.$.low': 1 } },
        ),
      );
      expect(error.message).to.equal(
        "Updating the path 'rules.$.low' would create a conflict at 'rules.$.low'",
      );
    });

    // update_object_node.cpp apply: `$` and a literal index naming the same element are merged,
    // and two leaves meeting in the merge are a conflict found while applying.
    it('$ and the index it matched are merged; one field from both is a conflict', async () => {
      const collection = await seeded();
      await collection.updateOne(
        { _id: 1, 'rules.id': 'a' },
        { $set: { 'rules.$.low': 4, 'rules.0.high': 8 } },
      );
      expect((await collection.findOne({ _id: 1 }))?.rules).to.deep.equal([
        { id: 'a', low: 4, high: 8 },
        { id: 'b', low: 2, high: 6 },
      ]);
      const error = await serverError(
        collection.updateOne(
          { _id: 1, 'rules.id': 'a' },
          { $set: { 'rules.$.low': 5, 'rules.0.low': 6 } },
        ),
      );
      expect(error.code).to.equal(40);
      expect(error.message).to.equal("Update created a conflict at 'rules.0.low'");
    });

    // update_object_node.cpp: "The positional operator did not find the match needed from the query."
    it('$ with no array condition in the query is BadValue (2)', async () => {
      const collection = await seeded();
      const error = await serverError(
        collection.updateOne({ _id: 1 }, { $set: { 'rules.$.low': 1 } }),
      );
      expect(error.code).to.equal(2);
      expect(error.message).to.equal(
        'The positional operator did not find the match needed from the query.',
      );
    });

    // mongoose lib/helpers/update/applyTimestampsToChildren.js adds `rules.$.updatedAt`.
    it('mongoose: updating one subdocument of an array with timestamps on', async () => {
      const ruleSchema = new Schema({ ticker: String, low: Number }, { timestamps: true });
      const User = target
        .mongoose()
        .model('User', new Schema({ email: String, rules: [ruleSchema] }, { timestamps: true }));
      const user = await User.create({
        email: 'a@x.io',
        rules: [
          { ticker: 'A', low: 1 },
          { ticker: 'B', low: 2 },
        ],
      });
      const [first, second] = user.rules;
      const before = second?.updatedAt.getTime() ?? 0;
      const result = await User.updateOne(
        { _id: user._id, 'rules._id': second?._id },
        { $set: { 'rules.$.low': 5 } },
      );
      expect(result.modifiedCount).to.equal(1);
      const stored = await User.findById(user._id).lean();
      expect(stored?.rules.map((rule) => rule.low)).to.deep.equal([1, 5]);
      expect(stored?.rules[1]?.updatedAt.getTime()).to.be.at.least(before);
      expect(stored?.rules[0]?.updatedAt.getTime()).to.equal(first?.updatedAt.getTime());
      await User.updateOne(
        { _id: user._id },
        { $set: { 'rules.$[r].low': 7 } },
        { arrayFilters: [{ 'r.ticker': 'A' }] },
      );
      expect((await User.findById(user._id).lean())?.rules.map((rule) => rule.low)).to.deep.equal([
        7, 5,
      ]);
    });
  });

  describe('projections on nested paths', () => {
    const seeded = async () => {
      const collection = target.collection('users');
      await collection.insertOne({
        _id: 1,
        email: 'a@x.io',
        auth: { hash: 'h', salt: 's' },
        rules: [{ id: 'a', low: 1 }, { id: 'b', low: 2 }, 7],
      });
      return collection;
    };

    // Manual, "Project Fields to Return from Query": Suppress Specific Fields in Embedded Documents.
    it('a dotted exclusion removes only that field, in objects and through arrays', async () => {
      const collection = await seeded();
      expect(
        await collection.findOne({ _id: 1 }, { projection: { 'auth.hash': 0, 'rules.low': 0 } }),
      ).to.deep.equal({
        _id: 1,
        email: 'a@x.io',
        auth: { salt: 's' },
        rules: [{ id: 'a' }, { id: 'b' }, 7],
      });
      // The nested form is the same projection (MongoDB ≥ 4.4).
      expect(
        await collection.findOne({ _id: 1 }, { projection: { auth: { hash: 0 } } }),
      ).to.deep.equal({
        _id: 1,
        email: 'a@x.io',
        auth: { salt: 's' },
        rules: [{ id: 'a', low: 1 }, { id: 'b', low: 2 }, 7],
      });
    });

    // Manual: Return Specific Fields in Embedded Documents / in Embedded Documents in an Array.
    it('a dotted inclusion keeps that field of each document, dropping scalars in arrays', async () => {
      const collection = await seeded();
      expect(
        await collection.findOne({ _id: 1 }, { projection: { 'auth.salt': 1, 'rules.id': 1 } }),
      ).to.deep.equal({ _id: 1, auth: { salt: 's' }, rules: [{ id: 'a' }, { id: 'b' }] });
    });

    it('mongoose: select: false on a nested path, and select("+auth.hash")', async () => {
      const User = target.mongoose().model(
        'User',
        new Schema({
          email: String,
          auth: { hash: { type: String, select: false }, salt: String },
        }),
      );
      const user = await User.create({ email: 'a@x.io', auth: { hash: 'secret', salt: 's' } });
      const found = await User.findById(user._id).lean();
      expect(found?.auth).to.deep.equal({ salt: 's' });
      const updated = await User.findOneAndUpdate(
        { _id: user._id },
        { $set: { email: 'b@x.io' } },
        { returnDocument: 'after' },
      ).lean();
      expect(updated?.auth).to.deep.equal({ salt: 's' });
      const withHash = await User.findById(user._id).select('+auth.hash').lean();
      expect(withHash?.auth).to.deep.equal({ hash: 'secret', salt: 's' });
    });

    // projection_parser.cpp: the first field fixes the kind, the other kind is then refused.
    it('mixing inclusion and exclusion fails with the code of the field that breaks the kind', async () => {
      const collection = await seeded();
      const code = async (projection: Document) =>
        (await serverError(collection.find({}, { projection }).toArray())).code;
      expect(await code({ email: 1, auth: 0 })).to.equal(31254);
      expect(await code({ auth: 0, email: 1 })).to.equal(31253);
      expect(await code({ auth: 1, 'auth.hash': 1 })).to.equal(31249);
      expect(await code({ 'auth.hash': 1, auth: 1 })).to.equal(31250);
    });
  });

  describe('array positions in sorts and distinct', () => {
    const seeded = async () => {
      const collection = target.collection('c');
      await collection.insertMany([
        { _id: 1, arr: [3, 1], docs: [{ b: 2 }, { b: 5 }] },
        { _id: 2, arr: [2, 9], docs: [{ b: 1 }] },
        { _id: 3, arr: [1], docs: [{ b: 4 }, { b: 3 }] },
      ]);
      return collection;
    };

    // sort_key_generator.cpp computes sort keys with the B-tree key generator, whose numeric
    // path parts select an array position (btree_key_generator.cpp).
    it('sort({"arr.0": 1}) sorts by the first element; "docs.b" by the smallest b', async () => {
      const collection = await seeded();
      const ids = async (sort: Document) =>
        (await collection.find({}, { sort, projection: { _id: 1 } }).toArray()).map((d) => d._id);
      expect(await ids({ 'arr.0': 1 })).to.deep.equal([3, 2, 1]);
      expect(await ids({ 'docs.b': 1 })).to.deep.equal([2, 1, 3]);
      expect(await ids({ 'docs.b': -1 })).to.deep.equal([1, 3, 2]);
    });

    // dotted_path_support.cpp extractAllElementsAlongPath: a numeric part indexes the array.
    it('distinct("arr.0") returns the first elements', async () => {
      const collection = await seeded();
      expect(await collection.distinct('arr.0')).to.deep.equal([1, 2, 3]);
      expect(await collection.distinct('docs.b')).to.deep.equal([1, 2, 3, 4, 5]);
    });
  });
}
