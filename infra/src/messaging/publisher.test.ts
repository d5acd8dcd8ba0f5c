import { EXCHANGES, partitionOf, routingKey, alerterPartitionQueue } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import { connectAmqplib } from './amqplib-adapter.ts';
import { MessagingErrorCode, UnroutableError } from './errors.ts';
import type { Messaging } from './messaging.ts';
import { priceUpdated, userDeleted } from './testing/events.ts';
import { Disposer, testMessaging } from './testing/fixtures.ts';
import { startFaultProxy } from './testing/fault-proxy.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

describe('messaging publisher (real RabbitMQ)', function () {
  let vhost: TestVhost;
  const disposer = new Disposer();

  before(async () => {
    vhost = await createTestVhost('publisher');
  });
  after(async () => {
    await vhost.delete();
  });
  afterEach(() => disposer.disposeAll());

  async function started(url = vhost.url, overrides = {}): Promise<Messaging> {
    const messaging = disposer.add(testMessaging(url, overrides), (m) => m.close());
    await messaging.start();
    return messaging;
  }

  async function queueCount(queue: string): Promise<number> {
    const connection = await connectAmqplib({
      url: vhost.url,
      heartbeatSeconds: 0,
      connectTimeoutMs: 3_000,
      connectionName: 'test-inspector',
      onClosed: () => {},
    });
    try {
      const channel = await connection.openChannel({ closed: () => {} }, { confirm: false });
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await connection.close();
    }
  }

  it('rejects a mandatory publish nobody is bound for, naming the routing key', async () => {
    const messaging = await started();
    const message = {
      exchange: EXCHANGES.events,
      routingKey: 'nobody.listens.here',
      content: Buffer.from('{}'),
      properties: { messageId: 'unroutable-1' },
    };
    const error = await messaging.publishMessage(message).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(UnroutableError);
    expect((error as UnroutableError).code).to.equal(MessagingErrorCode.unroutable);
    expect((error as Error).message).to.contain('"nobody.listens.here"');
  });

  it('routes a ticker with a dot (BRK.B) to its partition queue as one routing word', async () => {
    const messaging = await started();
    const event = priceUpdated('BRK.B', 412.5);
    const partition = partitionOf('BRK.B');
    expect(routingKey(event)).to.equal(`price.updated.p${partition}.BRK_B`);
    const before = await queueCount(alerterPartitionQueue(partition));
    await messaging.publish(event);
    expect(await queueCount(alerterPartitionQueue(partition))).to.equal(before + 1);
  });

  it('refuses an invalid event before it reaches the broker, naming the field', async () => {
    const messaging = await started();
    const valid = userDeleted('0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01');
    const invalid = { ...valid, data: { userId: 42 } } as unknown as typeof valid;
    const before = await queueCount('notifier.deliveries');
    const error = await messaging.publish(invalid).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.name).to.equal('EventValidationError');
    expect(error?.message).to.match(/^data\.userId: /);
    expect(await queueCount('notifier.deliveries')).to.equal(before);
  });

  it('buffers publishes while disconnected and confirms them after the reconnect', async () => {
    const proxy = disposer.add(await startFaultProxy({ host: '127.0.0.1', port: 5672 }), (p) =>
      p.close(),
    );
    const messaging = await started(vhost.urlVia(proxy.port));
    const before = await queueCount('notifier.deliveries');
    proxy.refuse(true);
    proxy.cut();
    await pollUntil('not ready after the cut', () => !messaging.ready());
    const publishes = Array.from({ length: 20 }, () =>
      messaging.publish(userDeleted('0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01')),
    );
    proxy.resume();
    await Promise.all(publishes);
    expect(messaging.ready()).to.be.true;
    expect(await queueCount('notifier.deliveries')).to.equal(before + 20);
  });

  it('rejects with a clear error when the disconnected buffer is full, never drops silently', async () => {
    const proxy = disposer.add(await startFaultProxy({ host: '127.0.0.1', port: 5672 }), (p) =>
      p.close(),
    );
    const messaging = await started(vhost.urlVia(proxy.port), {
      maxBuffered: 5,
      publishTimeoutMs: 300,
    });
    proxy.refuse(true);
    proxy.cut();
    await pollUntil('not ready after the cut', () => !messaging.ready());
    const results = await Promise.allSettled(
      Array.from({ length: 7 }, () =>
        messaging.publish(userDeleted('0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01')),
      ),
    );
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : 'fulfilled',
    );
    // 5 waited in the buffer until their deadline; 2 were refused at once.
    expect(codes.filter((c) => c === MessagingErrorCode.publishTimeout)).to.have.length(5);
    expect(codes.filter((c) => c === MessagingErrorCode.bufferFull)).to.have.length(2);
  });
});
