import { createEvent, derivedEventId, EventType } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { createLogger } from '@tickwatch/infra/log';
import { priceUpdated } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { rebuildReadModels } from './read/rebuild.ts';
import { startTestGateway, type TestGateway } from './testing/harness.ts';

describe('rebuilding the read models from the event log (npm run rebuild -- gateway)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw.stop();
  });

  it('replays tickwatch.log into emptied read collections, each event once, and leaves users alone', async () => {
    const user = await gw.register('rebuild');
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const prices = [0, 20, 40].map((s, i) =>
      priceUpdated('AMZN', 180 + i, new Date(minute + s * 1000)),
    );
    for (const price of prices) await gw.messaging.publish(price);
    await gw.messaging.publish(prices[0]!); // a redelivered copy in the log
    const alertId = derivedEventId(EventType.alertTriggered, ['rebuild', 1, 1]);
    await gw.messaging.publish(
      createEvent(
        EventType.alertTriggered,
        { ...exampleData[EventType.alertTriggered], alertId, userId: user.id, ticker: 'AMZN' },
        { source: 'tickwatch/test', id: alertId },
      ),
    );
    const db = gw.db;
    const snapshot = async () => ({
      quote: await db
        .collection('read_latest_quotes')
        .findOne({ _id: 'AMZN' as never }, { projection: { price: 1, _id: 0 } }),
      buckets: await db
        .collection('read_price_buckets')
        .find({ ticker: 'AMZN' }, { projection: { _id: 1, count: 1, sum: 1 } })
        .sort({ _id: 1 })
        .toArray(),
      alerts: await db.collection('read_alerts').countDocuments({ userId: user.id }),
    });
    const live = await pollUntil('projected live', async () => {
      const state = await snapshot();
      return (
        state.alerts === 1 &&
        state.buckets.length === 2 &&
        state.buckets.every((b) => b.count === 3) &&
        state
      );
    });
    const usersBefore = await db.collection('users').countDocuments();

    const summary = await rebuildReadModels({
      mongoUrl: gw.mongo.uri,
      rabbitmqUrl: gw.vhost.url,
      retentionDays: 90,
      dbName: gw.db.name,
      logger: createLogger({ name: 'rebuild', level: 'silent' }),
    });
    expect(summary.duplicates).to.equal(1);
    expect(summary.projected).to.equal(4);
    expect(await snapshot()).to.deep.equal(live);
    expect(await db.collection('users').countDocuments()).to.equal(usersBefore);
  });
});
