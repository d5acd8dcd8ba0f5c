/**
 * An alerter in its own process, for the crash and takeover tests (they SIGKILL it).
 *
 *   alerter-child.ts <mongo uri> <db name> <amqp url> <all|none> <takeover delay ms> [stop]
 *
 * `stop` is `before-write:<event id>` or `after-write:<event id>`: the batch holding that event
 * stops there for good (the test then kills the process). Lines on stdout: `standby` once
 * every partition has a consumer, `stopped <before-write|after-write> <event id>`.
 */
import { createLogger } from '@tickwatch/infra/log';
import { testMessaging } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import mongoose from 'mongoose';
import { ownershipObserver, startAlerter } from '../alerter.ts';
import { alerterModels } from '../store/models.ts';

const [uri, dbName, url, preferred, delay, stop = ''] = process.argv.slice(2);
if (!uri || !dbName || !url || !preferred || !delay) {
  throw new Error(
    'usage: alerter-child.ts <mongo uri> <db> <amqp url> <all|none> <delay ms> [stop]',
  );
}
const [stopAt, stopEvent] = stop.split(':');

const connection = await mongoose.createConnection(uri, { dbName }).asPromise();
const ownership = ownershipObserver();
const messaging = testMessaging(url, { service: 'alerter-child', observer: ownership.observer });
await messaging.start();
const stopHere = (at: string) => async (events: readonly { id: string }[]) => {
  if (at !== stopAt || !events.some((event) => event.id === stopEvent)) return;
  process.stdout.write(`stopped ${at} ${stopEvent}\n`);
  await new Promise<never>(() => {});
};
const alerter = await startAlerter({
  messaging,
  models: alerterModels(connection),
  logger: createLogger({ name: 'alerter-child', level: process.env.LOG_LEVEL ?? 'silent' }),
  preferredPartitions: preferred === 'all' ? Array.from({ length: 16 }, (_, p) => p) : [],
  takeoverDelayMs: Number(delay),
  ownership: ownership.signal,
  sweepIntervalMs: 100,
  hooks: { beforeWrite: stopHere('before-write'), afterWrite: stopHere('after-write') },
});
await pollUntil('every partition subscribed', () => alerter.subscribed(), { timeoutMs: 30_000 });
process.stdout.write('standby\n');
