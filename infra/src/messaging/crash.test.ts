import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { EventType, QUEUES } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import type { DeliveryContext } from './handlers.ts';
import { userDeleted } from './testing/events.ts';
import { Disposer, testMessaging } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';

describe('messaging: a consumer process killed with SIGKILL (real RabbitMQ)', function () {
  this.timeout(60_000);
  let vhost: TestVhost;
  const disposer = new Disposer();

  before(async () => {
    vhost = await createTestVhost('crash');
  });
  after(async () => {
    await disposer.disposeAll();
    await vhost.delete();
  });

  it('gets its unacked messages redelivered to the next consumer; none lost', async () => {
    const messaging = disposer.add(testMessaging(vhost.url), (m) => m.close());
    await messaging.start();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const event = userDeleted(USER);
      ids.push(event.id);
      await messaging.publish(event);
    }

    const child = spawn(
      process.execPath,
      [path.join(import.meta.dirname, 'testing', 'consumer-child.ts'), vhost.url],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    disposer.add(child, async (c) => {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.resolve();
    });
    const started = new Set<string>();
    const done = new Set<string>();
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [what, id = ''] = line.split(' ');
      if (what === 'start') started.add(id);
      if (what === 'done') done.add(id);
    });
    const hanging = () => [...started].filter((id) => !done.has(id));
    // Prefetch 10: once ten handlers hang, the child holds ten unacked deliveries.
    await pollUntil('the child holds ten unacked deliveries', () => hanging().length === 10, {
      timeoutMs: 20_000,
    });
    const unacked = hanging();
    child.kill('SIGKILL');
    await once(child, 'exit');

    const redelivered = new Map<string, DeliveryContext>();
    await messaging.consume(
      QUEUES.notifierDeliveries,
      {
        [EventType.userDeleted]: async (event, context) => {
          redelivered.set(event.id, context);
          await Promise.resolve();
        },
      },
      { prefetch: 10 },
    );
    await pollUntil(
      'every message handled by the child or after it',
      () => ids.every((id) => done.has(id) || redelivered.has(id)),
      { timeoutMs: 20_000 },
    );
    for (const id of unacked) {
      expect(redelivered.get(id)?.redelivered, id).to.be.true;
      // Quorum queues count it: this is what the x-delivery-limit crash-loop guard sees.
      expect(redelivered.get(id)?.deliveryCount, id).to.equal(1);
    }
  });
});
