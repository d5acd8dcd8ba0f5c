/**
 * Messaging benchmark (issue 5): bare amqplib against this layer, in one run on one broker.
 *
 * Throughput: N messages of 1 KB published to a quorum queue with a confirm channel,
 * persistent, at most 1,000 unconfirmed, and consumed with prefetch 100 and one ack each;
 * msg/s from the first publish to the last ack. The layer does the same through
 * `messaging.publish` (zod validation, envelope→properties, mandatory + return correlation,
 * confirms) and `messaging.consume` (decode, validation, dispatch by type, ack). ROUNDS
 * rounds, interleaved, median reported. Two topologies, each in its own vhost: the tickwatch
 * topology without the event log stream, and the production one (exchange, work queue and the
 * `tickwatch.log` stream every message is also written to), where raw amqplib publishes the
 * same bytes with the same properties: the comparison that matters (issue 17). Tracing on
 * (the SDK as services run it, exporting OTLP/HTTP protobuf to a receiver in its own process,
 * which counts every span) against off, on the production topology (issue 8). Raw amqplib writes each frame to the socket on its own;
 * the layer's adapter coalesces a turn's writes (amqplib-adapter.ts), which a note says.
 *
 * Latency: publish→consume at a fixed 1,000 msg/s for 5 s (first 500 discarded), p50/p99.
 */
import { performance } from 'node:perf_hooks';
import amqplib from 'amqplib';
import { createEvent, EventType, QUEUES, type TickwatchEvent } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import mongoose, { Schema } from 'mongoose';
import { createLogger } from '@tickwatch/infra/log';
import { createMessaging, tickwatchTopology, type Topology } from '@tickwatch/infra/messaging';
import { insertOnce } from '@tickwatch/infra/messaging/idempotency';
import { startEmbeddedMongo } from '@tickwatch/infra/mongo/embedded';
import { createTestVhost } from '@tickwatch/infra/messaging/testing';
import { context, propagation, trace } from '@opentelemetry/api';
import { startTracing } from '../infra/src/telemetry/tracing.ts';
import { pollUntil } from '@tickwatch/infra/testing';
import { startOtlpSink } from './lib/otlp-sink.ts';
import type { BenchReport } from './lib/report.ts';

export const MESSAGES = 20_000;
const ROUNDS = 5;
const WINDOW = 1_000;
const PREFETCH = 100;
const BODY_BYTES = 1_024;
const LATENCY_RATE = 1_000;
const LATENCY_SECONDS = 5;
const QUEUE = QUEUES.gatewayReadModels;

interface Measured {
  readonly msgPerSec: number;
  /** This process's CPU (user + system) per message: publisher and consumer together. */
  readonly cpuMicros: number;
}

/** Runs `work` (which moves MESSAGES messages) and measures wall time and this process's CPU. */
async function measure(work: () => Promise<void>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { msgPerSec: MESSAGES / seconds, cpuMicros: (used.user + used.system) / MESSAGES };
}

/** One way of publishing, driven by `publishWindowed`. */
interface Sender {
  /** Sends message `index`; calls `confirmed` once the broker confirmed it. False: await `drained`. */
  send(index: number, confirmed: () => void): boolean;
  drained(): Promise<void>;
}

/** Sends MESSAGES messages with at most WINDOW awaiting their confirm: the same pump for both. */
async function publishWindowed(sender: Sender): Promise<void> {
  let sent = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const confirmed = (): void => {
    inFlight -= 1;
    wake?.();
    wake = undefined;
  };
  while (sent < MESSAGES) {
    if (inFlight >= WINDOW) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    inFlight += 1;
    sent += 1;
    if (!sender.send(sent, confirmed)) await sender.drained();
  }
}

/** Resolves after the `count`-th call of `arrived`; rejects on `fail` (a lost or refused message). */
function arrivals(count: number): {
  arrived: () => void;
  fail: (error: unknown) => void;
  all: Promise<void>;
} {
  let seen = 0;
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const all = new Promise<void>((done, failed) => {
    resolve = done;
    reject = failed;
  });
  return {
    arrived: () => {
      if (++seen === count) resolve();
    },
    fail: reject,
    all,
  };
}
interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
}

/**
 * A valid 1 KB event: notification.failed with its free-text reason padded to the size.
 * (Not a user.* event: their time-zone check costs ~100 µs per validation, see the notes.)
 */
function oneKilobyteEvent(): TickwatchEvent {
  const make = (pad: number) =>
    createEvent(
      EventType.notificationFailed,
      { ...exampleData[EventType.notificationFailed], reason: 'x'.repeat(pad) },
      { source: 'tickwatch/bench' },
    );
  const overhead = Buffer.byteLength(JSON.stringify(make(0)));
  return make(BODY_BYTES - overhead);
}

function withFreshId(event: TickwatchEvent): TickwatchEvent {
  return { ...event, id: crypto.randomUUID() };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summarise(latencies: number[]): Latency {
  const kept = latencies.slice(500).sort((a, b) => a - b);
  return { p50: percentile(kept, 50), p99: percentile(kept, 99), samples: kept.length };
}

/** Waits until every latency sample came in, but not forever: a lost message fails the run. */
async function allArrived(latencies: readonly number[]): Promise<void> {
  const expected = LATENCY_RATE * LATENCY_SECONDS;
  await pollUntil(`${expected} latency samples`, () => latencies.length >= expected, {
    timeoutMs: 60_000,
    intervalMs: 20,
  });
}

/** Calls `send` at `rate` per second for `seconds`, catching up after a late timer. */
async function paced(rate: number, seconds: number, send: () => void): Promise<void> {
  const total = rate * seconds;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) {
      send();
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

// ---------------------------------------------------------------- bare amqplib

async function rawSetup(url: string, queue: string, declare = true) {
  const connection = await amqplib.connect(url, { noDelay: true });
  const publish = await connection.createConfirmChannel();
  const consume = await connection.createChannel();
  if (declare) {
    await publish.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  }
  await consume.prefetch(PREFETCH);
  return { connection, publish, consume };
}

interface RawTarget {
  readonly exchange: string;
  readonly routingKey: string;
  readonly queue: string;
  /** Declare a plain quorum queue (the baseline), or use the layer's topology as declared. */
  readonly declare: boolean;
  readonly properties: amqplib.Options.Publish;
}

const plainQuorum = (round: number): RawTarget => ({
  exchange: '',
  routingKey: `bench.raw.${round}`,
  queue: `bench.raw.${round}`,
  declare: true,
  properties: {},
});

/** What the layer sends, by hand: same exchange, binding, queue arguments and properties. */
const asTheLayer = (event: TickwatchEvent): RawTarget => ({
  exchange: 'tickwatch.events',
  routingKey: 'notification.failed',
  queue: QUEUE,
  declare: false,
  properties: {
    mandatory: true,
    type: event.type,
    timestamp: Math.floor(Date.parse(event.time) / 1000),
    contentType: 'application/json',
    appId: event.source,
    headers: {},
  },
});

async function rawThroughput(url: string, target: RawTarget): Promise<Measured> {
  const { connection, publish, consume } = await rawSetup(url, target.queue, target.declare);
  const body = Buffer.alloc(BODY_BYTES, 'x');
  const consumed = arrivals(MESSAGES);
  await consume.consume(target.queue, (message) => {
    if (!message) return;
    consume.ack(message);
    consumed.arrived();
  });
  const result = await measure(async () => {
    await publishWindowed({
      send: (index, confirmed) => {
        const options = { ...target.properties, persistent: true, messageId: String(index) };
        return publish.publish(target.exchange, target.routingKey, body, options, (error) => {
          if (error) consumed.fail(new Error(`raw publish nacked: ${String(error)}`));
          confirmed();
        });
      },
      drained: () => new Promise((resolve) => publish.once('drain', resolve)),
    });
    await consumed.all;
  });
  if (target.declare) await publish.deleteQueue(target.queue);
  await connection.close();
  return result;
}

async function rawLatency(url: string): Promise<Latency> {
  const queue = 'bench.raw.latency';
  const { connection, publish, consume } = await rawSetup(url, queue);
  const latencies: number[] = [];
  const body = Buffer.alloc(BODY_BYTES, 'x');
  await consume.consume(queue, (message) => {
    if (!message) return;
    latencies.push(performance.now() - message.content.readDoubleBE(0));
    consume.ack(message);
  });
  await paced(LATENCY_RATE, LATENCY_SECONDS, () => {
    const content = Buffer.from(body);
    content.writeDoubleBE(performance.now(), 0);
    publish.publish('', queue, content, { persistent: true }, () => {});
  });
  await allArrived(latencies);
  await publish.deleteQueue(queue);
  await connection.close();
  return summarise(latencies);
}

// ---------------------------------------------------------------- this layer

/** What a handler does per message; the default does nothing (dedupe off). */
type Effect = (id: string) => Promise<unknown>;
const noEffect: Effect = () => Promise.resolve();

export async function layerThroughput(
  url: string,
  topology: Topology,
  effect: Effect = noEffect,
): Promise<Measured> {
  const messaging = createMessaging({
    url,
    service: 'bench',
    topology,
    logger: undefined,
    maxInFlight: WINDOW,
  });
  await messaging.start();
  const template = oneKilobyteEvent();
  const consumed = arrivals(MESSAGES);
  const subscription = await messaging.consume(
    QUEUE,
    {
      [EventType.notificationFailed]: async (event) => {
        await effect(event.id);
        consumed.arrived();
      },
    },
    { prefetch: PREFETCH },
  );
  const result = await measure(async () => {
    await publishWindowed({
      send: (_index, confirmed) => {
        messaging.publish(withFreshId(template)).then(confirmed, consumed.fail);
        return true; // the layer honours the socket's back-pressure itself
      },
      drained: () => Promise.resolve(),
    });
    await consumed.all;
  });
  await subscription.stop();
  await messaging.close();
  return result;
}

async function layerLatency(url: string, topology: Topology): Promise<Latency> {
  const messaging = createMessaging({ url, service: 'bench', topology });
  await messaging.start();
  const template = oneKilobyteEvent();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  await messaging.consume(
    QUEUE,
    {
      [EventType.notificationFailed]: async (event) => {
        latencies.push(performance.now() - (sentAt.get(event.id) ?? NaN));
        await Promise.resolve();
      },
    },
    { prefetch: PREFETCH },
  );
  let refused: Error | undefined;
  await paced(LATENCY_RATE, LATENCY_SECONDS, () => {
    const event = withFreshId(template);
    sentAt.set(event.id, performance.now());
    messaging.publish(event).catch((error: unknown) => {
      refused ??= error instanceof Error ? error : new Error(String(error));
    });
  });
  if (refused) throw refused;
  await allArrived(latencies);
  await messaging.close();
  return summarise(latencies);
}

/** The fraction of new traces sampled in the `sampled` rows (the README's advice for busy paths). */
const SAMPLED_RATIO = 0.1;

/**
 * Runs `work` with the services' tracing SDK (OTLP/HTTP in protobuf, their default) exporting
 * every sampled span to `endpoint`: every span, or with `ratio` that fraction of the traces
 * (`parentbased_traceidratio`). The batch processor's queue is raised (unless OTEL_BSP_* say
 * otherwise) so that no span is dropped: the run counts them at the receiver.
 */
export async function traced<T>(
  endpoint: string,
  work: () => Promise<T>,
  ratio?: number,
): Promise<T> {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
  process.env.OTEL_BSP_MAX_QUEUE_SIZE ??= String(4 * MESSAGES);
  process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ??= '4096';
  if (ratio === undefined) {
    delete process.env.OTEL_TRACES_SAMPLER;
    delete process.env.OTEL_TRACES_SAMPLER_ARG;
  } else {
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = String(ratio);
  }
  const tracing = startTracing({
    serviceName: 'bench',
    serviceVersion: '0',
    instanceId: 'bench',
    logger: createLogger({ name: 'bench-tracing', level: 'warn' }),
  });
  try {
    return await work();
  } finally {
    await tracing.shutdown();
    // Back to the no-op API for the untraced rounds.
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

// ---------------------------------------------------------------- report

const median = (values: readonly Measured[]): Measured => {
  const pick = (key: keyof Measured) =>
    [...values.map((v) => v[key])].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  return { msgPerSec: pick('msgPerSec'), cpuMicros: pick('cpuMicros') };
};

export default async function messagingBench(): Promise<BenchReport> {
  process.env.LOG_LEVEL ??= 'silent';
  const vhost = await createTestVhost('bench');
  try {
    const production = tickwatchTopology();
    const withoutLog: Topology = {
      ...production,
      queues: production.queues.filter((queue) => queue.role !== 'stream'),
    };
    // Declares the layer's topologies for the raw runs that use them.
    const declaring = createMessaging({ url: vhost.url, service: 'bench', topology: withoutLog });
    await declaring.start();
    await declaring.close();
    const productionVhost = await createTestVhost('bench-production');
    const declaringProduction = createMessaging({
      url: productionVhost.url,
      service: 'bench',
      topology: production,
    });
    await declaringProduction.start();
    await declaringProduction.close();
    const receiver = await startOtlpSink();

    // Dedupe on: the handler's effect is a document keyed by the event id (insertOnce, the
    // first idempotency choice), in the embedded MongoDB running in this same process.
    const mongo = await startEmbeddedMongo({
      port: 0,
      logger: createLogger({ name: 'bench-mongo', level: 'silent' }),
    });
    const connection = await mongoose
      .createConnection(mongo.uri, { dbName: 'bench_messaging' })
      .asPromise();
    const Effects = connection.model<{ _id: string }>(
      'Effect',
      new Schema<{ _id: string }>({ _id: String }),
    );
    const dedupe: Effect = (id) => insertOnce(Effects, { _id: id });

    let spansReceived = 0;
    const runs = {
      raw: [] as Measured[],
      rawSame: [] as Measured[],
      layer: [] as Measured[],
      dedupe: [] as Measured[],
      rawProduction: [] as Measured[],
      production: [] as Measured[],
      traced: [] as Measured[],
      sampled: [] as Measured[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      runs.raw.push(await rawThroughput(vhost.url, plainQuorum(round)));
      runs.rawSame.push(await rawThroughput(vhost.url, asTheLayer(oneKilobyteEvent())));
      runs.layer.push(await layerThroughput(vhost.url, withoutLog));
      if (round < 3) runs.dedupe.push(await layerThroughput(vhost.url, withoutLog, dedupe));
      const productionUrl = productionVhost.url;
      runs.rawProduction.push(await rawThroughput(productionUrl, asTheLayer(oneKilobyteEvent())));
      runs.production.push(await layerThroughput(productionUrl, production));
      const before = await receiver.spans();
      runs.traced.push(
        await traced(receiver.endpoint, () => layerThroughput(productionUrl, production)),
      );
      // Every span of the run was exported by now: shutdown flushes and awaits the receiver.
      spansReceived += (await receiver.spans()) - before;
      runs.sampled.push(
        await traced(
          receiver.endpoint,
          () => layerThroughput(productionUrl, production),
          SAMPLED_RATIO,
        ),
      );
    }
    await connection.close();
    await mongo.stop();
    const receiverCpuMicros = await receiver.cpuMicros();
    const receiverSpans = await receiver.spans();
    await receiver.close();
    // A publish span and a process span per message: fewer received means spans were dropped,
    // and a traced figure that did not pay for them.
    const spansMade = 2 * MESSAGES * ROUNDS;
    await productionVhost.delete();
    const rawLat = await rawLatency(vhost.url);
    const layerLat = await layerLatency(vhost.url, withoutLog);

    const raw = median(runs.raw);
    const rawSame = median(runs.rawSame);
    const layer = median(runs.layer);
    const deduped = median(runs.dedupe);
    const rawProduction = median(runs.rawProduction);
    const withLog = median(runs.production);
    const withTracing = median(runs.traced);
    const withSampling = median(runs.sampled);
    const round2 = (n: number) => Math.round(n * 100) / 100;
    const row = (scenario: string, measured: Measured, latency?: Latency) => ({
      scenario,
      'msg/s': Math.round(measured.msgPerSec),
      'vs raw': round2(measured.msgPerSec / raw.msgPerSec),
      'vs raw, production': round2(measured.msgPerSec / rawProduction.msgPerSec),
      'client CPU µs/msg': Math.round(measured.cpuMicros),
      'p50 ms @1k/s': latency ? round2(latency.p50) : '',
      'p99 ms @1k/s': latency ? round2(latency.p99) : '',
    });
    const ratio = layer.msgPerSec / raw.msgPerSec;
    const list = (values: Measured[]) => values.map((v) => Math.round(v.msgPerSec)).join(', ');
    return {
      title: 'Messaging: bare amqplib vs @tickwatch/infra/messaging (1 KB, quorum, confirms)',
      rows: [
        row('raw amqplib → plain quorum queue (baseline)', raw, rawLat),
        row('raw amqplib → the layer’s exchange, queue, properties', rawSame),
        row('layer, dedupe off', layer, layerLat),
        row('layer, dedupe on (insertOnce, embedded MongoDB in-process)', deduped),
        row(
          'raw amqplib → production topology (exchange, work queue, tickwatch.log)',
          rawProduction,
        ),
        row('layer → production topology, tracing off', withLog),
        row('layer → production topology, tracing on (100 %, OTLP/HTTP)', withTracing),
        row(
          `layer → production topology, tracing on (${SAMPLED_RATIO * 100} % of traces sampled)`,
          withSampling,
        ),
      ],
      notes: [
        `${MESSAGES.toLocaleString('en-US')} messages of ${BODY_BYTES} B per throughput run, ≤ ${WINDOW} unconfirmed, prefetch ${PREFETCH}; median of ${ROUNDS} interleaved rounds (raw: ${list(runs.raw)}; raw, layer's path: ${list(runs.rawSame)}; layer: ${list(runs.layer)}; dedupe on, 3 rounds: ${list(runs.dedupe)}).`,
        'client CPU: user + system time of the one Node process that publishes and consumes (and, with dedupe on, runs the embedded MongoDB), per message (median).',
        `Latency: publish→handler at a fixed ${LATENCY_RATE} msg/s for ${LATENCY_SECONDS} s, first 500 discarded.`,
        `Floor (issue 5): layer ≥ 0.7 × raw without dedupe: ${ratio >= 0.7 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}).`,
        `Production topology (issue 17; floor 0.7, goal 0.85): layer ${(withLog.msgPerSec / rawProduction.msgPerSec).toFixed(2)} × raw amqplib publishing the same bytes (raw: ${list(runs.rawProduction)}; layer: ${list(runs.production)}).`,
        `Tracing (issue 8; goal ≤ 15 % cost): on costs ${Math.round((1 - withTracing.msgPerSec / withLog.msgPerSec) * 100)} % of throughput (traced: ${list(runs.traced)}); ${spansReceived.toLocaleString('en-US')} of ${spansMade.toLocaleString('en-US')} spans reached the OTLP receiver (${spansReceived === spansMade ? 'none dropped' : 'SOME DROPPED'}), which ran in its own process (${Math.round(receiverCpuMicros / receiverSpans)} µs CPU per span there, not counted in client CPU). Sampling ${SAMPLED_RATIO * 100} % of the traces (parentbased_traceidratio) costs ${Math.round((1 - withSampling.msgPerSec / withLog.msgPerSec) * 100)} % (${list(runs.sampled)}).`,
        'Publisher, consumer and broker share this machine’s cores, so client CPU is taken from the broker.',
        'The layer corks its socket from the first write of an event-loop turn to the end of it (one writev instead of a write per publish and per ack); the raw rows use amqplib as it comes.',
      ],
    };
  } finally {
    await vhost.delete();
  }
}
