import { randomUUID } from 'node:crypto';
import { createEvent, derivedEventId, EventType } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { priceUpdated } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import type { Model } from 'mongoose';
import { readModels } from './read/models.ts';
import { startTestGateway, type TestGateway, type TestUser } from './testing/harness.ts';

const QUOTE = '{ ticker status quote { price currency marketTime delayMinutes change } }';
const SOURCE = { source: 'tickwatch/test' };

/** The winning plan of a find: an index scan, never a collection scan. */
async function planOf(model: Model<never>, filter: object, sort: object = {}) {
  const explained = (await model
    .find(filter)
    .sort(sort as never)
    .explain('executionStats')) as unknown as {
    queryPlanner: {
      winningPlan: { stage: string; inputStage?: { stage: string; indexName?: string } };
    };
  };
  const plan = explained.queryPlanner.winningPlan;
  return plan.inputStage?.stage ?? plan.stage;
}

describe('gateway read side (events on the broker → read models → queries)', () => {
  let gw: TestGateway;
  let user: TestUser;
  const today = new Date();
  /** Whole minutes before now, plus seconds: samples of one call share a minute bucket. */
  const at = (minutesAgo: number, seconds = 0) =>
    new Date(Math.floor(today.getTime() / 60_000) * 60_000 - minutesAgo * 60_000 + seconds * 1000);

  before(async () => {
    gw = await startTestGateway();
    user = await gw.register('reader');
  });
  after(async () => {
    await gw.stop();
  });

  it('keeps the latest quote in memory, buckets prices per minute, and counts a redelivered quote once', async () => {
    const t1 = at(2, 5);
    const t2 = at(2, 35);
    await gw.messaging.publish(priceUpdated('MSFT', 400, t1));
    await gw.messaging.publish(priceUpdated('MSFT', 410, t2));
    await gw.messaging.publish(priceUpdated('MSFT', 400, t1)); // redelivery of the first
    // Written with or after the redelivery: once its buckets are there, MSFT's are final.
    await gw.messaging.publish(priceUpdated('ORCL', 100, t2));
    const result = await pollUntil('the newest MSFT quote', async () => {
      const answer = await gw.gql<{ quote: { quote: { price: number } | null } }>(
        `{ quote(ticker: "msft") ${QUOTE} }`,
        {},
        user.accessToken,
      );
      return answer.data?.quote.quote?.price === 410 && answer;
    });
    expect(result.data!.quote).to.deep.include({ ticker: 'MSFT', status: 'AVAILABLE' });

    // The quote above comes from memory; the buckets are written up to a linger window later.
    // A batch writes its day buckets last: once ORCL's counts, MSFT's are written too.
    await pollUntil('the day bucket of the quote after the redelivery', async () => {
      const answer = await gw.gql<{ averagePrice: { sampleCount: number } }>(
        '{ averagePrice(ticker: "ORCL", days: 1) { sampleCount } }',
        {},
        user.accessToken,
      );
      return answer.data?.averagePrice.sampleCount === 1;
    });
    const history = await gw.gql<{
      priceHistory: {
        open: number;
        close: number;
        high: number;
        low: number;
        sampleCount: number;
      }[];
    }>(
      'query ($from: DateTime!, $to: DateTime!) { priceHistory(ticker: "MSFT", from: $from, to: $to) { start open high low close average sampleCount } }',
      { from: at(10).toISOString(), to: new Date(today.getTime() + 60_000).toISOString() },
      user.accessToken,
    );
    expect(history.errors).to.equal(undefined);
    expect(history.data!.priceHistory).to.have.length(1);
    expect(history.data!.priceHistory[0]).to.include({
      open: 400,
      close: 410,
      high: 410,
      low: 400,
      sampleCount: 2,
    });

    const average = await gw.gql<{ averagePrice: { average: number; sampleCount: number } }>(
      '{ averagePrice(ticker: "MSFT", days: 1) { average sampleCount } }',
      {},
      user.accessToken,
    );
    expect(average.data!.averagePrice).to.deep.equal({ average: 405, sampleCount: 2 });
  });

  it('answers PENDING for a ticker without a quote and takes an interest lease on it', async () => {
    const answer = await gw.gql<{ quote: { status: string; quote: null } }>(
      `{ quote(ticker: "ZZNEW") ${QUOTE} }`,
      {},
      user.accessToken,
    );
    expect(answer.data!.quote).to.deep.include({ status: 'PENDING', quote: null });
    const lease = await gw.waitForEvent(
      EventType.interestRenewed,
      (e) => (e.data as { ticker: string }).ticker === 'ZZNEW',
    );
    expect(lease.event.data).to.include({ holder: `gateway:${gw.gateway.instanceId}` });
  });

  it('shows TICKER_UNKNOWN for a rule on a ticker the source refused, TRIGGERED once a ONCE rule fired', async () => {
    const create = (ticker: string) =>
      gw.gql<{ createAlertRule: { id: string } }>(
        'mutation ($t: String!) { createAlertRule(input: { ticker: $t, condition: { above: { threshold: 100 } } }) { id } }',
        { t: ticker },
        user.accessToken,
      );
    const unknownRule = (await create('NOSUCH')).data!.createAlertRule.id;
    const onceRule = (await create('AAPL')).data!.createAlertRule.id;
    await gw.messaging.publish(
      createEvent(
        EventType.tickerRejected,
        { ...exampleData[EventType.tickerRejected], ticker: 'NOSUCH' },
        SOURCE,
      ),
    );
    const alertId = derivedEventId(EventType.alertTriggered, [onceRule, 1, 1]);
    await gw.messaging.publish(
      createEvent(
        EventType.alertTriggered,
        {
          ...exampleData[EventType.alertTriggered],
          alertId,
          ruleId: onceRule,
          ruleVersion: 1,
          userId: user.id,
          ticker: 'AAPL',
        },
        { ...SOURCE, id: alertId },
      ),
    );
    const statuses = await pollUntil('both statuses', async () => {
      const answer = await gw.gql<{ alertRules: { id: string; status: string }[] }>(
        '{ alertRules { id status } }',
        {},
        user.accessToken,
      );
      const byId = new Map(answer.data?.alertRules.map((r) => [r.id, r.status]));
      return (
        byId.get(unknownRule) === 'TICKER_UNKNOWN' && byId.get(onceRule) === 'TRIGGERED' && byId
      );
    });
    expect(statuses.size).to.equal(2);

    const deliveryId = derivedEventId(EventType.notificationSent, [alertId, 'EMAIL']);
    await gw.messaging.publish(
      createEvent(
        EventType.notificationFailed,
        {
          deliveryId,
          alertId,
          userId: user.id,
          channel: 'EMAIL',
          attempts: 1,
          code: 'SMTP_ERROR',
          reason: 'connection refused',
          permanent: false,
        },
        SOURCE,
      ),
    );
    await gw.messaging.publish(
      createEvent(
        EventType.notificationSent,
        {
          deliveryId,
          alertId,
          userId: user.id,
          channel: 'EMAIL',
          attempts: 2,
          messageId: '<a@tickwatch>',
        },
        SOURCE,
      ),
    );
    const alerts = await pollUntil('the alert with its delivery sent', async () => {
      const answer = await gw.gql<{
        alerts: {
          edges: { node: { id: string; deliveries: { status: string; attempts: number }[] } }[];
        };
      }>(
        '{ alerts(first: 5) { edges { cursor node { id ticker price deliveries { channel status attempts messageId } } } pageInfo { hasNextPage endCursor } } }',
        {},
        user.accessToken,
      );
      const node = answer.data?.alerts.edges[0]?.node;
      if (node?.deliveries[0]?.status !== 'SENT') throw new Error(JSON.stringify(answer));
      return answer;
    });
    expect(alerts.data!.alerts.edges.map((e) => e.node.id)).to.deep.equal([alertId]);
    const notifications = await gw.gql<{
      notifications: { edges: { node: { status: string; attempts: number } }[] };
    }>(
      '{ notifications(first: 5) { edges { node { id alertId channel status attempts } } } }',
      {},
      user.accessToken,
    );
    expect(notifications.data!.notifications.edges.map((e) => e.node)).to.deep.include.members([
      { id: deliveryId, alertId, channel: 'EMAIL', status: 'SENT', attempts: 2 },
    ]);
  });

  it('keeps the newest moving average per window', async () => {
    const average = (windowMinutes: 5 | 10 | 15, value: number, minutesAgo: number) => ({
      ticker: 'NVDA',
      windowMinutes,
      average: value,
      previousAverage: null,
      sampleCount: 3,
      marketTime: at(minutesAgo).toISOString(),
    });
    const averages = (...list: ReturnType<typeof average>[]) =>
      createEvent(EventType.averagesUpdated, { averages: list }, SOURCE);
    await gw.messaging.publish(averages(average(5, 120, 1), average(15, 118, 1)));
    await gw.messaging.publish(averages(average(5, 110, 3))); // older: ignored
    const answer = await pollUntil('two windows', async () => {
      const result = await gw.gql<{ movingAverages: { windowMinutes: number; average: number }[] }>(
        '{ movingAverages(ticker: "NVDA") { windowMinutes average } }',
        {},
        user.accessToken,
      );
      return result.data?.movingAverages.length === 2 && result.data.movingAverages;
    });
    expect(answer).to.deep.equal([
      { windowMinutes: 5, average: 120 },
      { windowMinutes: 15, average: 118 },
    ]);
  });

  it('answers every query through an index (explain)', async () => {
    const models = readModels(gw.db) as unknown as Record<string, Model<never>>;
    const userId = randomUUID();
    const cases: [string, Model<never>, object, object][] = [
      [
        'price history',
        models.buckets!,
        { ticker: 'MSFT', interval: '1m', start: { $gte: at(60), $lt: today } },
        { start: 1 },
      ],
      [
        'average price',
        models.buckets!,
        { ticker: 'MSFT', interval: '1d', start: { $gte: at(3000), $lte: today } },
        {},
      ],
      ['moving averages', models.averages!, { ticker: 'NVDA' }, { windowMinutes: 1 }],
      ['alerts page', models.alerts!, { userId }, { triggeredAt: -1, _id: -1 }],
      ['rule statuses', models.alerts!, { userId, ruleId: { $in: [randomUUID()] } }, {}],
      ['notifications page', models.notifications!, { userId }, { firstSeenAt: -1, _id: -1 }],
      [
        'deliveries of an alert',
        models.notifications!,
        { alertId: randomUUID(), userId },
        { channel: 1 },
      ],
      ['market memory catch-up', models.quotes!, { publishedAt: { $gte: today } }, {}],
    ];
    for (const [name, model, filter, sort] of cases) {
      expect(await planOf(model, filter, sort), name).to.not.equal('COLLSCAN');
    }
  });
});
