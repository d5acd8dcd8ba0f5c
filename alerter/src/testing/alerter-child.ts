/**
 * An alerter in its own process, for the crash and takeover tests (they SIGKILL it).
 *
 *   alerter-child.ts <mongo uri> <db name> <amqp url> <all|none> <takeover delay ms> [directive...]
 *
 * A directive names a place in the batch holding an event, `<place>:<event id>`:
 * - `before-write` / `after-write`: the batch stops there for good (the test then kills it);
 * - `hold`: the batch waits before its write until a line `release` comes on stdin, so what
 *   the test publishes meanwhile makes up the next batch.
 * Lines on stdout: `standby` once every partition has a consumer, `held <event id>`, and
 * `stopped <place> <event id> <ids of the batch, comma-separated>`.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createLogger } from '@tickwatch/infra/log';
import { testMessaging } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import mongoose from 'mongoose';
import { ownershipObserver, startAlerter } from '../alerter.ts';
import { alerterModels } from '../store/models.ts';

const [uri, dbName, url, preferred, delay, ...directives] = process.argv.slice(2);
if (!uri || !dbName || !url || !preferred || !delay) {
  throw new Error(
    'usage: alerter-child.ts <mongo uri> <db> <amqp url> <all|none> <delay ms> [directive...]',
  );
}
const places = new Map(directives.map((directive) => directive.split(':') as [string, string]));

const released = once(createInterface({ input: process.stdin }), 'line');
const connection = await mongoose.createConnection(uri, { dbName }).asPromise();
const ownership = ownershipObserver();
const messaging = testMessaging(url, { service: 'alerter-child', observer: ownership.observer });
await messaging.start();

/** What the batch does at `place` when it holds the event a directive names for it. */
const at =
  (...kinds: string[]) =>
  async (events: readonly { id: string }[]): Promise<void> => {
    for (const kind of kinds) {
      const id = places.get(kind);
      if (!id || !events.some((event) => event.id === id)) continue;
      if (kind === 'hold') {
        process.stdout.write(`held ${id}\n`);
        await released;
        continue;
      }
      process.stdout.write(`stopped ${kind} ${id} ${events.map((e) => e.id).join(',')}\n`);
      await new Promise<never>(() => {});
    }
  };
const alerter = await startAlerter({
  messaging,
  models: alerterModels(connection),
  logger: createLogger({ name: 'alerter-child', level: process.env.LOG_LEVEL ?? 'silent' }),
  preferredPartitions: preferred === 'all' ? Array.from({ length: 16 }, (_, p) => p) : [],
  takeoverDelayMs: Number(delay),
  ownership: ownership.signal,
  sweepIntervalMs: 100,
  hooks: { beforeWrite: at('hold', 'before-write'), afterWrite: at('after-write') },
});
await pollUntil('every partition subscribed', () => alerter.subscribed(), { timeoutMs: 30_000 });
process.stdout.write('standby\n');
