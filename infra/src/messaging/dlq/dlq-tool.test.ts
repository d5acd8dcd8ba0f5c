import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { EventType, HEADERS, QUEUES } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../../testing/poll-until.ts';
import type { DeliveryContext } from '../handlers.ts';
import { userDeleted } from '../testing/events.ts';
import { Disposer, TEST_TIERS, testMessaging } from '../testing/fixtures.ts';
import { createTestVhost, type TestVhost } from '../testing/test-vhost.ts';

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, '../../../../scripts/dlq.ts');
const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';
const QUEUE = QUEUES.notifierDeliveries;

describe('DLQ tool: npm run dlq (real RabbitMQ)', function () {
  this.timeout(60_000);
  let vhost: TestVhost;
  const disposer = new Disposer();

  before(async () => {
    vhost = await createTestVhost('dlq');
  });
  after(async () => {
    await disposer.disposeAll();
    await vhost.delete();
  });

  async function dlq(...args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [SCRIPT, ...args], {
      env: { ...process.env, RABBITMQ_URL: vhost.url },
    });
    return stdout;
  }

  async function dlqFails(...args: string[]): Promise<{ code: number; stderr: string }> {
    try {
      await dlq(...args);
    } catch (error) {
      const failure = error as { code: number; stderr: string };
      return { code: failure.code, stderr: failure.stderr };
    }
    throw new Error('expected the dlq tool to fail');
  }

  it('lists, shows without consuming, replays with attempts reset; a fixed handler acks it', async () => {
    const messaging = disposer.add(testMessaging(vhost.url), (m) => m.close());
    await messaging.start();
    let fixed = false;
    const replayedContexts: DeliveryContext[] = [];
    const subscription = await messaging.consume(QUEUE, {
      [EventType.userDeleted]: async (_event, context) => {
        await Promise.resolve();
        if (!fixed) throw new Error('recipient store unreachable');
        replayedContexts.push(context);
      },
    });
    const event = userDeleted(USER);
    await messaging.publish(event);

    await pollUntil('the DLQ lists one message', async () =>
      (await dlq('list')).includes(`${QUEUE}.dlq`.padEnd(22) + '         1'),
    );
    const listing = await dlq('list');
    expect(listing).to.match(/^dead-letter queue +messages +consumer of the work queue$/m);
    expect(listing).to.match(/^alerter\.p15\.dlq +0 +alerter \(one active replica\)$/m);

    // show twice: it leaves the message in place, and the peek did not consume it.
    const shown = await dlq('show', QUEUE);
    expect(await dlq('show', QUEUE)).to.equal(shown);
    expect(shown).to.contain(`#1 ${event.id} ${EventType.userDeleted}`);
    expect(shown).to.contain(
      `reason:      retries-exhausted: failed ${TEST_TIERS.length + 1} times, last: recipient store unreachable`,
    );
    expect(shown).to.contain('routing key: user.deleted   attempts: 4');
    const [view] = JSON.parse(await dlq('show', `${QUEUE}.dlq`, '--json')) as { body: unknown }[];
    expect(view?.body).to.deep.equal(event);

    fixed = true;
    expect(await dlq('replay', QUEUE)).to.equal(`replayed 1 message(s) to ${QUEUE}\n`);
    await pollUntil('the fixed handler acked it', () => replayedContexts.length === 1);
    const [context] = replayedContexts;
    expect(context?.attempt).to.equal(1);
    expect(context?.routingKey).to.equal('user.deleted');
    expect(context?.headers[HEADERS.replayedAt]).to.be.a('string');
    expect(await dlq('show', QUEUE)).to.equal(`${QUEUE}: no dead letters\n`);
    await subscription.stop();
  });

  it('purges only with --yes, and only the oldest N with --limit', async () => {
    const messaging = disposer.add(testMessaging(vhost.url), (m) => m.close());
    await messaging.start();
    const subscription = await messaging.consume(QUEUE, {}); // no handler: dead-lettered at once
    for (let i = 0; i < 3; i++) await messaging.publish(userDeleted(USER));
    await pollUntil('three dead letters', async () => {
      const rows = JSON.parse(await dlq('list', '--json')) as {
        queue: string;
        messageCount: number;
      }[];
      return rows.find((r) => r.queue === QUEUE)?.messageCount === 3;
    });
    await subscription.stop();
    const refused = await dlqFails('purge', QUEUE);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain(`add --yes to purge ${QUEUE}`);
    expect(await dlq('purge', QUEUE, '--yes', '--limit', '1')).to.equal(
      `purged 1 message(s) from ${QUEUE}.dlq\n`,
    );
    expect(await dlq('purge', QUEUE, '--yes')).to.equal(`purged 2 message(s) from ${QUEUE}.dlq\n`);
  });

  it('says which broker and vhost it acts on, password masked, and refuses a vhost that does not exist', async () => {
    const missing = new URL(vhost.url);
    missing.pathname = `/${vhost.name}-missing`;
    const { stderr } = await run(process.execPath, [SCRIPT, 'list'], {
      env: { ...process.env, RABBITMQ_URL: vhost.url },
    });
    expect(stderr).to.contain(
      `list: broker amqp://guest:***@127.0.0.1:5672, vhost "${vhost.name}"`,
    );
    expect(stderr).not.to.contain(':guest@');
    const refused = await run(process.execPath, [SCRIPT, 'list'], {
      env: { ...process.env, RABBITMQ_URL: missing.toString() },
    }).then(
      () => null,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(refused?.code).to.equal(1);
    expect(refused?.stderr).to.contain(
      `refused: vhost "${vhost.name}-missing" does not exist on 127.0.0.1:5672, or this user has no permission on it`,
    );
    expect(refused?.stderr).not.to.match(/\n\s+at /);
  });

  it('refuses a queue that is not in the topology, listing the known DLQs', async () => {
    const { code, stderr } = await dlqFails('show', 'nope');
    expect(code).to.equal(2);
    expect(stderr).to.contain(
      '"nope" is not a DLQ (or work queue) of the topology; known: collector.watchlist.dlq',
    );
  });
});
