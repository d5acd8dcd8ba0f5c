/**
 * An interest lease end to end, each service a real process on the real broker and the embedded
 * MongoDB: a ticker that no rule or watch names is collected while a graphql-ws client
 * subscribes to it (the gateway's lease), still after the unsubscribe until the lease runs out
 * (INTEREST_LEASE=3s here), and not after that plus a collector cycle or so.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { EventType, type Event } from '@tickwatch/contracts';
import { createLogger } from '@tickwatch/infra/log';
import { tickwatchTopology } from '@tickwatch/infra/messaging';
import { testMessaging } from '@tickwatch/infra/messaging/testing';
import { launchService, logLines, pollUntil, useTestBackends } from '@tickwatch/infra/testing';
import { liveClient } from '../../gateway/src/testing/live-client.ts';
import { graphqlClient } from '../../scripts/demo/graphql.ts';

const silent = createLogger({ name: 'test', level: 'silent' });
const TICKER = 'LEASEONLY';
const LEASE_MS = 3_000;
const CYCLE_MS = 250;
/** What a loaded machine adds between the lease running out and the cycle that leaves it out. */
const SLACK_MS = 3_000;

describe('interest lease across gateway and collector processes', function () {
  this.timeout(90_000);
  const services: ReturnType<typeof launchService>[] = [];
  // Defined before the backends' hooks, so it runs first: the services stop before their
  // database and vhost go away.
  after(async () => {
    for (const service of services) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
  const backends = useTestBackends('interest-lease');

  it('collects an unwatched ticker while subscribed, and stops once the lease ran out after the unsubscribe', async () => {
    // The alerter's partition queues, read here instead: every price the collector publishes.
    const observer = testMessaging(backends.vhost.url, {
      topology: tickwatchTopology(),
      logger: silent,
    });
    await observer.start();
    const prices: Event<typeof EventType.priceUpdated>[] = [];
    await observer.consumePartitions(
      {
        [EventType.priceUpdated]: (event) => {
          if (event.data.ticker === TICKER) prices.push(event);
          return Promise.resolve();
        },
      },
      { preferred: Array.from({ length: 16 }, (_, n) => n), takeoverDelayMs: 0 },
    );
    const common = {
      LOG_LEVEL: 'info',
      RABBITMQ_URL: backends.vhost.url,
      MONGO_URL: backends.mongo.uri,
    };
    services.push(
      launchService(new URL('../../collector/src/main.ts', import.meta.url), {
        ...common,
        COLLECTOR_OPS_PORT: '0',
        MARKET_SOURCE: 'simulated',
        SIMULATED_HOURS: 'always',
        POLL_INTERVAL: `${CYCLE_MS}ms`,
        DEFAULT_TICKERS: 'none',
      }),
    );
    const gateway = launchService(new URL('../../gateway/src/main.ts', import.meta.url), {
      ...common,
      GATEWAY_PORT: '0',
      GATEWAY_OPS_PORT: '0',
      PASSWORD_HASH_COST: '14',
      INTEREST_LEASE: `${LEASE_MS}ms`,
    });
    services.push(gateway);
    const listening = await pollUntil(
      'the gateway listening',
      () =>
        logLines(gateway.output().stdout).find((line) => line.msg === 'GraphQL gateway listening'),
      { timeoutMs: 30_000 },
    );
    const url = listening.url as string;

    const { register } = await graphqlClient(url).request<{
      register: { accessToken: string };
    }>(
      'mutation ($e: String!) { register(email: $e, password: "interest lease test 1") { accessToken } }',
      {
        e: `lease-${randomUUID()}@example.com`,
      },
    );
    const client = liveClient(url.replace(/\/graphql$/, ''), register.accessToken);
    try {
      const feed = client.subscribe<{ priceUpdated: { ticker: string } }>(
        `subscription { priceUpdated(tickers: ["${TICKER}"]) { ticker } }`,
      );
      expect((await feed.next()).data?.priceUpdated.ticker, 'collected while subscribed').to.equal(
        TICKER,
      );
      await feed.stop();
    } finally {
      await client.dispose();
    }
    const unsubscribed = Date.now();

    // The lease outlives the subscription by up to LEASE_MS: the collector still collects...
    await pollUntil(
      'a price collected after the unsubscribe',
      () => prices.some((event) => Date.parse(event.time) > unsubscribed),
      { timeoutMs: LEASE_MS + SLACK_MS },
    );
    // ...then drops the ticker: nothing for 12 cycles, and nothing published after the lease.
    await pollUntil(
      'no price for 12 collector cycles',
      () => Date.now() - Date.parse(prices.at(-1)?.time ?? '') > 12 * CYCLE_MS,
      { timeoutMs: 30_000 },
    );
    const last = Date.parse(prices.at(-1)?.time ?? '');
    expect(last - unsubscribed, 'last price after the unsubscribe, ms').to.be.below(
      LEASE_MS + CYCLE_MS + SLACK_MS,
    );
    await observer.close();
  });
});
