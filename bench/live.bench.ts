/**
 * Live subscriptions benchmark (issue 13), `npm run bench -- live`.
 *
 * One gateway process (`node gateway/src/main.ts`); CLIENTS WebSocket clients in
 * CLIENT_PROCESSES processes of their own (so the gateway's CPU is its own), client i
 * subscribed to `priceUpdated` of ticker T<i mod 100>; RATE `price.updated` events/s on the
 * broker for SECONDS s, round-robin over the 100 tickers. Measured: event time → client arrival
 * latency (p50/p99/max), messages delivered and missing, gateway RSS per connection and CPU.
 * Baseline, same run, same clients and events: a bare `ws` server broadcasting each event's JSON
 * from a live queue of its own (bench/live/bare-ws.ts). ROUNDS rounds, the two servers
 * interleaved, fresh clients each round; the table gives each figure's median over the rounds.
 * The issue asks for 10,000 clients and 30 s (the defaults); BENCH_LIVE_CLIENTS and
 * BENCH_SECONDS scale it. BENCH_LIVE_CPU_PROF=<dir> runs the gateway with --cpu-prof into <dir>.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createLogger } from '@tickwatch/infra/log';
import { createTestVhost, priceUpdated, testMessaging } from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import { graphqlClient } from '../scripts/demo/graphql.ts';
import { startChild, type Child } from './lib/child.ts';
import { startGatewayProcess } from './lib/gateway-process.ts';
import type { BenchReport } from './lib/report.ts';

const CLIENTS = Number(process.env.BENCH_LIVE_CLIENTS ?? 10_000);
const CLIENT_PROCESSES = Number(process.env.BENCH_LIVE_PROCESSES ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CPU_PROFILE_DIR = process.env.BENCH_LIVE_CPU_PROF;
const RATE = 200;
const TICKERS = 100;

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
function usage(pid: number): { cpu: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return { cpu: ticks / 100, rss: rssPages * 4096 };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

type Round = Awaited<ReturnType<typeof round>>;

async function round(options: {
  readonly mode: 'graphql' | 'bare';
  readonly url: string;
  readonly token: string;
  readonly serverPid: number;
  /** The server's RSS before any client connected, bytes. */
  readonly idleRss: number;
  readonly publish: (ticker: string, price: number) => Promise<unknown>;
}) {
  const connecting = Date.now();
  const perProcess = Math.ceil(CLIENTS / CLIENT_PROCESSES);
  const clients = await Promise.all(
    Array.from({ length: CLIENT_PROCESSES }, (_, p) =>
      startChild(
        [
          'bench/live/clients.ts',
          options.mode,
          options.url,
          String(Math.min(perProcess, CLIENTS - p * perProcess)),
          String(TICKERS),
          options.token,
        ],
        { ready: (line) => line === 'ready', stdin: true },
      ),
    ),
  );
  const connectSeconds = (Date.now() - connecting) / 1000;
  // graphql-ws has no acknowledgement of a subscribe: give the last ones time to arrive.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const subscribed = usage(options.serverPid);
  let sent = 0;
  const startedAt = Date.now();
  const total = RATE * SECONDS;
  const inFlight: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.floor(((Date.now() - startedAt) / 1000) * RATE);
    while (sent < Math.min(due, total)) {
      inFlight.push(options.publish(`T${sent % TICKERS}`, 100 + sent / 1000));
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(inFlight);
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // the last ones arrive
  const ended = usage(options.serverPid);
  const results = await Promise.all(
    clients.map(async (client) => {
      client.process.stdin?.end();
      const line = await client.nextLine();
      await client.stop();
      return JSON.parse(line ?? 'null') as {
        latencies: number[];
        closes: Record<string, number>;
        refused: number;
      };
    }),
  );
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const closesByCode = new Map<string, number>();
  for (const [code, count] of results.flatMap((r) => Object.entries(r.closes)))
    closesByCode.set(code, (closesByCode.get(code) ?? 0) + count);
  // "none", or "4008×12 1006×1": the round's closes summed over its client processes.
  const closes =
    [...closesByCode].map(([code, count]) => `${code}×${String(count)}`).join(' ') || 'none';
  const refused = results.reduce((n, r) => n + r.refused, 0);
  const expected = total * (CLIENTS / TICKERS);
  return {
    delivered: latencies.length,
    missing: expected - latencies.length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? NaN,
    rssPerConnectionKiB: Math.round((subscribed.rss - options.idleRss) / CLIENTS / 1024),
    cpuPercent: Math.round(
      ((ended.cpu - subscribed.cpu) / ((Date.now() - startedAt) / 1000)) * 100,
    ),
    closes,
    refused,
    connectSeconds,
  };
}

export default async function liveBench(): Promise<BenchReport> {
  const mongo = await startEmbeddedMongo({
    logger: createLogger({ name: 'mongo', level: 'silent' }),
  });
  const vhost = await createTestVhost('bench-live');
  const children: Child[] = [];
  const publisher = testMessaging(vhost.url);
  try {
    const profile = CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [];
    const gateway = await startGatewayProcess({
      mongoUrl: mongo.uri,
      rabbitmqUrl: vhost.url,
      nodeOptions: profile,
      env: {
        LIVE_CONNECTIONS_PER_USER: String(CLIENTS),
        LIVE_CONNECTIONS_PER_IP: String(CLIENTS),
        // The lag limit would close clients of a machine too busy to keep up: measure them.
        LIVE_MAX_LAG_SECONDS: '3600',
      },
    });
    children.push(gateway.child);
    const bare = await startChild(['bench/live/bare-ws.ts', vhost.url], {
      ready: (line) => line.startsWith('port '),
    });
    children.push(bare);

    const { register } = await graphqlClient(gateway.url).request<{
      register: { accessToken: string };
    }>(
      'mutation ($e: String!) { register(email: $e, password: "benchmark password 1") { accessToken } }',
      { e: `live-${Date.now()}@example.com` },
    );
    const token = register.accessToken;
    await publisher.start();
    const publish = (ticker: string, price: number) =>
      publisher.publish(priceUpdated(ticker, price, new Date()));

    const servers = {
      graphql: {
        url: gateway.url.replace(/^http/, 'ws'),
        pid: gateway.child.process.pid ?? 0,
        idleRss: usage(gateway.child.process.pid ?? 0).rss,
      },
      bare: {
        url: `ws://127.0.0.1:${bare.line.slice('port '.length)}`,
        pid: bare.process.pid ?? 0,
        idleRss: usage(bare.process.pid ?? 0).rss,
      },
    };
    const rounds: Record<'graphql' | 'bare', Round[]> = { graphql: [], bare: [] };
    const load: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      for (const mode of ['bare', 'graphql'] as const) {
        load.push(os.loadavg()[0] ?? NaN);
        const server = servers[mode];
        rounds[mode].push(
          await round({
            mode,
            url: server.url,
            token,
            serverPid: server.pid,
            idleRss: server.idleRss,
            publish,
          }),
        );
      }
    }
    load.push(os.loadavg()[0] ?? NaN);
    const row = (scenario: string, results: Round[]) => {
      const of = (figure: (r: Round) => number) => median(results.map(figure));
      return {
        scenario,
        'p50 ms': of((r) => r.p50),
        'p99 ms': of((r) => r.p99),
        'max ms': of((r) => r.max),
        delivered: of((r) => r.delivered),
        missing: of((r) => r.missing),
        'RSS/conn KiB': of((r) => r.rssPerConnectionKiB),
        'CPU %': of((r) => r.cpuPercent),
        refused: of((r) => r.refused),
        'connect s': Math.round(of((r) => r.connectSeconds) * 10) / 10,
      };
    };
    const each = (results: Round[]) =>
      results.map((r) => `${r.p50}/${r.p99}/${r.max} ms, missing ${r.missing}`).join('; ');
    return {
      title: `live: ${CLIENTS.toLocaleString('en-US')} subscribers, ${RATE} price.updated/s for ${SECONDS} s`,
      rows: [
        row('bare ws broadcast from a live queue (baseline)', rounds.bare),
        row('gateway priceUpdated over graphql-ws', rounds.graphql),
      ],
      notes: [
        `${CLIENTS} clients in ${CLIENT_PROCESSES} processes, client i on ticker T<i mod ${TICKERS}>; latency = event time (publisher) → arrival at the client; medians of ${ROUNDS} interleaved rounds`,
        `rounds p50/p99/max: gateway ${each(rounds.graphql)}; bare ${each(rounds.bare)}`,
        `load average (1 min) at each round's start and at the end: ${load.map((l) => l.toFixed(1)).join(', ')}`,
        `missing = events × subscribers of their ticker − delivered once every client was quiet for 1 s, at most 30 s after the last publish (coalesced, lost, or of refused clients); refused = clients that could not connect or subscribe; RSS/conn = (server RSS with the clients subscribed − its RSS before the first round) / clients; closes by code per round: gateway ${rounds.graphql.map((r) => r.closes).join(', ')}; bare ${rounds.bare.map((r) => r.closes).join(', ')}`,
        'floor: p99 < 100 ms with nothing missing for clients that keep up; goal p99 < 20 ms',
      ],
    };
  } finally {
    await publisher.close();
    for (const child of children) await child.stop();
    await vhost.delete();
    await mongo.stop();
  }
}
