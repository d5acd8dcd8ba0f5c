import {
  alerterPartitionQueue,
  EXCHANGES,
  EventType,
  PARTITIONS,
  routingKey,
} from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import { showDeadLetters } from './dlq/dlq-operations.ts';
import { PermanentError } from './errors.ts';
import type { BatchHandler, DeliveryContext, EventOf } from './handlers.ts';
import type { Messaging, MessagingOptions } from './messaging.ts';
import { noopObserver } from './observer.ts';
import { marketTime, priceUpdated, ruleUpdated, tickerPerPartition } from './testing/events.ts';
import { startFaultProxy } from './testing/fault-proxy.ts';
import { Disposer, loggerThrowingOnce, testMessaging, testTopology } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

type Price = EventOf<typeof EventType.priceUpdated>;
const PRICES = [EventType.priceUpdated];
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);
const everywhere = { preferred: ALL, takeoverDelayMs: 0 };

/** A gate a handler can wait on until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** The market times of a batch's ticks: what tests compare orders by. */
const timesOf = (items: readonly { event: Price }[]): string[] =>
  items.map(({ event }) => event.data.marketTime);

describe('messaging: ordered batches on partition queues (real RabbitMQ)', function () {
  this.timeout(60_000);
  let vhost: TestVhost;
  const disposer = new Disposer();
  const tickers = tickerPerPartition();

  before(async () => {
    vhost = await createTestVhost('batches');
  });
  after(async () => {
    await vhost.delete();
  });
  afterEach(() => disposer.disposeAll());

  async function started(
    url: string,
    overrides: Partial<MessagingOptions> = {},
  ): Promise<Messaging> {
    const messaging = disposer.add(testMessaging(url, overrides), (m) => m.close());
    await messaging.start();
    return messaging;
  }

  async function publishTicks(messaging: Messaging, partition: number, count: number) {
    const times = Array.from({ length: count }, (_, i) => marketTime(i));
    for (const time of times) {
      await messaging.publish(priceUpdated(tickers[partition] ?? '', 100, time));
    }
    return times;
  }

  /**
   * Waits until the broker has handed every message of the partition to its consumer (none
   * left ready): a confirm can come before the delivery, and batch contents depend on what
   * arrived.
   */
  async function allDelivered(partition: number): Promise<void> {
    const queue = alerterPartitionQueue(partition);
    await pollUntil('all delivered', async () => (await vhost.messageCount(queue)) === 0);
  }

  async function deadLetters(partition: number) {
    const connection = await vhost.connect();
    try {
      return await showDeadLetters(
        connection,
        testTopology(),
        alerterPartitionQueue(partition),
        20,
      );
    } finally {
      await connection.close();
    }
  }

  it('hands the handler consecutive messages in order, up to maxBatch, and acks them after it resolved', async () => {
    const messaging = await started(vhost.url);
    const batches: string[][] = [];
    const first = gate();
    await messaging.consumePartitionBatches(
      async ({ items }) => {
        batches.push(timesOf(items));
        if (batches.length === 1) await first.wait;
      },
      { types: PRICES, maxBatch: 10, ...everywhere },
    );
    // The rest queue up (and fill the prefetch) while the first batch waits.
    const times = await publishTicks(messaging, 1, 50);
    first.open();
    await pollUntil('all 50 handled', () => batches.flat().length === 50);
    expect(batches.flat()).to.deep.equal(times);
    expect(Math.max(...batches.map((batch) => batch.length))).to.equal(10);
    // Nothing left unacked: closing would otherwise return messages to the queue.
    await messaging.close();
    expect(await vhost.messageCount(alerterPartitionQueue(1))).to.equal(0);
  });

  it('gives an unacked batch, whole and in order, to the standby when the active consumer dies mid-batch', async () => {
    const link = await startFaultProxy({ host: '127.0.0.1', port: 5672 });
    disposer.add(link, (p) => p.close());
    const active = await started(vhost.urlVia(link.port), { service: 'replica-a' });
    const standby = await started(vhost.url, { service: 'replica-b' });
    const stuck = marketTime(25);
    const dead = gate();
    const handledBy = { a: [] as string[], b: [] as string[] };
    let stuckBatch: string[] = [];
    const replica =
      (name: 'a' | 'b'): BatchHandler<Price> =>
      async ({ items }) => {
        const times = timesOf(items);
        if (name === 'a' && times.includes(stuck)) {
          // Dies inside its write: this batch is never acked.
          stuckBatch = times;
          await dead.wait;
          return;
        }
        handledBy[name].push(...times);
        await new Promise((resolve) => setTimeout(resolve, 2));
      };
    const options = { types: PRICES, maxBatch: 5, ...everywhere };
    await active.consumePartitionBatches(replica('a'), options);
    await standby.consumePartitionBatches(replica('b'), options);
    const times = await publishTicks(standby, 7, 60);
    await pollUntil('a is stuck in the batch holding tick 25', () => stuckBatch.length > 0);
    link.refuse(true);
    link.cut();
    await pollUntil('b handled the rest', () => handledBy.b.at(-1) === times.at(-1));
    dead.open();
    const b = handledBy.b;
    const from = times.indexOf(b[0] ?? '');
    // b goes on from where a's acks ended: the unacked batch whole, then the rest in order.
    expect(b).to.deep.equal(times.slice(from));
    expect(from).to.be.at.most(times.indexOf(stuckBatch[0] ?? ''));
    expect(handledBy.a.slice(0, from)).to.deep.equal(times.slice(0, from));
  });

  it('dead-letters invalid messages and types it does not take one by one, before the batch runs', async () => {
    const messaging = await started(vhost.url);
    const partition = 2;
    const ticker = tickers[partition] ?? '';
    const handled: string[][] = [];
    const first = gate();
    await messaging.consumePartitionBatches(
      async ({ items }) => {
        handled.push(timesOf(items));
        if (handled.length === 1) await first.wait;
      },
      { types: PRICES, maxBatch: 10, ...everywhere },
    );
    const tick = (i: number) => priceUpdated(ticker, 100, marketTime(i));
    await messaging.publish(tick(0));
    await pollUntil('the first batch waits', () => handled.length === 1);
    // Behind it: a valid tick, a broken body, a rule event, another tick.
    await messaging.publish(tick(1));
    await messaging.publishMessage({
      exchange: EXCHANGES.events,
      routingKey: routingKey(tick(2)),
      content: Buffer.from('{"specversion":"1.0","type":"tickwatch.price.updated.v1"}'),
      properties: { messageId: 'broken-tick', type: EventType.priceUpdated },
    });
    await messaging.publish(ruleUpdated(ticker, 1));
    await messaging.publish(tick(3));
    first.open();
    await pollUntil('both valid ticks handled', () => handled.flat().length === 3);
    // (Usually one batch [1, 3]: a confirm can come before the delivery, so not always.)
    expect(handled.flat()).to.deep.equal([marketTime(0), marketTime(1), marketTime(3)]);
    const dead = await pollUntil('two dead letters', async () => {
      const views = await deadLetters(partition);
      return views.length === 2 ? views : null;
    });
    expect(dead.map((view) => view.reason.split(':')[0])).to.deep.equal([
      'invalid',
      'unhandled-type',
    ]);
  });

  it('retries a failing batch in place, whole: nothing overtakes it, attempts count up', async () => {
    const messaging = await started(vhost.url);
    const runs: { attempt: number; times: string[]; contexts: number[] }[] = [];
    const first = gate();
    await messaging.consumePartitionBatches(
      async ({ items, attempt }) => {
        runs.push({
          attempt,
          times: timesOf(items),
          contexts: items.map((i) => i.context.attempt),
        });
        if (runs.length === 1) await first.wait;
        else if (runs.length <= 3) throw new Error('mongo primary stepping down');
      },
      { types: PRICES, maxBatch: 10, ...everywhere },
    );
    const times = await publishTicks(messaging, 3, 12);
    first.open();
    await pollUntil('all 12 handled', () => runs.at(-1)?.times.at(-1) === times.at(-1));
    const [, failing, retried, succeeded] = runs;
    expect(retried?.times).to.deep.equal(failing?.times);
    expect(succeeded?.times).to.deep.equal(failing?.times);
    expect([failing, retried, succeeded].map((run) => run?.attempt)).to.deep.equal([1, 2, 3]);
    expect(succeeded?.contexts.every((attempt) => attempt === 3)).to.be.true;
    const handledOnce = runs.filter((run, i) => i === 0 || i >= 3).flatMap((run) => run.times);
    expect(handledOnce).to.deep.equal(times);
  });

  it('isolates the messages that fail: the others of their batch are acked, they alone go to the DLQ', async () => {
    const messaging = await started(vhost.url);
    const partition = 4;
    const applied: string[] = [];
    const calls: string[] = [];
    const first = gate();
    const transientPoison = marketTime(3);
    const permanentPoison = marketTime(7);
    await messaging.consumePartitionBatches(
      async ({ items }) => {
        const times = timesOf(items);
        calls.push(times.map((time) => time.slice(17, 19)).join(','));
        if (calls.length === 1) await first.wait;
        if (times.includes(transientPoison)) throw new Error('cannot evaluate tick 3');
        if (times.includes(permanentPoison)) throw new PermanentError('tick 7 contradicts state');
        applied.push(...times);
      },
      { types: PRICES, maxBatch: 10, ...everywhere },
    );
    const times = await publishTicks(messaging, partition, 11);
    await allDelivered(partition);
    first.open();
    await pollUntil('the last tick applied', () => applied.at(-1) === times.at(-1));
    expect(applied).to.deep.equal(
      times.filter((t) => t !== transientPoison && t !== permanentPoison),
    );
    const batch = '01,02,03,04,05,06,07,08,09,10';
    expect(calls).to.deep.equal([
      '00',
      // Three attempts as a batch, then one at a time until tick 3 fails three times alone...
      ...[batch, batch, batch, '01', '02', '03', '03', '03'],
      // ...then the rest as a batch again: a PermanentError is not retried, isolation at once.
      ...['04,05,06,07,08,09,10', '04', '05', '06', '07', '08,09,10'],
    ]);
    const dead = await pollUntil('two dead letters', async () => {
      const views = await deadLetters(partition);
      return views.length === 2 ? views : null;
    });
    expect(dead.map((view) => view.reason)).to.deep.equal([
      'retries-exhausted: failed 6 times in place, last: cannot evaluate tick 3',
      'permanent: tick 7 contradicts state',
    ]);
    expect(dead.map((view) => view.lastError)).to.deep.equal([
      'cannot evaluate tick 3',
      'tick 7 contradicts state',
    ]);
  });

  it('counts attempts on across a redelivery instead of starting again at 1', async () => {
    const link = await startFaultProxy({ host: '127.0.0.1', port: 5672 });
    disposer.add(link, (p) => p.close());
    const messaging = await started(vhost.urlVia(link.port), {
      // Long enough that the cut comes while the first delivery waits for its retry.
      inPlaceRetry: { attempts: 5, backoff: { initialMs: 5_000, maxMs: 5_000 } },
    });
    const seen: DeliveryContext[] = [];
    await messaging.consumePartitions(
      {
        [EventType.priceUpdated]: async (_event, context) => {
          seen.push(context);
          await Promise.resolve();
          if (seen.length === 1) throw new Error('first attempt fails');
        },
      },
      everywhere,
    );
    await publishTicks(messaging, 5, 1);
    await pollUntil('the first attempt failed', () => seen.length === 1);
    link.cut();
    await pollUntil('redelivered and handled', () => seen.length === 2);
    expect(seen.map((c) => [c.attempt, c.redelivered, c.deliveryCount])).to.deep.equal([
      [1, false, 0],
      [2, true, 1],
    ]);
  });

  it('gives a batch back in order when its delivery path fails unexpectedly, instead of stalling the partition', async () => {
    // A log transport that throws once, inside the in-place retry path: a bug in that path.
    const { logger, thrown } = loggerThrowingOnce('ordered handler failed; retrying in place');
    let reconnected = false;
    const messaging = await started(vhost.url, {
      logger,
      observer: { ...noopObserver, connected: ({ reconnect }) => (reconnected ||= reconnect) },
    });
    const handled: string[] = [];
    let failures = 0;
    await messaging.consumePartitionBatches(
      async ({ items }) => {
        await Promise.resolve();
        if (failures++ === 0) throw new Error('first run fails');
        handled.push(...timesOf(items));
      },
      { types: PRICES, maxBatch: 10, ...everywhere },
    );
    const times = await publishTicks(messaging, 6, 5);
    await pollUntil('handled after the connection was recycled', () => reconnected);
    await pollUntil('all handled', () => handled.length >= 5);
    expect(thrown()).to.be.true;
    expect([...new Set(handled)]).to.deep.equal(times);
  });
});
