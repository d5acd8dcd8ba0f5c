import { EventType, partitionOf, type TickwatchEvent } from '@tickwatch/contracts';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { startTestGateway, type TestGateway } from './testing/harness.ts';

const RULE_FIELDS =
  'id ticker version status paused frequency channels condition { type ... on AboveCondition { threshold } ... on OutsideRangeCondition { low high } }';
const CREATE = `mutation ($input: AlertRuleInput!, $requestId: ID) { createAlertRule(input: $input, requestId: $requestId) { ${RULE_FIELDS} } }`;

const ruleOf = (event: TickwatchEvent) =>
  (event.data as { rule: { id: string; version: number } }).rule;

describe('gateway command side (HTTP, embedded MongoDB, real RabbitMQ)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw.stop();
  });

  it('register → login → create a rule → rule.created is published with its routing key and partition', async () => {
    const user = await gw.register('ada');
    const registered = await gw.waitForEvent(
      EventType.userRegistered,
      (e) => (e.data as { userId: string }).userId === user.id,
    );
    expect(registered.routingKey).to.equal('user.registered');
    expect(registered.event.data).to.include({
      email: user.email,
      // Verification is required by default: the address waits for its link.
      emailVerified: false,
      timeZone: 'UTC',
    });

    const login = await gw.gql<{ login: { accessToken: string; user: { id: string } } }>(
      'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id } } }',
      { email: user.email.toUpperCase(), password: user.password },
    );
    expect(login.errors).to.equal(undefined);
    const token = login.data!.login.accessToken;

    const created = await gw.gql<{
      createAlertRule: { id: string; ticker: string; version: number; status: string };
    }>(CREATE, { input: { ticker: ' brk.b ', condition: { above: { threshold: 420.5 } } } }, token);
    expect(created.errors).to.equal(undefined);
    const rule = created.data!.createAlertRule;
    expect(rule).to.include({ ticker: 'BRK.B', version: 1, status: 'ACTIVE' });

    const published = await gw.waitForEvent(EventType.ruleCreated, (e) => ruleOf(e).id === rule.id);
    expect(published.routingKey).to.equal(`rule.created.p${partitionOf('BRK.B')}.BRK_B`);
    expect(published.event.data).to.deep.include({
      rule: {
        ...(published.event.data as { rule: object }).rule,
        condition: { type: 'ABOVE', threshold: 420.5 },
        frequency: 'ONCE',
        channels: ['EMAIL'],
        userId: user.id,
      },
    });
    // The outbox is empty once the relay has published.
    await pollUntil('the relay removed the published entries', async () => {
      const doc = await gw.db.collection('users').findOne({ _id: user.id as never });
      return (doc?.pendingEvents as unknown[]).length === 0;
    });
  });

  it('answers a repeated requestId with the first result and writes nothing new, also for 20 at once', async () => {
    const user = await gw.register();
    const input = { ticker: 'AAPL', condition: { outsideRange: { low: 150, high: 250 } } };
    const requestId = '2d0c1f49-7a8d-4f9b-9d7e-6b1f9d3f6a11';
    const first = await gw.gql<{ createAlertRule: { id: string } }>(
      CREATE,
      { input, requestId },
      user.accessToken,
    );
    const again = await gw.gql<{ createAlertRule: { id: string } }>(
      CREATE,
      { input, requestId },
      user.accessToken,
    );
    expect(again.data!.createAlertRule.id).to.equal(first.data!.createAlertRule.id);

    const concurrentId = '6f1e7a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        gw.gql<{ createAlertRule: { id: string } }>(
          CREATE,
          { input, requestId: concurrentId },
          user.accessToken,
        ),
      ),
    );
    const ids = new Set(answers.map((a) => a.data?.createAlertRule.id));
    expect(answers.flatMap((a) => a.errors ?? [])).to.deep.equal([]);
    expect(ids.size).to.equal(1);
    const doc = await gw.db.collection('users').findOne({ _id: user.id as never });
    expect(doc?.rules).to.have.length(2);
    const mine = () =>
      gw.eventsOf(
        EventType.ruleCreated,
        (e) => (e.data as { rule: { userId: string } }).rule.userId === user.id,
      );
    await gw.waitForEvent(EventType.ruleCreated, (e) => ruleOf(e).id === [...ids][0]);
    expect(mine()).to.have.length(2);

    const reused = await gw.gql(
      CREATE,
      { input: { ...input, ticker: 'MSFT' }, requestId },
      user.accessToken,
    );
    expect(reused.errors?.[0]?.extensions?.code).to.equal('CONFLICT');
  });
});
