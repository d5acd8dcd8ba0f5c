/**
 * A consumer in its own process, for the SIGKILL test. Handles notifier.deliveries with
 * prefetch 10: every other message completes ("done <id>"), the others hang forever, so at
 * any moment the process holds unacked deliveries. Lines on stdout: `ready`, `start <id>`,
 * `done <id>`.
 */
import { EventType, QUEUES } from '@tickwatch/contracts';
import { testMessaging } from './fixtures.ts';

const url = process.argv[2];
if (!url) throw new Error('usage: consumer-child.ts <amqp url>');

const messaging = testMessaging(url, { service: 'test-child' });
await messaging.start();
let received = 0;
await messaging.consume(
  QUEUES.notifierDeliveries,
  {
    [EventType.userDeleted]: async (event) => {
      received += 1;
      process.stdout.write(`start ${event.id}\n`);
      if (received % 2 === 0) {
        await new Promise<never>(() => {});
      }
      process.stdout.write(`done ${event.id}\n`);
    },
  },
  { prefetch: 10 },
);
process.stdout.write('ready\n');
