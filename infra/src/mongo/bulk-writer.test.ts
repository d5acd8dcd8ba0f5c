import { expect } from 'chai';
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import { describeOnMongoTargets } from '../messaging/testing/mongo-targets.ts';
import { createBulkWriter, type BulkWriteTarget } from './bulk-writer.ts';

interface Row extends Document {
  _id: string;
  version: number;
  label?: string;
}

describeOnMongoTargets('bulk writer', (target) => {
  const collection = () => target.connection().db!.collection<Row>('bulk_writer_test');

  /** The collection, counting the bulkWrite commands sent through it. */
  function counted(): { target: BulkWriteTarget<Row>; calls: () => number } {
    let calls = 0;
    return {
      target: {
        bulkWrite: (operations, options) => {
          calls += 1;
          return collection().bulkWrite(operations, options);
        },
      },
      calls: () => calls,
    };
  }

  /** Upsert `_id` at `version` unless a newer version is stored (E11000 then). */
  const upsertVersion = (_id: string, version: number): AnyBulkWriteOperation<Row> => ({
    updateOne: {
      filter: { _id, version: { $lt: version } },
      update: { $set: { version } },
      upsert: true,
    },
  });

  it('sends the writes queued in one turn as one bulkWrite, each handler getting its outcome', async () => {
    const { target: counting, calls } = counted();
    const writer = createBulkWriter(counting);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => writer.write(upsertVersion(`r${i}`, 1))),
    );
    expect(outcomes).to.deep.equal(Array(50).fill('applied'));
    expect(calls()).to.equal(1);
    expect(await collection().countDocuments()).to.equal(50);
  });

  it('resolves a guarded upsert that lost to a newer version as a duplicate, not a failure', async () => {
    const writer = createBulkWriter(collection());
    await writer.write(upsertVersion('guarded', 3));
    const [stale, newer] = await Promise.all([
      writer.write(upsertVersion('guarded', 2)),
      writer.write(upsertVersion('other', 1)),
    ]);
    expect([stale, newer]).to.deep.equal(['duplicate', 'applied']);
    expect((await collection().findOne({ _id: 'guarded' }))?.version).to.equal(3);
  });

  it('rejects only the write that failed; the others of its batch are applied', async () => {
    const writer = createBulkWriter(collection());
    await writer.write({ insertOne: { document: { _id: 'text', version: 1, label: 'a' } } });
    const results = await Promise.allSettled([
      writer.write({ updateOne: { filter: { _id: 'text' }, update: { $inc: { label: 1 } } } }),
      writer.write(upsertVersion('fine', 1)),
    ]);
    expect(results[0].status).to.equal('rejected');
    expect(results[1]).to.deep.equal({ status: 'fulfilled', value: 'applied' });
  });

  it('rejects every write of a batch whose command failed, and carries on with the next', async () => {
    let fail = true;
    const writer = createBulkWriter<Row>({
      bulkWrite: (operations, options) =>
        fail
          ? Promise.reject(new Error('connection lost'))
          : collection().bulkWrite(operations, options),
    });
    const failed = await Promise.allSettled([
      writer.write(upsertVersion('lost1', 1)),
      writer.write(upsertVersion('lost2', 1)),
    ]);
    expect(failed.map((result) => result.status)).to.deep.equal(['rejected', 'rejected']);
    fail = false;
    expect(await writer.write(upsertVersion('lost1', 1))).to.equal('applied');
  });

  it('splits a queue longer than maxBatch, in order', async () => {
    const { target: counting, calls } = counted();
    const writer = createBulkWriter(counting, { maxBatch: 10 });
    const writes = Array.from({ length: 25 }, (_, version) =>
      writer.write(upsertVersion('ordered', version + 1)),
    );
    await writer.flush();
    expect(await Promise.all(writes)).to.deep.equal(Array(25).fill('applied'));
    expect(calls()).to.equal(3);
    expect((await collection().findOne({ _id: 'ordered' }))?.version).to.equal(25);
  });
});
