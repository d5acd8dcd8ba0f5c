import { EVENT_LOG_STREAM, EventType } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import type { BrokerConnection } from './broker-channel.ts';
import { priceUpdated } from './testing/events.ts';
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

  it('fans events out to the live queue, drops what its handler cannot take, and vanishes with the process', async () => {
    const live = gatewayLiveQueueSpec('gw-test');
    const messaging = disposer.add(
      testMessaging(vhost.url, { topology: withQueues(testTopology(), [live]) }),
      (m) => m.close(),
    );
    await messaging.start();
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
});
