/**
 * Read models under light load (`npm run bench -- read-models`): what the gateway, the embedded
 * MongoDB and the broker spend on a steady 200 `price.updated` events/s (the rate of the live
 * benchmark), with no client connected: the read-model projector's work only (and the live
 * queue's consumer, which has nobody to send to). The gateway with READ_MODEL_LINGER_MS at its
 * default beside READ_MODEL_LINGER_MS=0 (each delivery turn written on its own, as before the
 * linger: the baseline), ROUNDS interleaved rounds of SECONDS s, each on a fresh gateway process;
 * medians. CPU from /proc: the gateway process, this process (the embedded MongoDB and the
 * publisher), the broker (beam.smp). BENCH_READ_MODELS_CPU_PROF=<dir> runs each gateway with
 * --cpu-prof into <dir> (one profile per round and mode, the whole process life).
 */
import os from 'node:os';
import { createLogger } from '@tickwatch/infra/log';
import { createTestVhost, priceUpdated, testMessaging } from '@tickwatch/infra/messaging/testing';
import { startEmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import { startGatewayProcess } from './lib/gateway-process.ts';
import type { BenchReport } from './lib/report.ts';
import { median } from './lib/stats.ts';
import { brokerPid, processUsage } from './lib/process-usage.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATE = 200;
const TICKERS = 100;
const CPU_PROFILE_DIR = process.env.BENCH_READ_MODELS_CPU_PROF;

const cpuSeconds = (pid: number): number => processUsage(pid).cpu;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Round {
  readonly gateway: number;
  readonly mongoAndPublisher: number;
  readonly broker: number;
}

export default async function readModelsBench(): Promise<BenchReport> {
  const mongo = await startEmbeddedMongo({
    logger: createLogger({ name: 'mongo', level: 'silent' }),
  });
  const vhost = await createTestVhost('bench-read-models');
  const publisher = testMessaging(vhost.url, { heartbeatSeconds: 30 });
  const broker = brokerPid();
  const modes = { baseline: '0', default: undefined } as const;
  const rounds: Record<keyof typeof modes, Round[]> = { baseline: [], default: [] };
  const load: number[] = [];
  try {
    await publisher.start();
    let sent = 0;
    for (let r = 0; r < ROUNDS; r += 1) {
      for (const mode of ['baseline', 'default'] as const) {
        load.push(os.loadavg()[0] ?? NaN);
        const linger = modes[mode];
        const gateway = await startGatewayProcess({
          mongoUrl: mongo.uri,
          rabbitmqUrl: vhost.url,
          nodeOptions: CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [],
          env: linger === undefined ? {} : { READ_MODEL_LINGER_MS: linger },
        });
        try {
          await sleep(2_000); // start-up work (indexes, first connections) is not measured
          const pids = { gateway: gateway.child.process.pid ?? 0, bench: process.pid };
          const before = {
            gateway: cpuSeconds(pids.gateway),
            bench: cpuSeconds(pids.bench),
            broker: cpuSeconds(broker),
          };
          const started = performance.now();
          const inFlight: Promise<unknown>[] = [];
          for (let i = 0; i < RATE * SECONDS; i += 1) {
            const wait = started + (i * 1000) / RATE - performance.now();
            if (wait >= 1) await sleep(wait);
            sent += 1;
            inFlight.push(publisher.publish(priceUpdated(`T${i % TICKERS}`, 100 + sent / 1e4)));
          }
          await Promise.all(inFlight);
          await sleep(500); // the last linger window is written
          const seconds = (performance.now() - started) / 1000;
          const core = (pid: number, was: number) => (cpuSeconds(pid) - was) / seconds;
          rounds[mode].push({
            gateway: core(pids.gateway, before.gateway),
            mongoAndPublisher: core(pids.bench, before.bench),
            broker: core(broker, before.broker),
          });
        } finally {
          await gateway.child.stop();
        }
      }
    }
    load.push(os.loadavg()[0] ?? NaN);
    const row = (scenario: string, results: Round[]) => {
      const of = (figure: (r: Round) => number) => Math.round(median(results.map(figure)) * 100);
      const total = of((r) => r.gateway + r.mongoAndPublisher + r.broker);
      return {
        scenario,
        'gateway CPU %': of((r) => r.gateway),
        'gateway µs/event': Math.round((of((r) => r.gateway) / 100 / RATE) * 1e6),
        'MongoDB + publisher CPU %': of((r) => r.mongoAndPublisher),
        'broker CPU %': of((r) => r.broker),
        'all three CPU %': total,
      };
    };
    const each = (results: Round[]) =>
      results.map((r) => `${Math.round(r.gateway * 100)}`).join(', ');
    return {
      title: `read models: ${RATE} price.updated/s for ${SECONDS} s, no clients`,
      rows: [
        row('READ_MODEL_LINGER_MS=0: a write per delivery turn (baseline)', rounds.baseline),
        row('READ_MODEL_LINGER_MS default (50 ms)', rounds.default),
      ],
      notes: [
        `CPU % = % of one core over the publishing (and 0.5 s after), medians of ${ROUNDS} interleaved rounds, a fresh gateway process each; gateway CPU % per round: baseline ${each(rounds.baseline)}; default ${each(rounds.default)}`,
        `the embedded MongoDB runs in the benchmark's process with the publisher; the broker is the machine's RabbitMQ (everything else it does counts too)`,
        `load average (1 min) at each round's start and at the end: ${load.map((l) => l.toFixed(1)).join(', ')}`,
      ],
    };
  } finally {
    await publisher.close();
    await vhost.delete();
    await mongo.stop();
  }
}
