import { EXCHANGES, EventType, HEADERS, QUEUES, type TickwatchEvent } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import type { BrokerConnection } from './broker-channel.ts';
import { showDeadLetters } from './dlq/dlq-operations.ts';
import { declareTopology } from './topology/declare.ts';
import { PermanentError } from './errors.ts';
import type { DeliveryContext } from './handlers.ts';
import type { Messaging, MessagingOptions } from './messaging.ts';
import { noopObserver } from './observer.ts';
import { priceUpdated, userDeleted } from './testing/events.ts';
import {
  Disposer,
  loggerThrowingOnce,
  TEST_TIERS,
  testMessaging,
  testTopology,
} from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';
const NOTIFIER = QUEUES.notifierDeliveries;

describe('messaging consumer: acks, retry tiers, DLQ (real RabbitMQ)', function () {
  let vhost: TestVhost;
  let inspector: BrokerConnection;
  const disposer = new Disposer();

  before(async () => {
    vhost = await createTestVhost('consumer');
    inspector = await vhost.connect();
    await declareTopology(inspector, testTopology());
  });
  after(async () => {
    await inspector.close();
    await vhost.delete();
  });
  afterEach(() => disposer.disposeAll());

  async function started(overrides: Partial<MessagingOptions> = {}): Promise<Messaging> {
    const messaging = disposer.add(testMessaging(vhost.url, overrides), (m) => m.close());
    await messaging.start();
    return messaging;
  }

  const deadLetters = (queue: string) => showDeadLetters(inspector, testTopology(), queue, 100);

  beforeEach(() => vhost.purge(NOTIFIER, `${NOTIFIER}.dlq`));

  it('hands handlers the typed event and a context, and acks after the handler resolved', async () => {
    const messaging = await started();
    const seen: { event: TickwatchEvent; context: DeliveryContext }[] = [];
    await messaging.consume(
      NOTIFIER,
      {
        [EventType.userDeleted]: async (event, context) => {
          seen.push({ event, context });
          await Promise.resolve();
        },
      },
      { prefetch: 5 },
    );
    const event = userDeleted(USER);
    await messaging.publish(event, {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    await pollUntil('the handler ran', () => seen.length === 1);
    const [{ event: received, context }] = seen as [(typeof seen)[0]];
    expect(received).to.deep.equal(event);
    expect(context).to.include({
      queue: NOTIFIER,
      attempt: 1,
      redelivered: false,
      routingKey: 'user.deleted',
    });
    expect(context.headers[HEADERS.traceparent]).to.equal(
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
    await pollUntil(
      'the queue is empty (acked)',
      async () => (await vhost.messageCount(NOTIFIER)) === 0,
    );
  });

  it('sends a poison message to the DLQ within one delivery, with the reason, and keeps going', async () => {
    const messaging = await started();
    const handled: string[] = [];
    await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: async (event) => {
        handled.push(event.id);
        await Promise.resolve();
      },
    });
    // Bytes a buggy producer could send: valid JSON, but `data.userId` is not a UUID.
    const poison = { ...userDeleted(USER), data: { userId: 'not-a-uuid' } };
    await messaging.publishMessage({
      exchange: EXCHANGES.events,
      routingKey: 'user.deleted',
      content: Buffer.from(JSON.stringify(poison)),
      properties: { messageId: poison.id, type: poison.type },
    });
    const after = userDeleted(USER);
    await messaging.publish(after);
    await pollUntil('the next message was handled', () => handled.includes(after.id));
    expect(handled).to.deep.equal([after.id]);
    const [dead, ...rest] = await pollUntil('the poison message in the DLQ', async () => {
      const views = await deadLetters(NOTIFIER);
      return views.length > 0 ? views : null;
    });
    expect(rest).to.be.empty;
    expect(dead?.messageId).to.equal(poison.id);
    expect(dead?.reason).to.match(/^invalid: data\.userId: /);
    expect(dead?.routingKey).to.equal('user.deleted');
    expect(dead?.attempts).to.equal(0);
    expect(dead?.deaths).to.be.empty; // dead-lettered by us, with a reason, not by the broker
  });

  it('dead-letters at once on a PermanentError, without retry tiers', async () => {
    const messaging = await started();
    let calls = 0;
    await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: async () => {
        calls += 1;
        await Promise.resolve();
        throw new PermanentError('user was never registered here');
      },
    });
    await messaging.publish(userDeleted(USER));
    const [dead] = await pollUntil('the DLQ holds it', async () => {
      const views = await deadLetters(NOTIFIER);
      return views.length > 0 ? views : null;
    });
    expect(calls).to.equal(1);
    expect(dead?.reason).to.equal('permanent: user was never registered here');
    expect(dead?.attempts).to.equal(1);
  });

  it('dead-letters an event type the queue has no handler for', async () => {
    const messaging = await started();
    await messaging.consume(NOTIFIER, {});
    await messaging.publish(userDeleted(USER));
    const [dead] = await pollUntil('the DLQ holds it', async () => {
      const views = await deadLetters(NOTIFIER);
      return views.length > 0 ? views : null;
    });
    expect(dead?.reason).to.equal(
      `unhandled-type: no handler for ${EventType.userDeleted} on ${NOTIFIER}`,
    );
  });

  it('retries a failing handler through every tier, then dead-letters it with the last error', async () => {
    const messaging = await started();
    const attempts: DeliveryContext[] = [];
    await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: async (_event, context) => {
        attempts.push(context);
        await Promise.resolve();
        throw new Error(`smtp down (attempt ${context.attempt})`);
      },
    });
    await messaging.publish(userDeleted(USER));
    const [dead] = await pollUntil('the DLQ holds it', async () => {
      const views = await deadLetters(NOTIFIER);
      return views.length > 0 ? views : null;
    });
    expect(attempts.map((c) => c.attempt)).to.deep.equal([1, 2, 3, 4]);
    // The retry hop replaces the routing key; the context still gives the original.
    expect(attempts.map((c) => c.routingKey)).to.deep.equal(Array(4).fill('user.deleted'));
    expect(dead?.reason).to.equal(
      `retries-exhausted: failed ${TEST_TIERS.length + 1} times, last: smtp down (attempt 4)`,
    );
    expect(dead?.attempts).to.equal(4);
    // This failure's error, the same as the reason's: not the one the last retry hop recorded.
    expect(dead?.lastError).to.equal('smtp down (attempt 4)');
    expect(dead?.deaths.map((d) => d.queue)).to.have.members(
      TEST_TIERS.map((t) => `tickwatch.wait.${t.name}`),
    );
  });

  it('truncates a huge error message in the header', async () => {
    const messaging = await started();
    await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: async () => {
        await Promise.resolve();
        throw new PermanentError('x'.repeat(100_000));
      },
    });
    await messaging.publish(userDeleted(USER));
    const [dead] = await pollUntil('the DLQ holds it', async () => {
      const views = await deadLetters(NOTIFIER);
      return views.length > 0 ? views : null;
    });
    expect(dead?.reason.length).to.equal(1024);
    expect(dead?.reason.endsWith('…')).to.be.true;
  });

  it('consumes per-ticker events by type, whatever the partition in the routing key', async () => {
    const messaging = await started();
    const tickers: string[] = [];
    await messaging.consume(QUEUES.gatewayReadModels, {
      [EventType.priceUpdated]: async (event) => {
        tickers.push(event.data.ticker);
        await Promise.resolve();
      },
    });
    await Promise.all(
      ['AAPL', 'BRK.B', 'RDS.A'].map((t) => messaging.publish(priceUpdated(t, 10))),
    );
    await pollUntil('three quotes handled', () => tickers.length === 3);
    expect(tickers).to.have.members(['AAPL', 'BRK.B', 'RDS.A']);
  });

  it('resumes consuming when the broker cancels it because its queue was deleted', async () => {
    let reconnected = false;
    const messaging = await started({
      observer: { ...noopObserver, connected: ({ reconnect }) => (reconnected ||= reconnect) },
    });
    const handled: string[] = [];
    await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: async (event) => {
        handled.push(event.id);
        await Promise.resolve();
      },
    });
    await vhost.deleteQueue(NOTIFIER);
    // The cancel recycles the connection: the queue is declared again and consumed again.
    await pollUntil('reconnected after the cancel', () => reconnected);
    const event = userDeleted(USER);
    await messaging.publish(event);
    await pollUntil('handled after the queue came back', () => handled.includes(event.id));
  });

  it('lets the broker dead-letter a message that was delivered 20 times unacked (crash-loop guard)', async () => {
    const messaging = await started();
    const event = userDeleted(USER);
    await messaging.publish(event);
    // A consumer that dies on this message every time: each return counts as a delivery.
    const channel = await inspector.openChannel({ closed: () => {} }, { confirm: false });
    await channel.prefetch(1);
    let deliveries = 0;
    await channel.consume(
      NOTIFIER,
      (message) => {
        deliveries += 1;
        channel.nack(message.deliveryTag, true);
      },
      { cancelled: () => {} },
    );
    const [dead] = await pollUntil('the broker dead-lettered it', async () => {
      const views = await deadLetters(NOTIFIER);
      return views.length > 0 ? views : null;
    });
    await channel.close();
    expect(deliveries).to.equal(21);
    expect(dead?.messageId).to.equal(event.id);
    expect(dead?.reason).to.equal(`broker: delivery_limit in ${NOTIFIER}`);
    expect(dead?.routingKey).to.equal('user.deleted');
  });

  it('gives a message back when its delivery path fails unexpectedly, instead of leaving it unacked', async () => {
    const { logger, thrown } = loggerThrowingOnce('handler failed; retrying through a tier');
    const messaging = await started({ logger });
    const seen: DeliveryContext[] = [];
    await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: async (_event, context) => {
        seen.push(context);
        await Promise.resolve();
        if (seen.length < 3) throw new Error('smtp down');
      },
    });
    await messaging.publish(userDeleted(USER));
    await pollUntil('handled on the third try', () => seen.length === 3);
    // The first failure's retry path broke (the log call threw): the message was nacked and
    // redelivered at once, then retried through a tier as usual.
    expect(thrown()).to.be.true;
    expect(seen.map((c) => [c.attempt, c.redelivered])).to.deep.equal([
      [1, false],
      [1, true],
      [2, false],
    ]);
    await pollUntil('acked', async () => (await vhost.messageCount(NOTIFIER)) === 0);
  });
});
