import {
  alerterPartitionQueue,
  EXCHANGES,
  partitionOf,
  QUEUES,
  routingKey,
} from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import { MessagingErrorCode, UnroutableError } from './errors.ts';
import type { Messaging } from './messaging.ts';
import { priceUpdated, userDeleted } from './testing/events.ts';
import { Disposer, testMessaging } from './testing/fixtures.ts';
import { startFaultProxy } from './testing/fault-proxy.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';

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
    const before = await vhost.messageCount(alerterPartitionQueue(partition));
    await messaging.publish(event);
    expect(await vhost.messageCount(alerterPartitionQueue(partition))).to.equal(before + 1);
  });

  it('refuses an invalid event before it reaches the broker, naming the field', async () => {
    const messaging = await started();
    const valid = userDeleted(USER);
    const invalid = { ...valid, data: { userId: 42 } } as unknown as typeof valid;
    const before = await vhost.messageCount('notifier.deliveries');
    const error = await messaging.publish(invalid).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.name).to.equal('EventValidationError');
    expect(error?.message).to.match(/^data\.userId: /);
    expect(await vhost.messageCount('notifier.deliveries')).to.equal(before);
  });

  it('rejects with MESSAGING_NACKED when a full reject-publish queue refuses the message', async () => {
    const messaging = await started();
    // A length limit by policy (the way operators set one); the work queue's own
    // `x-overflow: reject-publish` then makes the broker nack instead of dropping.
    await vhost.setQueuePolicy('full', `^${QUEUES.collectorWatchlist}$`, { 'max-length': 1 });
    disposer.add(QUEUES.collectorWatchlist, async (queue) => {
      await vhost.clearQueuePolicy('full');
      await vhost.purge(queue);
    });
    const code = await pollUntil('a publish nacked once the queue is full', () =>
      messaging.publish(userDeleted(USER)).then(
        () => null,
        (error: unknown) => (error as { code?: string }).code,
      ),
    );
    expect(code).to.equal(MessagingErrorCode.nacked);
  });

  it('refuses a message amqplib cannot encode, alone: the next publish goes through', async () => {
    const messaging = await started();
    const error = await messaging
      .publishMessage({
        exchange: EXCHANGES.events,
        routingKey: 'user.deleted',
        content: 'not a Buffer' as unknown as Buffer,
        properties: { messageId: 'not-a-buffer' },
      })
      .then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
    expect(error?.code).to.equal(MessagingErrorCode.invalidMessage);
    await messaging.publish(userDeleted(USER));
    expect(messaging.ready()).to.be.true;
  });

  it('buffers publishes while disconnected and confirms them after the reconnect', async () => {
    const proxy = disposer.add(await startFaultProxy({ host: '127.0.0.1', port: 5672 }), (p) =>
      p.close(),
    );
    const messaging = await started(vhost.urlVia(proxy.port));
    const before = await vhost.messageCount('notifier.deliveries');
    proxy.refuse(true);
    proxy.cut();
    await pollUntil('not ready after the cut', () => !messaging.ready());
    const publishes = Array.from({ length: 20 }, () => messaging.publish(userDeleted(USER)));
    proxy.resume();
    await Promise.all(publishes);
    expect(messaging.ready()).to.be.true;
    expect(await vhost.messageCount('notifier.deliveries')).to.equal(before + 20);
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
      Array.from({ length: 7 }, () => messaging.publish(userDeleted(USER))),
    );
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : 'fulfilled',
    );
    // 5 waited in the buffer until their deadline; 2 were refused at once.
    expect(codes.filter((c) => c === MessagingErrorCode.publishTimeout)).to.have.length(5);
    expect(codes.filter((c) => c === MessagingErrorCode.bufferFull)).to.have.length(2);
  });
});
