import { EventType } from '@tickwatch/contracts';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { startTestGateway, type TestGateway } from './testing/harness.ts';

describe('gateway outbox through a broker outage', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ faultProxy: true });
  });
  after(async () => {
    await gw.stop();
  });

  it('accepts commands while RabbitMQ connections are closed and publishes every event once they are back', async () => {
    const user = await gw.register('outage');
    const proxy = gw.proxy!;
    proxy.refuse(true);
    proxy.cut();
    await pollUntil('the gateway noticed', async () => {
      const ping = await gw.gql<{ ping: { ready: boolean } }>('{ ping { ready } }');
      return ping.data?.ping.ready === false;
    });
    const ids: string[] = [];
    for (const ticker of ['AAPL', 'MSFT', 'NVDA']) {
      const created = await gw.gql<{ createAlertRule: { id: string } }>(
        'mutation ($t: String!) { createAlertRule(input: { ticker: $t, condition: { above: { threshold: 10 } } }) { id } }',
        { t: ticker },
        user.accessToken,
      );
      expect(created.errors).to.equal(undefined);
      ids.push(created.data!.createAlertRule.id);
    }
    const waiting = await gw.db.collection('users').findOne({ _id: user.id as never });
    expect((waiting?.pendingEvents as unknown[]).length).to.be.greaterThan(0);
    proxy.resume();
    await pollUntil(
      'every rule.created delivered',
      () =>
        ids.every(
          (id) =>
            gw.eventsOf(
              EventType.ruleCreated,
              (e) => (e.data as { rule: { id: string } }).rule.id === id,
            ).length > 0,
        ),
      { timeoutMs: 20_000 },
    );
    await pollUntil('the outbox drained', async () => {
      const doc = await gw.db.collection('users').findOne({ _id: user.id as never });
      return (doc?.pendingEvents as unknown[]).length === 0;
    });
  });
});
