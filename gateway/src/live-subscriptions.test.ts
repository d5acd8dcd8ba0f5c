import { randomUUID } from 'node:crypto';
import { createEvent, deliveryId, derivedEventId, EventType } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { priceUpdated } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { decodeJwt, SignJWT } from 'jose';
import WebSocket from 'ws';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from './auth/access-tokens.ts';
import { topics } from './live/live-hub.ts';
import { liveClient, wsUrl, type LiveClient } from './testing/live-client.ts';
import { startTestGateway, type TestGateway, type TestUser } from './testing/harness.ts';

const SOURCE = { source: 'tickwatch/test' };

interface Lease {
  readonly ticker: string;
  readonly holder: string;
  readonly expiresAt: string;
}
const leaseOf = (event: { data: unknown }) => event.data as Lease;
const QUOTE_FIELDS =
  'ticker price currency marketState marketTime previousClose change changePercent';
const SUBSCRIPTIONS_PER_CONNECTION = 20;

/** The error a promise rejects with (a subscription refused, a socket closed). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function token(
  key: string,
  claims: { sub: string; sid: string; exp: number; iat?: number },
): Promise<string> {
  return new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000) - 5)
    .setExpirationTime(claims.exp)
    .sign(new TextEncoder().encode(key));
}

function alertFor(userId: string, ruleId: string) {
  const alertId = derivedEventId(EventType.alertTriggered, [ruleId, 1, 1]);
  return createEvent(
    EventType.alertTriggered,
    { ...exampleData[EventType.alertTriggered], alertId, ruleId, userId },
    { source: SOURCE.source, id: alertId },
  );
}

function sentTo(userId: string, alertId: string) {
  return createEvent(
    EventType.notificationSent,
    {
      ...exampleData[EventType.notificationSent],
      deliveryId: deliveryId(alertId, 'EMAIL'),
      alertId,
      userId,
    },
    SOURCE,
  );
}

/** A sample of the gateway's /metrics (0 when absent). */
async function metric(gw: TestGateway, sample: string): Promise<number> {
  const text = await (await fetch(`${gw.opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** The gateway's count of connections it closed as slow. */
const slowCloses = (gw: TestGateway) =>
  metric(gw, 'tickwatch_gateway_live_connection_closes_total{reason="slow_client"}');

describe('live subscriptions (graphql-ws on /graphql, real broker)', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;
  let clients: LiveClient[] = [];
  const live = (...args: Parameters<typeof liveClient>): LiveClient => {
    const client = liveClient(...args);
    clients.push(client);
    return client;
  };
  const subscribers = (topic: string) => gw.gateway.services.live.count(topic);
  const waitForSubscribers = (topic: string, count: number) =>
    pollUntil(`${count} subscribers of ${topic}`, () => subscribers(topic) === count);

  before(async () => {
    gw = await startTestGateway({
      env: {
        LIVE_CONNECTIONS_PER_USER: '3',
        LIVE_MAX_SUBSCRIPTIONS: String(SUBSCRIPTIONS_PER_CONNECTION),
        LIVE_MAX_LAG_SECONDS: '2',
        INTEREST_LEASE: '2s',
      },
      // The slow client must be able to read its close frame once it reads again.
      overrides: { live: { closeGraceMs: 60_000 } },
    });
    alice = await gw.register('alice');
    bob = await gw.register('bob');
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    clients = [];
  });
  after(async () => {
    await gw.stop();
  });

  it('pushes a price.updated from the broker as the Quote the quote query returns', async () => {
    const client = live(gw.url, alice.accessToken);
    const prices = client.subscribe<{ priceUpdated: Record<string, unknown> }>(
      `subscription { priceUpdated(tickers: ["aapl", "MSFT", "AAPL"]) { ${QUOTE_FIELDS} } }`,
    );
    await waitForSubscribers(topics.price('AAPL'), 1);
    expect(subscribers(topics.price('MSFT'))).to.equal(1);

    await gw.messaging.publish(priceUpdated('AAPL', 201.5, new Date()));
    const pushed = (await prices.next()).data!.priceUpdated;
    expect(pushed).to.include({ ticker: 'AAPL', price: 201.5, currency: 'USD' });

    const queried = await pollUntil('the same quote from the query', async () => {
      const answer = await gw.gql<{ quote: { quote: Record<string, unknown> | null } }>(
        `{ quote(ticker: "AAPL") { quote { ${QUOTE_FIELDS} } } }`,
        {},
        alice.accessToken,
      );
      return answer.data?.quote.quote?.price === 201.5 && answer.data.quote.quote;
    });
    expect(pushed).to.deep.equal(queried);

    await prices.stop();
    await waitForSubscribers(topics.price('AAPL'), 0);
  });

  it('runs each distinct document once per event; each subscriber gets its own selection and id', async () => {
    const one = live(gw.url, alice.accessToken);
    const other = live(gw.url, bob.accessToken);
    const priceOnly = 'subscription { priceUpdated(tickers: ["SHARED"]) { price } }';
    const byVariable =
      'subscription ($t: [String!]!) { priceUpdated(tickers: $t) { ticker currency } }';
    const streams = [
      one.subscribe<{ priceUpdated: object }>(priceOnly),
      one.subscribe<{ priceUpdated: object }>(byVariable, { t: ['shared'] }),
      other.subscribe<{ priceUpdated: object }>(priceOnly),
      other.subscribe<{ priceUpdated: object }>(byVariable, { t: ['SHARED', 'ELSE'] }),
    ];
    await waitForSubscribers(topics.price('SHARED'), 4);
    const executions = () => metric(gw, 'tickwatch_gateway_live_executions_total');
    const before = await executions();

    await gw.messaging.publish(priceUpdated('SHARED', 12.5, new Date()));
    const pushed = await Promise.all(streams.map(async (s) => (await s.next()).data));
    expect(pushed).to.deep.equal([
      { priceUpdated: { price: 12.5 } },
      { priceUpdated: { ticker: 'SHARED', currency: 'USD' } },
      { priceUpdated: { price: 12.5 } },
      { priceUpdated: { ticker: 'SHARED', currency: 'USD' } },
    ]);
    // Three distinct (document, variables): the two price-only subscribers share one run.
    expect((await executions()) - before).to.equal(3);
  });

  it("pushes each of a ticker's averages in an averages.updated as the MovingAverage movingAverages returns", async () => {
    const client = live(gw.url, alice.accessToken);
    const averages = client.subscribe<{ movingAverageUpdated: Record<string, unknown> }>(
      'subscription { movingAverageUpdated(ticker: "nvda") { ticker windowMinutes average previousAverage sampleCount marketTime } }',
    );
    await waitForSubscribers(topics.average('NVDA'), 1);
    const marketTime = new Date().toISOString();
    const average = (ticker: string, windowMinutes: 5 | 10 | 15) => ({
      ticker,
      windowMinutes,
      average: 100 + windowMinutes,
      previousAverage: 99,
      sampleCount: windowMinutes,
      marketTime,
    });
    // One batch's averages: another ticker's in between, which this subscriber never sees.
    const batch = [average('NVDA', 5), average('AMD', 5), average('NVDA', 10)];
    await gw.messaging.publish(createEvent(EventType.averagesUpdated, { averages: batch }, SOURCE));
    expect((await averages.next()).data!.movingAverageUpdated).to.deep.equal(batch[0]);
    expect((await averages.next()).data!.movingAverageUpdated).to.deep.equal(batch[2]);
  });

  it('refuses tickers the way the queries do', async () => {
    const client = live(gw.url, alice.accessToken);
    const none = await client
      .subscribe('subscription { priceUpdated(tickers: []) { price } }')
      .next();
    expect(none.errors?.[0]?.extensions).to.include({ code: 'BAD_USER_INPUT', field: 'tickers' });
    const bad = await client
      .subscribe('subscription { priceUpdated(tickers: ["AAPL", "no ticker!"]) { price } }')
      .next();
    expect(bad.errors?.[0]?.extensions).to.include({ code: 'BAD_USER_INPUT', field: 'tickers.1' });
  });

  it("sends a user's alerts and deliveries to that user only, whatever another names", async () => {
    const a = live(gw.url, alice.accessToken);
    const b = live(gw.url, bob.accessToken);
    const aliceAlerts = a.subscribe<{ alertTriggered: { id: string; ruleId: string } }>(
      'subscription { alertTriggered { id ruleId ticker price condition { type } deliveries { id } } }',
    );
    const bobAlerts = b.subscribe<{ alertTriggered: { id: string } }>(
      'subscription { alertTriggered { id ruleId } }',
    );
    const bobDeliveries = b.subscribe<{ notificationUpdated: { id: string; alertId: string } }>(
      'subscription { notificationUpdated { id alertId channel status attempts } }',
    );
    await waitForSubscribers(topics.alerts(alice.id), 1);
    await waitForSubscribers(topics.alerts(bob.id), 1);
    await waitForSubscribers(topics.deliveries(bob.id), 1);

    const aliceRule = randomUUID();
    const forAlice = alertFor(alice.id, aliceRule);
    const forBob = alertFor(bob.id, randomUUID());
    // Bob cannot name Alice anywhere: the subscriptions take no user, rule or alert id.
    const naming = await rejection(
      b.subscribe(`subscription { alertTriggered(ruleId: "${aliceRule}") { id } }`).next(),
    );
    expect(JSON.stringify(naming)).to.contain('Unknown argument');

    // One ordered queue: Alice's events come first, so Bob's first update proves he got none of hers.
    await gw.messaging.publish(forAlice);
    await gw.messaging.publish(sentTo(alice.id, forAlice.data.alertId));
    await gw.messaging.publish(forBob);
    await gw.messaging.publish(sentTo(bob.id, forBob.data.alertId));

    const aliceGot = (await aliceAlerts.next()).data!.alertTriggered;
    expect(aliceGot).to.include({ id: forAlice.data.alertId, ruleId: aliceRule });
    expect((await bobAlerts.next()).data!.alertTriggered.id).to.equal(forBob.data.alertId);
    expect((await bobDeliveries.next()).data!.notificationUpdated).to.deep.include({
      id: deliveryId(forBob.data.alertId, 'EMAIL'),
      alertId: forBob.data.alertId,
    });
  });

  it('refuses a missing (4401), forged or expired (4403) token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { sid } = decodeJwt(alice.accessToken) as { sid: string };
    const cases: [string | null, number][] = [
      [null, 4401],
      ['not-a-jwt', 4401],
      [
        await token('a-forged-key-that-is-long-enough-to-sign', {
          sub: alice.id,
          sid,
          exp: now + 600,
        }),
        4403,
      ],
      [
        await token(gw.config.AUTH_TOKEN_KEY, { sub: alice.id, sid, exp: now - 1, iat: now - 100 }),
        4403,
      ],
    ];
    for (const [accessToken, code] of cases) {
      const client = live(gw.url, accessToken);
      await rejection(client.subscribe('subscription { alertTriggered { id } }').next());
      expect(client.closes, String(accessToken)).to.deep.equal([code]);
    }
    expect(subscribers(topics.alerts(alice.id))).to.equal(0);
  });

  it('closes a connection when its token expires (4403); the client resumes with a fresh token', async () => {
    const { sid } = decodeJwt(alice.accessToken) as { sid: string };
    const expiring = await token(gw.config.AUTH_TOKEN_KEY, {
      sub: alice.id,
      sid,
      exp: Math.floor(Date.now() / 1000) + 2,
    });
    let tokensGiven = 0;
    const client = live(
      gw.url,
      () => {
        tokensGiven += 1;
        return tokensGiven === 1 ? expiring : alice.accessToken;
      },
      { retryAttempts: 3, retryWait: () => Promise.resolve() },
    );
    const prices = client.subscribe<{ priceUpdated: { price: number } }>(
      'subscription { priceUpdated(tickers: ["EXPIRY"]) { price } }',
    );
    await waitForSubscribers(topics.price('EXPIRY'), 1);
    await pollUntil('the close of the expired connection', () => client.closes.length === 1);
    expect(client.closes).to.deep.equal([4403]);
    await pollUntil('a second connection_init', () => client.inits() === 2);
    await waitForSubscribers(topics.price('EXPIRY'), 1);
    await gw.messaging.publish(priceUpdated('EXPIRY', 12.5, new Date()));
    expect((await prices.next()).data!.priceUpdated.price).to.equal(12.5);
  });

  it('applies the HTTP limits and its own: aliases, operation type, subscriptions, connections, message size', async () => {
    const client = live(gw.url, bob.accessToken);
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ');
    const tooMany = await rejection(
      client.subscribe(`subscription { alertTriggered { ${aliases} } }`).next(),
    );
    expect(JSON.stringify(tooMany)).to.match(/alias/i);
    const query = await rejection(client.subscribe('{ ping { version } }').next());
    expect(JSON.stringify(query)).to.contain('only subscriptions');

    const open = Array.from({ length: SUBSCRIPTIONS_PER_CONNECTION }, (_, i) =>
      client.subscribe(`subscription { priceUpdated(tickers: ["LIM${i}"]) { price } }`),
    );
    await waitForSubscribers(topics.price(`LIM${SUBSCRIPTIONS_PER_CONNECTION - 1}`), 1);
    const overLimit = await rejection(
      client.subscribe('subscription { priceUpdated(tickers: ["LIMX"]) { price } }').next(),
    );
    expect(JSON.stringify(overLimit)).to.contain(`at most ${SUBSCRIPTIONS_PER_CONNECTION}`);
    await Promise.all(open.map((s) => s.stop()));

    const more = Array.from({ length: 3 }, () => live(gw.url, bob.accessToken));
    more.forEach((c) => c.subscribe('subscription { alertTriggered { id } }'));
    await waitForSubscribers(topics.alerts(bob.id), 3);
    const fourth = live(gw.url, bob.accessToken);
    await rejection(fourth.subscribe('subscription { alertTriggered { id } }').next());
    expect(fourth.closes).to.deep.equal([1008]);

    const big = live(gw.url, alice.accessToken);
    await rejection(
      big.subscribe(`subscription { alertTriggered { id } } # ${'x'.repeat(100_000)}`).next(),
    );
    expect(big.closes).to.deep.equal([1009]);
  });

  it('closes a client that stops reading (4008) while another gets the newest prices in order', async () => {
    const tickers = Array.from({ length: 50 }, (_, i) => `SLOW${i}`);
    const slow = new WebSocket(wsUrl(gw.url), 'graphql-transport-ws');
    const slowClosed = new Promise<number>((resolve) => slow.once('close', resolve));
    await new Promise((resolve, reject) => {
      slow.once('open', resolve);
      slow.once('error', reject);
    });
    const acked = new Promise((resolve) => slow.once('message', resolve));
    slow.send(
      JSON.stringify({ type: 'connection_init', payload: { accessToken: bob.accessToken } }),
    );
    await acked;
    const everything = `subscription ($t: [String!]!) { priceUpdated(tickers: $t) { ${QUOTE_FIELDS} exchange exchangeTimeZone delayMinutes dayLow dayHigh volume source publishedAt } }`;
    for (let id = 0; id < SUBSCRIPTIONS_PER_CONNECTION; id += 1) {
      slow.send(
        JSON.stringify({
          id: String(id),
          type: 'subscribe',
          payload: { query: everything, variables: { t: tickers } },
        }),
      );
    }
    await waitForSubscribers(topics.price('SLOW0'), SUBSCRIPTIONS_PER_CONNECTION);

    const fast = live(gw.url, alice.accessToken);
    const fastPrices = fast.subscribe<{ priceUpdated: { price: number } }>(
      'subscription { priceUpdated(tickers: ["SLOW0"]) { price } }',
    );
    await waitForSubscribers(topics.price('SLOW0'), SUBSCRIPTIONS_PER_CONNECTION + 1);
    const seen: number[] = [];
    const reading = { on: true };
    const reader = (async () => {
      while (reading.on) seen.push((await fastPrices.next()).data!.priceUpdated.price);
    })();

    slow.pause();
    const closedBefore = await slowCloses(gw);
    const base = Date.now() - 3_600_000;
    let round = 0;
    const publishRound = async () => {
      round += 1;
      await Promise.all(
        tickers.map((ticker) =>
          gw.messaging.publish(priceUpdated(ticker, round, new Date(base + round * 1000))),
        ),
      );
    };
    while (round < 400 && (await slowCloses(gw)) === closedBefore) await publishRound();
    expect(await slowCloses(gw), 'the slow client was closed').to.equal(closedBefore + 1);

    await publishRound();
    const last = round;
    await pollUntil('the newest price at the fast client', () => seen.at(-1) === last, {
      timeoutMs: 30_000,
    });
    reading.on = false;
    expect(seen, 'never an older price after a newer one').to.deep.equal(
      [...seen].sort((x, y) => x - y),
    );
    expect(new Set(seen).size).to.equal(seen.length);
    expect(fast.closes).to.deep.equal([]);

    slow.resume();
    expect(await slowClosed).to.equal(4008);
    await fastPrices.stop();
    await reader.catch(() => undefined);
  });

  it('holds an interest lease while a ticker is subscribed, and lets it run out after', async () => {
    const holder = `gateway:${gw.gateway.instanceId}`;
    const leases = () =>
      gw.eventsOf(
        EventType.interestRenewed,
        (e) => leaseOf(e).ticker === 'LEASED' && leaseOf(e).holder === holder,
      );
    const client = live(gw.url, alice.accessToken);
    const prices = client.subscribe('subscription { priceUpdated(tickers: ["LEASED"]) { price } }');
    await pollUntil('a renewed lease', () => leases().length >= 2);
    await prices.stop();
    await waitForSubscribers(topics.price('LEASED'), 0);
    const renewals = leases().length;
    const lastExpiry = Math.max(...leases().map((o) => Date.parse(leaseOf(o.event).expiresAt)));
    await new Promise((resolve) => setTimeout(resolve, lastExpiry - Date.now() + 1_000));
    expect(leases().length, 'no renewal after the last subscriber left').to.be.at.most(renewals);

    const answer = await gw.gql<{ quote: { status: string; quote: null } }>(
      '{ quote(ticker: "NOBODY") { status quote { price } } }',
      {},
      alice.accessToken,
    );
    expect(answer.data!.quote).to.deep.equal({ status: 'PENDING', quote: null });
    const lease = await gw.waitForEvent(
      EventType.interestRenewed,
      (e) => leaseOf(e).ticker === 'NOBODY',
    );
    const length = Date.parse(leaseOf(lease.event).expiresAt) - Date.now();
    expect(length, 'a short lease for a quote').to.be.below(5 * 60_000);
  });

  it('tells its clients 1012 when it stops; they reconnect to it restarted and resume', async () => {
    const client = live(gw.url, alice.accessToken, {
      retryAttempts: 200,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 100)),
      // While the gateway is down, Node's ws reports a refused connection as an error event.
      shouldRetry: () => true,
    });
    const prices = client.subscribe<{ priceUpdated: { price: number } }>(
      'subscription { priceUpdated(tickers: ["RESTART"]) { price } }',
    );
    await waitForSubscribers(topics.price('RESTART'), 1);
    await gw.restart();
    expect(client.closes[0]).to.equal(1012);
    await pollUntil(
      'the subscription on the restarted gateway',
      () => subscribers(topics.price('RESTART')) === 1,
      { timeoutMs: 30_000 },
    );
    await gw.messaging.publish(priceUpdated('RESTART', 99, new Date()));
    expect((await prices.next()).data!.priceUpdated.price).to.equal(99);
  });
});
