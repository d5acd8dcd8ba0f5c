/**
 * A broker that blocks publishing (`connection.blocked`: its memory or disk alarm). The alarm is
 * simulated: the fault proxy sends the broker's own `connection.blocked` and
 * `connection.unblocked` frames to the client, which amqplib parses as from the broker. A real
 * alarm (`rabbitmqctl set_vm_memory_high_watermark`) is broker-wide and would block every other
 * suite sharing this broker while it lasts.
 */
import { QUEUES } from '@tickwatch/contracts';
import { expect } from 'chai';
import { createLogger } from '../log.ts';
import { startService } from '../service.ts';
import { messagingMetrics } from '../telemetry/messaging-metrics.ts';
import { createMetricsRegistry } from '../telemetry/metrics.ts';
import { pollUntil } from '../testing/poll-until.ts';
import { MessagingErrorCode } from './errors.ts';
import { noopObserver, type MessagingObserver } from './observer.ts';
import { userDeleted } from './testing/events.ts';
import { startFaultProxy } from './testing/fault-proxy.ts';
import { Disposer, testMessaging } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';
const REASON = 'low on memory';

describe('messaging: the broker blocks publishing (simulated alarm, real RabbitMQ)', function () {
  this.timeout(30_000);
  let vhost: TestVhost;
  const disposer = new Disposer();
  before(async () => {
    vhost = await createTestVhost('blocked');
  });
  after(async () => {
    await vhost.delete();
  });
  afterEach(() => disposer.disposeAll());

  it('reports it (hook, metric, degraded /readyz), holds waiting publishes, fails fast ones, and resumes when unblocked', async () => {
    const proxy = disposer.add(await startFaultProxy({ host: '127.0.0.1', port: 5672 }), (p) =>
      p.close(),
    );
    const flow: string[] = [];
    const metrics = createMetricsRegistry();
    const counted = messagingMetrics(metrics);
    const observer: MessagingObserver = {
      ...noopObserver,
      blocked: (info) => {
        flow.push(`blocked: ${info.reason}`);
        counted.blocked(info);
      },
      unblocked: () => {
        flow.push('unblocked');
        counted.unblocked();
      },
    };
    const messaging = testMessaging(vhost.urlVia(proxy.port), { observer });
    const service = disposer.add(
      await startService({
        name: 'notifier',
        port: 0,
        logger: createLogger({ name: 'notifier', level: 'silent' }),
        metrics,
        start: async (context) => {
          await context.add(messaging).start();
        },
      }),
      (s) => s.stop('test over'),
    );
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${service.port}/readyz`);
      return { status: response.status, body: await response.json() };
    };
    const blockedGauge = async () =>
      (await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text())
        .split('\n')
        .find((line) => line.startsWith('tickwatch_messaging_blocked '));
    const queue = QUEUES.notifierDeliveries;
    await messaging.publish(userDeleted(USER));
    expect(await vhost.messageCount(queue)).to.equal(1);

    proxy.block(REASON);
    await pollUntil('the block reported', () => messaging.degraded());
    expect(flow).to.deep.equal([`blocked: ${REASON}`]);
    expect(messaging.ready()).to.be.true;
    expect(await readyz()).to.deep.equal({
      status: 200,
      body: { status: 'degraded', degraded: { messaging: `broker blocks publishing: ${REASON}` } },
    });
    expect(await blockedGauge()).to.equal('tickwatch_messaging_blocked 1');

    // The caller's choice: wait for the alarm to clear (the default), or fail now.
    let waited = false;
    const waiting = messaging.publish(userDeleted(USER)).then(() => {
      waited = true;
    });
    const failFast = await messaging.publish(userDeleted(USER), { whenBlocked: 'fail' }).then(
      () => null,
      (error: unknown) => error as { code?: string; message?: string },
    );
    expect(failFast?.code).to.equal(MessagingErrorCode.blocked);
    expect(failFast?.message).to.contain(REASON);
    // Held back by the layer, not written into the blocked connection: the broker has none.
    expect(await vhost.messageCount(queue)).to.equal(1);
    expect(waited).to.be.false;

    proxy.unblock();
    await waiting;
    expect(flow).to.deep.equal([`blocked: ${REASON}`, 'unblocked']);
    expect(messaging.degraded()).to.equal(undefined);
    expect(await vhost.messageCount(queue)).to.equal(2);
    expect(await readyz()).to.deep.equal({ status: 200, body: { status: 'ready' } });
    expect(await blockedGauge()).to.equal('tickwatch_messaging_blocked 0');
  });

  it('forgets the block of a connection it lost: the new one publishes', async () => {
    const proxy = disposer.add(await startFaultProxy({ host: '127.0.0.1', port: 5672 }), (p) =>
      p.close(),
    );
    const messaging = disposer.add(testMessaging(vhost.urlVia(proxy.port)), (m) => m.close());
    await messaging.start();
    proxy.block(REASON);
    await pollUntil('the block reported', () => messaging.degraded());
    const waiting = messaging.publish(userDeleted(USER));
    proxy.cut();
    await waiting;
    expect(messaging.degraded()).to.equal(undefined);
  });
});
