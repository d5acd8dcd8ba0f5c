/**
 * Where the messaging layer's time goes, with tracing off and on: the layer on the production
 * topology (exchange, work queue, `tickwatch.log` stream) publishing and consuming in this
 * process as in `npm run bench -- messaging`, under the CPU profiler for the runs only (not
 * start-up), alternately untraced and traced (the services' SDK exporting OTLP/HTTP protobuf
 * to a receiver in its own process, outside the profile, every span counted).
 *
 *   npx node bench/messaging-profile.ts [runs]
 *
 * Prints, per mode, self time by part (our layer, OpenTelemetry, amqplib, zod, Node, GC) and
 * the top functions, per message; writes both profiles to bench/results/profiles/ for a
 * closer look (Chrome DevTools, or `npx node bench/lib/cpu-profile.ts <file>`). The profiler
 * slows everything down: read the shares and the per-message differences, not the msg/s.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { createMessaging, tickwatchTopology } from '@tickwatch/infra/messaging';
import { createTestVhost } from '@tickwatch/infra/messaging/testing';
import { formatSummary, summarise, type CpuProfile } from './lib/cpu-profile.ts';
import { startOtlpSink } from './lib/otlp-sink.ts';
import { layerThroughput, MESSAGES, traced } from './messaging.bench.ts';

const runs = Number(process.argv[2] ?? 3);
process.env.LOG_LEVEL ??= 'silent';
const directory = path.join(import.meta.dirname, 'results', 'profiles');

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 500 });

/** Runs `work` under the profiler; the profiles of every call with the same `mode` add up. */
const profiles = new Map<string, CpuProfile[]>();
async function profiled<T>(mode: string, work: () => Promise<T>): Promise<T> {
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    profiles.set(mode, [...(profiles.get(mode) ?? []), profile as CpuProfile]);
  }
}

const vhost = await createTestVhost('bench-profile');
const sink = await startOtlpSink();
try {
  const topology = tickwatchTopology();
  const declaring = createMessaging({ url: vhost.url, service: 'bench', topology });
  await declaring.start();
  await declaring.close();
  const work = () => layerThroughput(vhost.url, topology);
  for (let run = 0; run < runs; run++) {
    const off = await profiled('untraced', work);
    // Start-up and the final flush of the SDK included: they are part of what tracing costs.
    const on = await profiled('traced', () => traced(sink.endpoint, work));
    console.log(
      `run ${run + 1}: untraced ${Math.round(off.msgPerSec)} msg/s, traced ${Math.round(on.msgPerSec)} msg/s (profiled)`,
    );
  }
  console.log(`spans received: ${await sink.spans()} of ${2 * MESSAGES * runs}\n`);
} finally {
  await sink.close();
  await vhost.delete();
  session.disconnect();
}

await mkdir(directory, { recursive: true });
const messages = MESSAGES * runs;
for (const [mode, list] of profiles) {
  const summary = summarise(list);
  console.log(`## ${mode}\n\n${formatSummary(summary, messages)}\n`);
  for (const [index, profile] of list.entries()) {
    await writeFile(
      path.join(directory, `messaging-${mode}-${index + 1}.cpuprofile`),
      JSON.stringify(profile),
    );
  }
}
console.log(`profiles in ${path.relative(process.cwd(), directory)}`);
