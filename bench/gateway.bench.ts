/**
 * Gateway benchmark (issue 9), `npm run bench -- gateway`.
 *
 * 1. `quote(ticker)` queries/s and p99 (autocannon, 50 connections, authenticated, the real
 *    read model: the quote answered from the gateway's memory) against a bare Apollo 5 +
 *    express 5 with the same schema resolving a constant (bench/gateway/bare-apollo.ts). Each
 *    server is a process of its own; ROUNDS rounds of ROUND_SECONDS, interleaved, medians. Only
 *    the ratio means anything on a shared machine. Floor 0.6×, goal 0.8×.
 * 2. createAlertRule mutations/s: each one validated, written with its rule.created event in
 *    one user-document write (outbox), relayed to RabbitMQ with confirms, answered.
 * The gateway runs as `node gateway/src/main.ts` on the embedded MongoDB (in this process) and a
 * vhost of its own on the local RabbitMQ.
 */
import autocannon from 'autocannon';
import { createLogger } from '@tickwatch/infra/log';
import { createTestVhost, priceUpdated, testMessaging } from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import { pollUntil } from '@tickwatch/infra/testing';
import { graphqlClient } from '../scripts/demo/graphql.ts';
import { startChild, type Child } from './lib/child.ts';
import { startGatewayProcess } from './lib/gateway-process.ts';
import type { BenchReport } from './lib/report.ts';
import { median } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 50;
const MUTATIONS = 1_500;
const USERS = 30;
const QUOTE_QUERY = JSON.stringify({
  query: '{ quote(ticker: "AAPL") { status quote { price currency marketTime } } }',
});

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error: Error | null, result) => {
      if (error) reject(error);
      else resolve(result);
    });
  });
}

export default async function gatewayBench(): Promise<BenchReport> {
  const mongo = await startEmbeddedMongo({
    logger: createLogger({ name: 'mongo', level: 'silent' }),
  });
  const vhost = await createTestVhost('bench-gateway');
  const children: Child[] = [];
  try {
    const gateway = await startGatewayProcess({
      mongoUrl: mongo.uri,
      rabbitmqUrl: vhost.url,
      env: { REGISTRATIONS_PER_IP_HOUR: '1000' },
    });
    children.push(gateway.child);
    const bare = await startChild(['bench/gateway/bare-apollo.ts'], {
      ready: (line) => /^port \d+$/.test(line),
    });
    children.push(bare);
    const bareUrl = `http://127.0.0.1:${bare.line.slice('port '.length)}/graphql`;

    const tokens: string[] = [];
    for (let i = 0; i < USERS; i += 1) {
      const { register } = await graphqlClient(gateway.url).request<{
        register: { accessToken: string };
      }>(
        'mutation ($e: String!) { register(email: $e, password: "benchmark password 1") { accessToken } }',
        { e: `bench-${i}-${Date.now()}@example.com` },
      );
      tokens.push(register.accessToken);
    }
    const publisher = testMessaging(vhost.url);
    await publisher.start();
    await publisher.publish(priceUpdated('AAPL', 201.37, new Date()));
    await publisher.close();
    await pollUntil('the AAPL quote in the gateway', async () => {
      const { quote } = await graphqlClient(gateway.url, tokens[0]).request<{
        quote: { status: string };
      }>('{ quote(ticker: "AAPL") { status } }');
      return quote.status === 'AVAILABLE';
    });

    const quoteRound = (url: string, token?: string) =>
      run({
        url,
        method: 'POST',
        connections: CONNECTIONS,
        duration: ROUND_SECONDS,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: QUOTE_QUERY,
      });
    const bareRuns: autocannon.Result[] = [];
    const gatewayRuns: autocannon.Result[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      bareRuns.push(await quoteRound(bareUrl));
      gatewayRuns.push(await quoteRound(gateway.url, tokens[0]));
    }
    const failures = gatewayRuns.reduce((n, r) => n + r.non2xx + r.errors, 0);
    const bareRps = median(bareRuns.map((r) => r.requests.average));
    const gatewayRps = median(gatewayRuns.map((r) => r.requests.average));

    let next = 0;
    const mutations = await run({
      url: gateway.url,
      method: 'POST',
      connections: 20,
      amount: MUTATIONS,
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (request) => {
            next += 1;
            return {
              ...request,
              headers: { ...request.headers, authorization: `Bearer ${tokens[next % USERS]}` },
              body: JSON.stringify({
                query: `mutation { createAlertRule(input: { ticker: "T${next % 500}", condition: { above: { threshold: ${1 + (next % 97)} } } }) { id } }`,
              }),
            };
          },
        },
      ],
    });

    return {
      title: 'gateway: quote(ticker) vs bare Apollo, createAlertRule with the outbox',
      rows: [
        {
          scenario: 'bare Apollo 5 + express 5, constant (baseline)',
          'req/s': Math.round(bareRps),
          'p99 ms': median(bareRuns.map((r) => r.latency.p99)),
          'vs bare': 1,
        },
        {
          scenario: 'gateway quote(ticker), authenticated, from memory',
          'req/s': Math.round(gatewayRps),
          'p99 ms': median(gatewayRuns.map((r) => r.latency.p99)),
          'vs bare': Math.round((gatewayRps / bareRps) * 100) / 100,
        },
        {
          scenario: 'gateway createAlertRule (validate, one write + outbox, relay)',
          'req/s': Math.round(mutations.requests.average),
          'p99 ms': mutations.latency.p99,
          'vs bare': '',
        },
      ],
      notes: [
        `${ROUNDS} interleaved rounds of ${ROUND_SECONDS} s, ${CONNECTIONS} connections, medians; each server its own process, autocannon in the bench process`,
        `non-2xx or errors during the gateway rounds: ${failures}; createAlertRule: ${MUTATIONS} mutations over 20 connections and ${USERS} users, non-2xx ${mutations.non2xx}`,
        'the embedded MongoDB runs in the bench process (each createAlertRule is one document write plus the relay removing the entry)',
        'floor 0.6x, goal 0.8x of bare Apollo; on a shared machine re-measure before quoting',
      ],
    };
  } finally {
    for (const child of children) await child.stop();
    await vhost.delete();
    await mongo.stop();
  }
}
