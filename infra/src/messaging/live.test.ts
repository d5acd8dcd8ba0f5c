import { randomUUID } from 'node:crypto';
import { EVENT_LOG_STREAM, EventType, QUEUES, type TickwatchEvent } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import type { BrokerConnection } from './broker-channel.ts';
import { MessagingErrorCode } from './errors.ts';
import { readEventLog } from './event-log.ts';
import { priceUpdated, userDeleted } from './testing/events.ts';
import { Disposer, testMessaging, testTopology } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';
import { withQueues } from './topology/model.ts';
import { gatewayLiveQueueSpec } from './topology/tickwatch.ts';

describe('messaging: a gateway’s live queue and the event log (real RabbitMQ)', function () {
  let vhost: TestVhost;
  let inspector: BrokerConnection;
  const disposer = new Disposer();

  before(async () => {
    vhost = await createTestVhost('live');
    inspector = await vhost.connect();
  });
  after(async () => {
    await disposer.disposeAll();
    await inspector.close();
    await vhost.delete();
  });

  /** 404: no such queue. 405: it exists but is exclusive to another connection. */
  async function exists(queue: string): Promise<boolean> {
    const channel = await inspector.openChannel({ closed: () => {} }, { confirm: false });
    try {
      await channel.checkQueue(queue);
      await channel.close();
      return true;
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 404 || code === 405) return code === 405;
      throw error;
    }
  }

  /** A started messaging layer with the live queue of gateway instance `instance`. */
  async function startWithLiveQueue(instance: string) {
    const live = gatewayLiveQueueSpec(instance);
    const messaging = disposer.add(
      testMessaging(vhost.url, { topology: withQueues(testTopology(), [live]) }),
      (m) => m.close(),
    );
    await messaging.start();
    return { live, messaging };
  }

  it('fans events out to the live queue, drops what its handler cannot take, and vanishes with the process', async () => {
    const { live, messaging } = await startWithLiveQueue('gw-test');
    const seen: string[] = [];
    await messaging.consume(live.name, {
      [EventType.priceUpdated]: async (event) => {
        await Promise.resolve();
        if (event.data.ticker === 'FAIL') throw new Error('subscriber gone');
        seen.push(event.data.ticker);
      },
    });
    for (const ticker of ['AAPL', 'FAIL', 'MSFT']) await messaging.publish(priceUpdated(ticker, 1));
    await pollUntil('two delivered live', () => seen.length === 2);
    expect(seen).to.deep.equal(['AAPL', 'MSFT']);
    expect(await exists(live.name)).to.be.true;
    expect(await exists(`${live.name}.dlq`)).to.be.false; // no DLQ: lossy by design
    await messaging.close();
    await pollUntil('the exclusive queue is gone', async () => !(await exists(live.name)));
  });

  it('acks a live queue’s deliveries in gathered frames the broker takes, which keep its prefetch flowing', async () => {
    const { live, messaging } = await startWithLiveQueue('gw-acks');
    const seen: number[] = [];
    // Prefetch 4: the broker sends a fifth only once acks came back.
    await messaging.consume(
      live.name,
      {
        [EventType.priceUpdated]: (event) => {
          seen.push(event.data.price);
          return Promise.resolve();
        },
      },
      { prefetch: 4 },
    );
    const prices = Array.from({ length: 25 }, (_, i) => i + 1);
    for (const price of prices) await messaging.publish(priceUpdated('AAPL', price));
    await pollUntil('every event delivered', () => seen.length === prices.length);
    // In order, each once: a wrong multiple ack would have closed the channel (406) and the
    // broker would have delivered the unacked ones again.
    expect(seen).to.deep.equal(prices);
  });

  it('keeps every consumed event in the tickwatch.log stream, readable from the start', async () => {
    const messaging = disposer.add(testMessaging(vhost.url), (m) => m.close());
    await messaging.start();
    const event = priceUpdated('AAPL', 2);
    await messaging.publish(event);
    // Reading a stream: a consumer with prefetch and an offset (here: from the first entry).
    const channel = await inspector.openChannel({ closed: () => {} }, { confirm: false });
    await channel.prefetch(100);
    const logged: (string | undefined)[] = [];
    await channel.consume(
      EVENT_LOG_STREAM,
      (message) => {
        logged.push(message.messageId);
        channel.ack(message.deliveryTag);
      },
      { arguments: { 'x-stream-offset': 'first' }, cancelled: () => {} },
    );
    await pollUntil('the event is in the log', () => logged.includes(event.id));
    await channel.close();
  });

  it('holds a publish the broker nacked, and its retry: the log can hold an event twice, so its readers dedupe by event id', async () => {
    const messaging = disposer.add(testMessaging(vhost.url), (m) => m.close());
    await messaging.start();
    await vhost.setQueuePolicy('full', `^${QUEUES.notifierDeliveries}$`, { 'max-length': 1 });
    disposer.add(QUEUES.notifierDeliveries, async (queue) => {
      await vhost.clearQueuePolicy('full');
      await vhost.purge(queue);
    });
    // The stream stores the message before the full queue makes the broker nack it.
    const refused = await pollUntil('a publish nacked', async () => {
      const event = userDeleted(randomUUID());
      const code = await messaging.publish(event).then(
        () => null,
        (error: unknown) => (error as { code?: string }).code,
      );
      return code === MessagingErrorCode.nacked ? event : null;
    });
    // Room for one again: the retry is accepted.
    await vhost.purge(QUEUES.notifierDeliveries);
    // What a producer does with a nack (the outbox relay, the collector): the same event again.
    await pollUntil('the retry confirmed', () =>
      messaging.publish(refused).then(
        () => true,
        () => false,
      ),
    );
    const logged: TickwatchEvent[] = [];
    await readEventLog({
      url: vhost.url,
      idleMs: 500,
      onBatch: (events) => {
        logged.push(...events);
        return Promise.resolve();
      },
    });
    expect(logged.filter((event) => event.id === refused.id).length).to.be.at.least(2);
  });
});
