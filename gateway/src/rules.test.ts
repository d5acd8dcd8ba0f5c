import { EventType } from '@tickwatch/contracts';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { startTestGateway, type TestGateway, type TestUser } from './testing/harness.ts';

const RULE =
  'id ticker version status paused frequency cooldownSeconds channels thresholds condition { type ... on OutsideRangeCondition { low high } }';
const CREATE = `mutation ($input: AlertRuleInput!) { createAlertRule(input: $input) { ${RULE} } }`;
const ruleIdOf = (data: unknown) => (data as { rule: { id: string } }).rule.id;

describe('gateway alert rules, thresholds, watchlist and test notifications', () => {
  let gw: TestGateway;
  let user: TestUser;
  before(async () => {
    gw = await startTestGateway();
    user = await gw.register('rules');
  });
  after(async () => {
    await gw.stop();
  });

  const userDoc = () => gw.db.collection('users').findOne({ _id: user.id as never });

  it('refuses every bad input with BAD_USER_INPUT, its field and reason, and writes nothing', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const cases: [Record<string, unknown>, string][] = [
      [{ ticker: 'not a ticker!', condition: { above: { threshold: 1 } } }, 'input.ticker'],
      [{ ticker: 'A'.repeat(16), condition: { above: { threshold: 1 } } }, 'input.ticker'],
      [
        { ticker: 'AAPL', condition: { above: { threshold: 0 } } },
        'input.condition.above.threshold',
      ],
      [
        { ticker: 'AAPL', condition: { below: { threshold: -5 } } },
        'input.condition.below.threshold',
      ],
      [
        { ticker: 'AAPL', condition: { outsideRange: { low: 200, high: 100 } } },
        'input.condition.outsideRange.low',
      ],
      [
        { ticker: 'AAPL', condition: { percentChange: { percent: 0 } } },
        'input.condition.percentChange.percent',
      ],
      [
        {
          ticker: 'AAPL',
          condition: { movingAverageDeviation: { windowMinutes: 7, tolerancePercent: 1 } },
        },
        'input.condition.movingAverageDeviation.windowMinutes',
      ],
      [
        { ticker: 'AAPL', condition: { averageMove: { windowMinutes: 5, tolerancePercent: 0 } } },
        'input.condition.averageMove.tolerancePercent',
      ],
      [
        {
          ticker: 'AAPL',
          condition: { above: { threshold: 1 } },
          expiresAt: '2020-01-01T00:00:00Z',
        },
        'input.expiresAt',
      ],
      [
        { ticker: 'AAPL', condition: { above: { threshold: 1 } }, cooldownSeconds: -1 },
        'input.cooldownSeconds',
      ],
      [
        { ticker: 'AAPL', condition: { above: { threshold: 1 } }, hysteresisPercent: 80 },
        'input.hysteresisPercent',
      ],
      [
        { ticker: 'AAPL', condition: { above: { threshold: 1 } }, channels: ['WEBHOOK'] },
        'input.channels',
      ],
      [{ ticker: 'AAPL', condition: { above: { threshold: 1 } }, channels: [] }, 'input.channels'],
      [
        {
          ticker: 'AAPL',
          condition: { above: { threshold: 1 } },
          name: 'x'.repeat(101),
          expiresAt: future,
        },
        'input.name',
      ],
    ];
    for (const [input, field] of cases) {
      const answer = await gw.gql(CREATE, { input }, user.accessToken);
      expect(answer.errors?.[0]?.extensions, field).to.include({ code: 'BAD_USER_INPUT', field });
      expect(answer.errors?.[0]?.extensions?.reason, field).to.be.a('string');
    }
    // Two kinds at once is refused by GraphQL itself (@oneOf).
    const both = await gw.gql(
      CREATE,
      {
        input: { ticker: 'AAPL', condition: { above: { threshold: 1 }, below: { threshold: 2 } } },
      },
      user.accessToken,
    );
    expect(both.errors?.[0]?.extensions?.code).to.equal('BAD_USER_INPUT');
    const doc = await userDoc();
    expect(doc?.rules).to.deep.equal([]);
    expect(doc?.pendingEvents).to.deep.equal([]);
    expect(
      gw.eventsOf(
        EventType.ruleCreated,
        (e) => (e.data as { rule: { userId: string } }).rule.userId === user.id,
      ),
    ).to.deep.equal([]);
  });

  it('updates with optimistic concurrency (CONFLICT on a stale version), pauses, resumes and deletes', async () => {
    const created = await gw.gql<{ createAlertRule: { id: string; version: number } }>(
      CREATE,
      {
        input: {
          ticker: 'GOOG',
          condition: { outsideRange: { low: 100, high: 200 } },
          frequency: 'EVERY_CROSSING',
        },
      },
      user.accessToken,
    );
    const id = created.data!.createAlertRule.id;
    const update = (expectedVersion: number, low: number) =>
      gw.gql<{ updateAlertRule: { version: number } }>(
        `mutation ($id: ID!, $v: Int!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input, expectedVersion: $v) { ${RULE} } }`,
        {
          id,
          v: expectedVersion,
          input: {
            ticker: 'GOOG',
            condition: { outsideRange: { low, high: 200 } },
            frequency: 'EVERY_CROSSING',
          },
        },
        user.accessToken,
      );
    expect((await update(1, 110)).data!.updateAlertRule.version).to.equal(2);
    const stale = await update(1, 120);
    expect(stale.errors?.[0]?.extensions).to.include({ code: 'CONFLICT', currentVersion: 2 });
    const moved = await gw.gql(
      'mutation ($id: ID!) { updateAlertRule(id: $id, expectedVersion: 2, input: { ticker: "MSFT", condition: { above: { threshold: 1 } } }) { id } }',
      { id },
      user.accessToken,
    );
    expect(moved.errors?.[0]?.extensions).to.include({
      code: 'BAD_USER_INPUT',
      field: 'input.ticker',
    });

    const paused = await gw.gql<{ pauseAlertRule: { status: string; version: number } }>(
      'mutation ($id: ID!) { pauseAlertRule(id: $id) { status version } }',
      { id },
      user.accessToken,
    );
    expect(paused.data!.pauseAlertRule).to.deep.equal({ status: 'PAUSED', version: 3 });
    const resumed = await gw.gql<{ resumeAlertRule: { status: string; version: number } }>(
      'mutation ($id: ID!) { resumeAlertRule(id: $id) { status version } }',
      { id },
      user.accessToken,
    );
    expect(resumed.data!.resumeAlertRule).to.deep.equal({ status: 'ACTIVE', version: 4 });
    const deleted = await gw.gql(
      'mutation ($id: ID!) { deleteAlertRule(id: $id) }',
      { id },
      user.accessToken,
    );
    expect(deleted.data).to.deep.equal({ deleteAlertRule: id });
    const gone = await gw.waitForEvent(EventType.ruleDeleted, (e) => ruleIdOf(e.data) === id);
    expect((gone.event.data as { rule: { version: number } }).rule.version).to.equal(5);
    const versions = gw
      .eventsOf(EventType.ruleUpdated, (e) => ruleIdOf(e.data) === id)
      .map((o) => (o.event.data as { rule: { version: number } }).rule.version);
    expect(versions).to.deep.equal([2, 3, 4]);
    const missing = await gw.gql(
      'mutation ($id: ID!) { deleteAlertRule(id: $id) }',
      { id },
      user.accessToken,
    );
    expect(missing.errors?.[0]?.extensions?.code).to.equal('NOT_FOUND');
  });

  it('setThresholds keeps one OUTSIDE_RANGE rule per ticker (the original CreateUser/ModifyHighLow)', async () => {
    const set = (low: number, high: number) =>
      gw.gql<{
        setThresholds: {
          id: string;
          version: number;
          thresholds: boolean;
          frequency: string;
          cooldownSeconds: number;
          condition: { low: number; high: number };
        };
      }>(
        `mutation ($low: Float!, $high: Float!) { setThresholds(ticker: "ibm", low: $low, high: $high) { ${RULE} } }`,
        { low, high },
        user.accessToken,
      );
    const first = (await set(150, 250)).data!.setThresholds;
    expect(first).to.deep.include({
      thresholds: true,
      frequency: 'WHILE_TRUE',
      cooldownSeconds: 1800,
      version: 1,
    });
    const second = (await set(160, 240)).data!.setThresholds;
    expect(second).to.deep.include({ id: first.id, version: 2 });
    expect(second.condition).to.deep.include({ low: 160, high: 240 });
    const inverted = await set(300, 200);
    expect(inverted.errors?.[0]?.extensions).to.include({ code: 'BAD_USER_INPUT', field: 'low' });
  });

  it('watches and unwatches tickers, once each', async () => {
    const watch = () =>
      gw.gql<{ watchTicker: { id: string; ticker: string } }>(
        'mutation { watchTicker(ticker: "rds.a") { id ticker } }',
        {},
        user.accessToken,
      );
    const first = await watch();
    const again = await watch();
    expect(again.data!.watchTicker).to.deep.equal(first.data!.watchTicker);
    expect(first.data!.watchTicker.ticker).to.equal('RDS.A');
    const added = await gw.waitForEvent(
      EventType.watchAdded,
      (e) => (e.data as { userId: string }).userId === user.id,
    );
    expect(added.routingKey).to.match(/^watch\.added\.p\d+\.RDS_A$/);
    const list = await gw.gql<{ watchlist: { ticker: string }[] }>(
      '{ watchlist { ticker } }',
      {},
      user.accessToken,
    );
    expect(list.data!.watchlist).to.deep.equal([{ ticker: 'RDS.A' }]);
    expect(
      (await gw.gql('mutation { unwatchTicker(ticker: "RDS.A") }', {}, user.accessToken)).data,
    ).to.deep.equal({ unwatchTicker: true });
    expect(
      (await gw.gql('mutation { unwatchTicker(ticker: "RDS.A") }', {}, user.accessToken)).data,
    ).to.deep.equal({ unwatchTicker: false });
    await gw.waitForEvent(
      EventType.watchRemoved,
      (e) => (e.data as { userId: string }).userId === user.id,
    );
    expect(
      gw.eventsOf(EventType.watchAdded, (e) => (e.data as { userId: string }).userId === user.id),
    ).to.have.length(1);
  });

  it('sends a test notification through the notifier’s queue', async () => {
    const answer = await gw.gql<{
      sendTestNotification: { requestId: string; channels: string[] };
    }>('mutation { sendTestNotification { requestId channels } }', {}, user.accessToken);
    expect(answer.data!.sendTestNotification.channels).to.deep.equal(['EMAIL']);
    const requested = await gw.waitForEvent(
      EventType.notificationRequested,
      (e) => (e.data as { userId: string }).userId === user.id,
    );
    expect(requested.event.data).to.deep.include({
      requestId: answer.data!.sendTestNotification.requestId,
      channels: ['EMAIL'],
    });
  });

  it('refuses the 101st rule', async () => {
    const other = await gw.register('many');
    for (let i = 0; i < 100; i += 1) {
      const created = await gw.gql(
        CREATE,
        { input: { ticker: `T${i}`, condition: { above: { threshold: 1 + i } } } },
        other.accessToken,
      );
      expect(created.errors).to.equal(undefined);
    }
    const refused = await gw.gql(
      CREATE,
      { input: { ticker: 'ONEMORE', condition: { above: { threshold: 1 } } } },
      other.accessToken,
    );
    expect(refused.errors?.[0]?.extensions).to.include({ code: 'BAD_USER_INPUT', field: 'input' });
    await pollUntil(
      '100 rule.created events',
      () =>
        gw.eventsOf(
          EventType.ruleCreated,
          (e) => (e.data as { rule: { userId: string } }).rule.userId === other.id,
        ).length === 100,
    );
  });
});
