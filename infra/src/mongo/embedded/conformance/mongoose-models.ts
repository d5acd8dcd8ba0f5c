/**
 * The product's way in: mongoose models with validation, unique indexes, timestamps, populate,
 * upserts, bulk writes, big inserts and cursors, over the real driver and a real connection.
 */
// mongoose types schema options as a class (SchemaTypeOptions) and dates as NativeDate; object
// literals and `new Date()` are its documented usage, which this rule cannot tell apart.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment */
import { expect } from 'chai';
import mongoose, { Schema, Types } from 'mongoose';
import type { Target } from './target.ts';

const alertSchema = new Schema(
  {
    email: { type: String, required: true, unique: true, match: /@/ },
    ticker: { type: String, required: true, uppercase: true },
    above: { type: Number, min: 0 },
    tags: [String],
    thresholds: [{ kind: String, value: Number }],
    owner: { type: Schema.Types.ObjectId, ref: 'Owner' },
    profile: { tz: String, channel: { email: Boolean } },
  },
  { timestamps: true },
);
const ownerSchema = new Schema({ name: String });
const quoteSchema = new Schema({ ticker: String, price: Number, at: Date });
quoteSchema.index({ ticker: 1, at: -1 });

function models(target: Target) {
  const connection = target.mongoose();
  return {
    Alert: connection.model('Alert', alertSchema),
    Owner: connection.model('Owner', ownerSchema),
    Quote: connection.model('Quote', quoteSchema),
  };
}

export function mongooseCases(target: Target): void {
  it('validates on save and stores nothing invalid', async () => {
    const { Alert } = models(target);
    await Alert.init();
    const error = await Alert.create({ email: 'not-an-email', ticker: 'aapl' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(mongoose.Error.ValidationError);
    expect(await Alert.countDocuments()).to.equal(0);
  });

  it('unique index: the second insert fails with E11000 (code 11000, keyPattern, keyValue)', async () => {
    const { Alert } = models(target);
    await Alert.init();
    await Alert.create({ email: 'a@x.io', ticker: 'aapl' });
    const error = (await Alert.create({ email: 'a@x.io', ticker: 'msft' }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: number; keyPattern?: unknown; keyValue?: unknown; message?: string } | undefined;
    expect(error?.code).to.equal(11000);
    expect(error?.keyPattern).to.deep.equal({ email: 1 });
    expect(error?.keyValue).to.deep.equal({ email: 'a@x.io' });
    expect(error?.message).to.match(
      /^E11000 duplicate key error collection: \S+\.alerts index: email_1 dup key: \{ email: "a@x\.io" \}/,
    );
  });

  it('timestamps on create and update; findOneAndUpdate upsert sets createdAt once', async () => {
    const { Alert } = models(target);
    const created = await Alert.create({ email: 't@x.io', ticker: 'ibm' });
    expect(created.createdAt).to.be.instanceOf(Date);
    const upserted = await Alert.findOneAndUpdate(
      { email: 'u@x.io' },
      { ticker: 'msft', above: 300 },
      { upsert: true, returnDocument: 'after', runValidators: true },
    ).lean();
    expect(upserted).to.include({ email: 'u@x.io', ticker: 'MSFT', above: 300 });
    expect(upserted.createdAt).to.be.instanceOf(Date);
    const createdAt = upserted.createdAt.getTime();
    const again = await Alert.findOneAndUpdate(
      { email: 'u@x.io' },
      { above: 310 },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    expect(again.createdAt.getTime()).to.equal(createdAt);
    expect(again.above).to.equal(310);
  });

  it('populate follows ObjectId references', async () => {
    const { Alert, Owner } = models(target);
    const owner = await Owner.create({ name: 'Ada' });
    await Alert.create({ email: 'p@x.io', ticker: 'aapl', owner: owner._id });
    const alert = await Alert.findOne({ email: 'p@x.io' })
      .populate<{ owner: { name: string } }>('owner')
      .lean();
    expect(alert?.owner.name).to.equal('Ada');
  });

  it('bulkWrite mixes inserts, updates and deletes', async () => {
    const { Alert } = models(target);
    const result = await Alert.bulkWrite([
      { insertOne: { document: { email: 'b1@x.io', ticker: 'A' } } },
      { insertOne: { document: { email: 'b2@x.io', ticker: 'B' } } },
      { updateOne: { filter: { email: 'b1@x.io' }, update: { $set: { above: 5 } } } },
      { deleteOne: { filter: { email: 'b2@x.io' } } },
      {
        updateOne: {
          filter: { email: 'b3@x.io' },
          update: { $set: { ticker: 'C' } },
          upsert: true,
        },
      },
    ]);
    expect(result).to.include({
      insertedCount: 2,
      modifiedCount: 1,
      deletedCount: 1,
      upsertedCount: 1,
    });
    expect((await Alert.find().sort({ email: 1 }).lean()).map((a) => a.email)).to.deep.equal([
      'b1@x.io',
      'b3@x.io',
    ]);
  });

  it('insertMany of 10,000 documents, then sort + skip + limit and $in', async () => {
    const { Quote } = models(target);
    const docs = Array.from({ length: 10_000 }, (_, i) => ({
      ticker: `T${i % 100}`,
      price: i,
      at: new Date(i * 1000),
    }));
    const inserted = await Quote.insertMany(docs, { lean: true });
    expect(inserted).to.have.length(10_000);
    expect(await Quote.countDocuments()).to.equal(10_000);
    const page = await Quote.find({ ticker: { $in: ['T1', 'T2'] } })
      .sort({ price: -1 })
      .skip(5)
      .limit(3)
      .lean();
    // T1/T2 prices descending: 9902 9901 9802 9801 9702 | 9701 9602 9601
    expect(page.map((q) => q.price)).to.deep.equal([9_701, 9_602, 9_601]);
  });

  it('a cursor over 5,000 documents with batchSize 100 returns each exactly once', async () => {
    const { Quote } = models(target);
    await Quote.insertMany(
      Array.from({ length: 5_000 }, (_, i) => ({ ticker: 'C', price: i })),
      { lean: true },
    );
    const seen = new Set<number>();
    for await (const quote of Quote.find({ ticker: 'C' })
      .sort({ price: 1 })
      .batchSize(100)
      .lean()
      .cursor()) {
      seen.add(quote.price as number);
    }
    expect(seen.size).to.equal(5_000);
    expect(Math.max(...seen)).to.equal(4_999);
  });

  it('aggregation averages per ticker', async () => {
    const { Quote } = models(target);
    await Quote.insertMany([
      { ticker: 'A', price: 10 },
      { ticker: 'A', price: 20 },
      { ticker: 'B', price: 7 },
    ]);
    const averages = await Quote.aggregate<{ _id: string; avg: number; n: number; max: number }>([
      { $match: { price: { $gte: 0 } } },
      {
        $group: {
          _id: '$ticker',
          avg: { $avg: '$price' },
          n: { $sum: 1 },
          max: { $max: '$price' },
        },
      },
      { $sort: { _id: 1 } },
    ]);
    expect(averages).to.deep.equal([
      { _id: 'A', avg: 15, n: 2, max: 20 },
      { _id: 'B', avg: 7, n: 1, max: 7 },
    ]);
  });

  it('$elemMatch, dotted paths, dates and ObjectId filters', async () => {
    const { Alert } = models(target);
    const owner = new Types.ObjectId();
    await Alert.create([
      {
        email: 'e1@x.io',
        ticker: 'A',
        owner,
        thresholds: [
          { kind: 'above', value: 10 },
          { kind: 'below', value: 5 },
        ],
        profile: { tz: 'Europe/Rome', channel: { email: true } },
      },
      {
        email: 'e2@x.io',
        ticker: 'B',
        thresholds: [{ kind: 'above', value: 3 }],
        profile: { tz: 'UTC' },
      },
    ]);
    const elem = await Alert.find({
      thresholds: { $elemMatch: { kind: 'above', value: { $gt: 5 } } },
    }).lean();
    expect(elem.map((a) => a.email)).to.deep.equal(['e1@x.io']);
    const dotted = await Alert.find({ 'profile.channel.email': true }).lean();
    expect(dotted.map((a) => a.email)).to.deep.equal(['e1@x.io']);
    const byOwner = await Alert.find({ owner }).lean();
    expect(byOwner.map((a) => a.email)).to.deep.equal(['e1@x.io']);
    const since = new Date(Date.now() - 60_000);
    const recent = await Alert.countDocuments({ createdAt: { $gte: since } });
    expect(recent).to.equal(2);
  });

  it('syncIndexes builds the schema indexes and reports nothing to drop', async () => {
    const { Quote } = models(target);
    expect(await Quote.syncIndexes()).to.deep.equal([]);
    const names = (await Quote.listIndexes()).map((index: { name?: string }) => index.name);
    expect(names).to.deep.equal(['_id_', 'ticker_1_at_-1']);
    expect(await Quote.diffIndexes()).to.deep.equal({ toDrop: [], toCreate: [] });
  });

  it('updateMany, deleteMany and distinct through models', async () => {
    const { Quote } = models(target);
    await Quote.insertMany([
      { ticker: 'A', price: 1 },
      { ticker: 'B', price: 2 },
      { ticker: 'A', price: 3 },
    ]);
    const updated = await Quote.updateMany({ ticker: 'A' }, { $mul: { price: 10 } });
    expect(updated.modifiedCount).to.equal(2);
    expect((await Quote.distinct('price')).sort((a, b) => a - b)).to.deep.equal([2, 10, 30]);
    expect((await Quote.deleteMany({ price: { $gt: 5 } })).deletedCount).to.equal(2);
  });
}
