import { expect } from 'chai';
import { Schema } from 'mongoose';
import { pollUntil } from '../../testing/poll-until.ts';
import { describeOnMongoTargets } from '../testing/mongo-targets.ts';
import { applyOnce } from './apply-once.ts';
import { createInbox } from './inbox.ts';
import { insertOnce } from './insert-once.ts';

interface Delivery {
  _id: string;
  channel: string;
}
interface Counter {
  _id: string;
  count: number;
  processedEvents: string[];
}

const deliveryFields = { _id: String, channel: String };
const counterFields = { _id: String, count: Number, processedEvents: [String] };

describeOnMongoTargets('idempotency helpers', (target) => {
  it('insertOnce: the effect keyed by the event id is applied once, a repeat is refused', async () => {
    const Delivery = target.connection().model<Delivery>('Delivery', new Schema(deliveryFields));
    expect(await insertOnce(Delivery, { _id: 'event-1:EMAIL', channel: 'EMAIL' })).to.equal(
      'applied',
    );
    expect(await insertOnce(Delivery, { _id: 'event-1:EMAIL', channel: 'EMAIL' })).to.equal(
      'duplicate',
    );
    expect(await Delivery.countDocuments()).to.equal(1);
  });

  it('applyOnce: the marker is written with the effect, so repeats change nothing', async () => {
    const Counter = target.connection().model<Counter>('Counter', new Schema(counterFields));
    await Counter.create({ _id: 'AAPL', count: 0, processedEvents: [] });
    const apply = (eventId: string) =>
      applyOnce(Counter, { _id: 'AAPL' }, { $inc: { count: 1 } }, eventId, { keep: 3 });
    expect(await apply('e1')).to.equal('applied');
    expect(await apply('e1')).to.equal('duplicate');
    expect(await apply('e2')).to.equal('applied');
    expect(await applyOnce(Counter, { _id: 'MSFT' }, { $inc: { count: 1 } }, 'e3')).to.equal(
      'missing',
    );
    const doc = await Counter.findById('AAPL').lean();
    expect(doc?.count).to.equal(2);
    // The window is capped: only the last `keep` ids are remembered.
    for (const id of ['e3', 'e4', 'e5']) await apply(id);
    expect((await Counter.findById('AAPL').lean())?.processedEvents).to.deep.equal([
      'e3',
      'e4',
      'e5',
    ]);
  });

  it('applyOnce with upsert creates the document with its marker, and refuses a repeat', async () => {
    const Counter = target.connection().model<Counter>('UpsertCounter', new Schema(counterFields));
    const apply = () =>
      applyOnce(Counter, { _id: 'NEW' }, { $inc: { count: 1 } }, 'e1', { upsert: true });
    expect(await apply()).to.equal('applied');
    expect(await apply()).to.equal('duplicate');
    expect((await Counter.findById('NEW').lean())?.count).to.equal(1);
  });

  it('inbox: skips a recorded event, records after the effect, and expires rows by TTL', async () => {
    const inbox = createInbox(target.connection(), {
      consumer: 'notifier.email',
      collection: 'inbox_test',
      ttlSeconds: 1,
    });
    await inbox.ensureIndexes();
    let sent = 0;
    const send = async () => {
      sent += 1;
      await Promise.resolve();
    };
    expect(await inbox.once('event-1', send)).to.equal('applied');
    expect(await inbox.once('event-1', send)).to.equal('duplicate');
    expect(sent).to.equal(1);
    // A failing effect records nothing: the redelivery tries again.
    const failing = inbox.once('event-2', () => Promise.reject(new Error('smtp down')));
    await failing.then(
      () => expect.fail('should have thrown'),
      (error: unknown) => expect((error as Error).message).to.equal('smtp down'),
    );
    expect(await inbox.seen('event-2')).to.be.false;
    const indexes = await target.connection().collection('inbox_test').indexes();
    expect(indexes.find((i) => i.key.at === 1)?.expireAfterSeconds).to.equal(1);
    if (target.name === 'embedded') {
      // A real mongod sweeps TTL indexes every 60 s; the embedded one here every 100 ms.
      await pollUntil('the row expired', async () => !(await inbox.seen('event-1')), {
        timeoutMs: 5_000,
      });
    }
  });
});
