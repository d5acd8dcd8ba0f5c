/**
 * One consumer of the alerter's partition queues, in a process of its own, for the end-to-end
 * benchmark:
 *
 *   consumer-process.ts <alerter|bare> <amqp url> <mongo uri> <db> <quotes>
 *
 * - `alerter`: the alerter as `alerter/src/main.ts` runs it (every partition, batches of
 *   ALERTER_BATCH_SIZE), on the given database;
 * - `bare`: the messaging layer alone, `consumePartitionBatches` with the same batch size and a
 *   handler that does nothing: the rate the alerter cannot exceed.
 *
 * The quotes are queued before it starts. Each partition's first batch is held (the alerter's
 * just after its write) until all sixteen hold one and the bench said `go` on stdin: then they
 * go on together and the clock starts, so that it times every partition draining at once,
 * loaded, whatever order the broker started them in. The alerter's first write is before the
 * clock because the bench seeds the rules straight into the database: that write creates the
 * trigger state of every rule of the partition (~6,250), which an alerter fed by rule events
 * wrote in the batches that carried them. It stops at `quotes` timedQuotes; the held first
 * batches are not counted. Prints `ready <s>` when every partition holds its first batch
 * (seconds since start: the loads), waits for `go`, then prints `clock` as its clock stops and
 * `done <quotes timed> <seconds> <alerts> <seconds evaluating in memory> <averages
 * published> <batches> <seconds writing, summed over the partitions' batches>` once it stopped
 * consuming, then waits to be killed. With BENCH_ALERTER_PROFILE=<directory> it runs the timed
 * part under the CPU profiler and writes `<mode>-<pid>.cpuprofile` there before `done`
 * (`npx node bench/lib/cpu-profile.ts <file>` summarises it).
 */
import {
  alerterPartitionQueue,
  EventType,
  partitionOf,
  PARTITIONS,
  type Event,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createLogger } from '@tickwatch/infra/log';
import { createMessaging, tickwatchTopology } from '@tickwatch/infra/messaging';
import mongoose from 'mongoose';
import { DEFAULT_BATCH_SIZE } from '../../alerter/src/config.ts';
import { ownershipObserver, startAlerter } from '../../alerter/src/alerter.ts';
import { alerterModels, initAlerterModels } from '../../alerter/src/store/models.ts';

const [mode, url, uri, dbName, total] = process.argv.slice(2);
if ((mode !== 'alerter' && mode !== 'bare') || !url || !uri || !dbName || !total) {
  throw new Error('usage: consumer-process.ts <alerter|bare> <amqp url> <mongo uri> <db> <quotes>');
}
const batchSize = Number(process.env.ALERTER_BATCH_SIZE ?? DEFAULT_BATCH_SIZE);
const started = performance.now();
const logger = createLogger({ name: `bench-${mode}`, level: process.env.LOG_LEVEL ?? 'warn' });
const everyPartition = Array.from({ length: PARTITIONS }, (_, p) => p);
const partitionOfQueue = new Map(everyPartition.map((p) => [alerterPartitionQueue(p), p]));
const ownership = ownershipObserver();
const messaging = createMessaging({
  url,
  service: `bench-${mode}`,
  topology: tickwatchTopology(),
  logger,
  observer: ownership.observer,
});
await messaging.start();

let timedQuotes = 0;
let alerts = 0;
let evaluationSeconds = 0;
let averages = 0;
let timedBatches = 0;
let writeSeconds = 0;
/** Start of each partition's current write, and how long its last one took (s). */
const writeStarted = new Map<number, number>();
const lastWrite = new Map<number, number>();
/** The bench's partition queues carry quotes only. */
const partitionOfBatch = (events: readonly TickwatchEvent[]): number =>
  partitionOf((events[0] as Event<typeof EventType.priceUpdated>).data.ticker);
let clockStart: number | undefined;
/** Quotes of the held first batches, handled before the clock. */
let untimed = 0;
let reported = false;

/** Partitions holding their first batch, each with its release; then the clock starts. */
const holding = new Map<number, () => void>();
const holdFirstBatch = (partition: number): Promise<void> => {
  if (clockStart !== undefined || holding.has(partition)) return Promise.resolve();
  const held = new Promise<void>((release) => holding.set(partition, release));
  if (holding.size === PARTITIONS) {
    process.stdout.write(`ready ${(performance.now() - started) / 1000}\n`);
    void goSaid.then(() => {
      clockStart = performance.now();
      startProfile();
      for (const release of holding.values()) release();
    });
  }
  return held;
};
/** The bench says `go` once it is ready for the clock (its database compacted). */
const goSaid = new Promise<void>((resolve) => {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line === 'go') resolve();
  });
});
/** Partitions whose first (held, untimed) batch is done. */
const firstBatchDone = new Set<number>();

const counted = (
  partition: number,
  quotes: number,
  fired: number,
  evaluation: number,
  published: number,
  wrote: number,
): void => {
  if (!firstBatchDone.has(partition)) {
    firstBatchDone.add(partition);
    untimed += quotes;
    return;
  }
  timedQuotes += quotes;
  alerts += fired;
  evaluationSeconds += evaluation;
  averages += published;
  timedBatches += 1;
  writeSeconds += wrote;
  if (timedQuotes + untimed >= Number(total) && !reported && clockStart !== undefined) {
    reported = true;
    const seconds = (performance.now() - clockStart) / 1000;
    // The bench reads every process's CPU now: stopping (below) is not part of the rate.
    process.stdout.write('clock\n');
    const line = `done ${timedQuotes} ${seconds} ${alerts} ${evaluationSeconds} ${averages} ${timedBatches} ${writeSeconds}\n`;
    // Stopping waits for this batch's ack, so the next consumer does not get it again.
    setImmediate(() => {
      void stop()
        .then(saveProfile)
        .then(() => process.stdout.write(line));
    });
  }
};
let stop: () => Promise<void>;

/** The CPU profiler over the timed part, when BENCH_ALERTER_PROFILE names a directory. */
const profileDirectory = process.env.BENCH_ALERTER_PROFILE;
const profiler = profileDirectory ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
}
const startProfile = (): void => {
  void profiler?.post('Profiler.start');
};
const saveProfile = async (): Promise<void> => {
  if (!profiler || !profileDirectory) return;
  const { profile } = await profiler.post('Profiler.stop');
  const file = path.join(profileDirectory, `${mode}-${process.pid}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
};

if (mode === 'alerter') {
  const connection = await mongoose.createConnection(uri, { dbName }).asPromise();
  const models = alerterModels(connection);
  await initAlerterModels(models);
  const alerter = await startAlerter({
    messaging,
    models,
    logger,
    preferredPartitions: everyPartition,
    takeoverDelayMs: 0,
    batchSize,
    ownership: ownership.signal,
    hooks: {
      beforeWrite: (events) => {
        writeStarted.set(partitionOfBatch(events), performance.now());
        return Promise.resolve();
      },
      afterWrite: async (events) => {
        const partition = partitionOfBatch(events);
        lastWrite.set(partition, (performance.now() - (writeStarted.get(partition) ?? 0)) / 1000);
        await holdFirstBatch(partition);
      },
    },
    batchDone: (report) => {
      counted(
        report.partition,
        report.quotes,
        report.alerts,
        report.evaluationSeconds,
        report.averages,
        lastWrite.get(report.partition) ?? 0,
      );
    },
  });
  stop = () => alerter.stop();
} else {
  const subscription = await messaging.consumePartitionBatches(
    async ({ queue, items }) => {
      const partition = partitionOfQueue.get(queue) ?? -1;
      await holdFirstBatch(partition);
      counted(partition, items.length, 0, 0, 0, 0);
    },
    {
      types: [EventType.priceUpdated],
      maxBatch: batchSize,
      preferred: everyPartition,
      takeoverDelayMs: 0,
    },
  );
  stop = () => subscription.stop();
}
