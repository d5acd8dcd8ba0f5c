import { createHash } from 'node:crypto';
import { createEvent, derivedEventId, EventType, QUEUES } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import { listDeadLetterQueues } from './dlq/dlq-operations.ts';
import type { Messaging } from './messaging.ts';
import { Disposer, holds, testMessaging } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';
import { tickwatchTopology } from './topology/tickwatch.ts';

const COUNT = 10_000;
// Eight short tiers: a message is lost to the DLQ only after nine straight failures, which the
// deterministic failure pattern below never produces for these ids (checked: DLQ stays empty).
const topology = tickwatchTopology({
  retryTiers: Array.from({ length: 8 }, (_, i) => ({ name: `x${i}`, delayMs: 20 + 10 * i })),
});

/** Deterministic "random": the same event and attempt always fail the same way. */
function roll(id: string, attempt: number): number {
  return createHash('sha256').update(`${id}:${attempt}`).digest().readUInt32BE(0) / 2 ** 32;
}

describe('messaging: 10,000 messages, handler failing 20% of the time (real RabbitMQ)', function () {
  this.timeout(120_000);
  let vhost: TestVhost;
  const disposer = new Disposer();

  before(async () => {
    vhost = await createTestVhost('exactly-once');
  });
  after(async () => {
    await disposer.disposeAll();
    await vhost.delete();
  });

  it('applies every effect exactly once, loses none, dead-letters none', async () => {
    const publisher: Messaging = disposer.add(
      testMessaging(vhost.url, { topology, service: 'test-publisher' }),
      (m) => m.close(),
    );
    const consumer: Messaging = disposer.add(
      testMessaging(vhost.url, { topology, service: 'test-consumer' }),
      (m) => m.close(),
    );
    await publisher.start();
    await consumer.start();

    // The effect store keyed by event id, like a unique index: a repeat is refused.
    const effects = new Set<string>();
    let repeatsRefused = 0;
    let failuresAfterEffect = 0;
    let failures = 0;
    await consumer.consume(
      QUEUES.notifierDeliveries,
      {
        [EventType.userDeleted]: async (event, context) => {
          await Promise.resolve();
          const dice = roll(event.id, context.attempt);
          if (dice < 0.1) {
            failures += 1;
            throw new Error('failed before the effect');
          }
          if (effects.has(event.id)) repeatsRefused += 1;
          else effects.add(event.id);
          if (dice < 0.2) {
            failures += 1;
            failuresAfterEffect += 1;
            throw new Error('failed after the effect (the ack never happened)');
          }
        },
      },
      { prefetch: 50 },
    );

    const ids: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < COUNT) {
        const i = next++;
        const id = derivedEventId(EventType.userDeleted, ['exactly-once', i]);
        ids.push(id);
        const event = createEvent(
          EventType.userDeleted,
          { userId: derivedEventId(EventType.userRegistered, [i]) },
          { source: 'tickwatch/test', id },
        );
        await publisher.publish(event);
      }
    };
    await Promise.all(Array.from({ length: 200 }, worker));

    await pollUntil(
      'every effect applied',
      () => holds(effects.size === COUNT, () => `${effects.size} of ${COUNT}`),
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(ids.every((id) => effects.has(id))).to.be.true;
    // Every failure after the effect came back and was refused as a repeat.
    await pollUntil('repeats settled', () => repeatsRefused === failuresAfterEffect);
    expect(failures / (COUNT + failures)).to.be.within(0.15, 0.25);
    const connection = await vhost.connect();
    const dlqs = await listDeadLetterQueues(connection, topology);
    await connection.close();
    expect(dlqs.reduce((sum, q) => sum + (q.messageCount ?? 0), 0)).to.equal(0);
  });
});
