/**
 * Results at the edges of BSON that a JavaScript server gets wrong easily: the sort order of
 * ObjectId and Date, `$`-prefixed and `__proto__` field names, and what a partial index may be
 * defined by. Each case names where its expected outcome comes from.
 */
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { serverError, type Target } from './target.ts';

export function bsonEdgeCases(target: Target): void {
  it('aggregate $sort and find sort put ObjectId before Date (BSON comparison order)', async () => {
    // Manual, "Comparison/Sort Order": ... Object, Array, BinData, ObjectId, Boolean, Date ...
    const collection = target.collection('c');
    await collection.insertMany([
      { _id: 1, v: new Date(0) },
      { _id: 2, v: new ObjectId('000000000000000000000000') },
      { _id: 3, v: 5 },
    ]);
    const ids = (docs: { _id?: unknown }[]) => docs.map((doc) => doc._id);
    expect(ids(await collection.aggregate([{ $sort: { v: 1 } }]).toArray())).to.deep.equal([
      3, 2, 1,
    ]);
    expect(ids(await collection.find().sort({ v: 1 }).toArray())).to.deep.equal([3, 2, 1]);
  });

  it('$set may create a $-prefixed field name below the top level (MongoDB 5.0+)', async () => {
    // Manual, "Field Names with Periods and Dollar Signs": since 5.0 `$`-prefixed field names
    // are allowed in embedded documents; update_object_node.cpp no longer refuses them there.
    const collection = target.collection('c');
    await collection.insertOne({ _id: 1 });
    await collection.updateOne({ _id: 1 }, { $set: { 'price.$usd': 10 } });
    expect(await collection.findOne({ _id: 1 })).to.deep.equal({ _id: 1, price: { $usd: 10 } });
  });

  it('an own __proto__ field is stored and returned like any other', async () => {
    // BSON spec (bsonspec.org): a field name is any cstring; the server keeps every field.
    const collection = target.collection('c');
    const doc = JSON.parse('{"_id": 1, "__proto__": {"x": 1}, "a": 2}') as { _id: number };
    await collection.insertOne(doc);
    const reply = await target.database().command({ find: 'c', filter: { _id: 1 } });
    const [stored] = (reply.cursor as { firstBatch: Record<string, unknown>[] }).firstBatch;
    expect(Object.keys(stored ?? {})).to.deep.equal(['_id', '__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(stored, '__proto__')?.value).to.deep.equal({ x: 1 });
  });

  it('a partial index defined by $exists: false is refused with CannotCreateIndex (67)', async () => {
    // Manual, "Partial Indexes": the filter supports $exists: true only (with equality,
    // $gt/$gte/$lt/$lte, $type, $and, $or, $in); others are "Expression not supported in
    // partial index".
    const collection = target.collection('c');
    const error = await serverError(
      collection.createIndex(
        { a: 1 },
        { partialFilterExpression: { a: { $exists: false } } },
        undefined,
      ),
    );
    expect(error.code).to.equal(67);
    await collection.createIndex(
      { a: 1 },
      { partialFilterExpression: { a: { $exists: true }, b: { $gt: 5 } } },
      undefined,
    );
  });
}
