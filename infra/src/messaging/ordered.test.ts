import { alerterPartitionQueue, EventType, partitionOf, PARTITIONS } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import { showDeadLetters } from './dlq/dlq-operations.ts';
import type { Handlers } from './handlers.ts';
import type { Messaging } from './messaging.ts';
import { noopObserver, type ConsumeOutcome, type MessagingObserver } from './observer.ts';
import { marketTime, priceUpdated, tickerPerPartition } from './testing/events.ts';
import { startFaultProxy } from './testing/fault-proxy.ts';
import { Disposer, testMessaging, testTopology } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

/**
 * The alerter's rule: apply a tick only if its market time is newer than the last applied one.
 * A tick handled out of order would make an older one be skipped: a gap in `applied`.
 */
class TickLedger {
  readonly applied = new Map<string, string[]>();
  apply(ticker: string, time: string): void {
    const list = this.applied.get(ticker) ?? [];
    if (list.length === 0 || (list.at(-1) ?? '') < time) list.push(time);
    this.applied.set(ticker, list);
  }
}

describe('messaging: ordered partition consumers (real RabbitMQ)', function () {
  this.timeout(60_000);
  let vhost: TestVhost;
  const disposer = new Disposer();
  const tickers = tickerPerPartition();

  beforeEach(async () => {
    vhost = await createTestVhost('ordered');
  });
  afterEach(async () => {
    await disposer.disposeAll();
    await vhost.delete();
  });

  async function started(url: string, overrides = {}): Promise<Messaging> {
    const messaging = disposer.add(testMessaging(url, overrides), (m) => m.close());
    await messaging.start();
    return messaging;
  }

  it('retries a failing message in place: it keeps its position, the queue waits behind it', async () => {
    const messaging = await started(vhost.url);
    const ticker = tickers[3] ?? '';
    const ledger = new TickLedger();
    const attemptsAt: number[] = [];
    await messaging.consumePartitions(
      {
        [EventType.priceUpdated]: async (event, context) => {
          if (event.data.marketTime === marketTime(4)) {
            attemptsAt.push(context.attempt);
            // Fails twice, succeeds on the third and last in-place attempt.
            if (context.attempt < 3) throw new Error('mongo primary stepping down');
          }
          ledger.apply(event.data.ticker, event.data.marketTime);
          await Promise.resolve();
        },
      },
      { preferred: ALL, takeoverDelayMs: 0 },
    );
    const times = Array.from({ length: 10 }, (_, i) => marketTime(i));
    for (const time of times) await messaging.publish(priceUpdated(ticker, 100, time));
    await pollUntil('ten ticks applied', () => ledger.applied.get(ticker)?.length === 10);
    expect(ledger.applied.get(ticker)).to.deep.equal(times);
    expect(attemptsAt).to.deep.equal([1, 2, 3]);
  });

  it('dead-letters after the last in-place attempt and moves on in order', async () => {
    const messaging = await started(vhost.url);
    const ticker = tickers[5] ?? '';
    const ledger = new TickLedger();
    await messaging.consumePartitions(
      {
        [EventType.priceUpdated]: async (event) => {
          if (event.data.marketTime === marketTime(1)) throw new Error('always fails');
          ledger.apply(event.data.ticker, event.data.marketTime);
          await Promise.resolve();
        },
      },
      { preferred: ALL, takeoverDelayMs: 0 },
    );
    for (let i = 0; i < 4; i++) await messaging.publish(priceUpdated(ticker, 100, marketTime(i)));
    await pollUntil('three ticks applied', () => ledger.applied.get(ticker)?.length === 3);
    expect(ledger.applied.get(ticker)).to.deep.equal([marketTime(0), marketTime(2), marketTime(3)]);
    const connection = await vhost.connect();
    const [dead] = await showDeadLetters(connection, testTopology(), alerterPartitionQueue(5), 10);
    await connection.close();
    expect(dead?.reason).to.equal('retries-exhausted: failed 3 times in place, last: always fails');
  });

  it('after a reconnect, resubscribes a partition only once its earlier run finished: one at a time, in order', async () => {
    const link = await startFaultProxy({ host: '127.0.0.1', port: 5672 });
    disposer.add(link, (p) => p.close());
    let reconnected = false;
    const outcomes: ConsumeOutcome[] = [];
    const observer: MessagingObserver = {
      ...noopObserver,
      connected: ({ reconnect }) => (reconnected ||= reconnect),
      consumed: ({ outcome }) => outcomes.push(outcome),
    };
    const messaging = await started(vhost.urlVia(link.port), { observer });
    const ticker = tickers[2] ?? '';
    const ledger = new TickLedger();
    const starts: string[] = [];
    let running = 0;
    let mostAtOnce = 0;
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const subscription = await messaging.consumePartitions(
      {
        [EventType.priceUpdated]: async (event) => {
          const time = event.data.marketTime;
          const firstRun = !starts.includes(time);
          starts.push(time);
          running += 1;
          mostAtOnce = Math.max(mostAtOnce, running);
          // The first run of tick 2 outlives its connection.
          if (time === marketTime(2) && firstRun) await gate;
          else await Promise.resolve();
          ledger.apply(ticker, time);
          running -= 1;
        },
      },
      { preferred: ALL, takeoverDelayMs: 0 },
    );
    const times = Array.from({ length: 6 }, (_, i) => marketTime(i));
    for (const time of times) await messaging.publish(priceUpdated(ticker, 100, time));
    await pollUntil('tick 2 in its handler', () => starts.includes(marketTime(2)));
    link.cut();
    await pollUntil('reconnected', () => reconnected);
    // The broker would hand tick 2 (then 3...) to a new subscription right away.
    expect(subscription.subscribed(), 'resubscribed while tick 2 still runs').to.be.false;
    openGate();
    await pollUntil('all six applied', () => ledger.applied.get(ticker)?.length === 6);
    expect(ledger.applied.get(ticker)).to.deep.equal(times);
    expect(mostAtOnce).to.equal(1);
    expect(starts).to.deep.equal([...times.slice(0, 3), ...times.slice(2)]);
    // The first run's ack went to its dead channel: reported, not thrown, and redelivered.
    expect(outcomes).to.include('requeue');
    await pollUntil('subscribed again', () => subscription.subscribed());
  });

  it('gives a partition to one consumer only; when it dies the standby takes over, order intact', async () => {
    const link = await startFaultProxy({ host: '127.0.0.1', port: 5672 });
    disposer.add(link, (p) => p.close());
    const first = await started(vhost.urlVia(link.port), { service: 'replica-a' });
    const second = await started(vhost.url, { service: 'replica-b' });
    const ledger = new TickLedger();
    const handledBy: Record<string, number> = { a: 0, b: 0 };
    let aDead = false;
    const handlers = (replica: 'a' | 'b'): Handlers => ({
      [EventType.priceUpdated]: async (event) => {
        // A killed process records nothing more, whatever its in-flight handler was doing.
        if (replica === 'a' && aDead) return;
        handledBy[replica] = (handledBy[replica] ?? 0) + 1;
        ledger.apply(event.data.ticker, event.data.marketTime);
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
    });
    await first.consumePartitions(handlers('a'), { preferred: ALL, takeoverDelayMs: 0 });
    await second.consumePartitions(handlers('b'), { preferred: ALL, takeoverDelayMs: 0 });
    const ticker = tickers[7] ?? '';
    const times = Array.from({ length: 200 }, (_, i) => marketTime(i));
    for (const time of times.slice(0, 100)) await second.publish(priceUpdated(ticker, 100, time));
    await pollUntil('the active replica handled the first hundred', () => handledBy.a === 100);
    expect(handledBy.b).to.equal(0);

    const publishing = (async () => {
      for (const time of times.slice(100)) await second.publish(priceUpdated(ticker, 100, time));
    })();
    await pollUntil('replica a is mid-stream', () => (handledBy.a ?? 0) >= 120);
    aDead = true;
    link.refuse(true);
    link.cut();
    await publishing;
    await pollUntil('all 200 ticks applied', () => ledger.applied.get(ticker)?.length === 200, {
      timeoutMs: 20_000,
    });
    expect(ledger.applied.get(ticker)).to.deep.equal(times);
    expect(handledBy.b).to.be.greaterThan(0);
  });

  it('splits partitions by preference and takes over the others only after a delay', async () => {
    const a = await started(vhost.url, { service: 'replica-a' });
    const link = await startFaultProxy({ host: '127.0.0.1', port: 5672 });
    disposer.add(link, (p) => p.close());
    const b = await started(vhost.urlVia(link.port), { service: 'replica-b' });
    const seenBy = { a: new Set<number>(), b: new Set<number>() };
    const handlers = (replica: 'a' | 'b'): Handlers => ({
      [EventType.priceUpdated]: async (event) => {
        seenBy[replica].add(partitionOf(event.data.ticker));
        await Promise.resolve();
      },
    });
    const low = ALL.filter((p) => p < PARTITIONS / 2);
    const high = ALL.filter((p) => p >= PARTITIONS / 2);
    const subA = await a.consumePartitions(handlers('a'), {
      preferred: low,
      takeoverDelayMs: 1_500,
    });
    const subB = await b.consumePartitions(handlers('b'), {
      preferred: high,
      takeoverDelayMs: 1_500,
    });
    // Once the delayed subscriptions exist, every partition has one active and one standby.
    await pollUntil(
      'both replicas on every partition',
      () => subA.subscribed() && subB.subscribed(),
    );
    for (const p of ALL) await a.publish(priceUpdated(tickers[p] ?? '', 1, marketTime(0)));
    await pollUntil('all partitions handled', () => seenBy.a.size + seenBy.b.size === PARTITIONS);
    expect([...seenBy.a].sort((x, y) => x - y)).to.deep.equal(low);
    expect([...seenBy.b].sort((x, y) => x - y)).to.deep.equal(high);

    // Replica b dies: a, already standing by on b's partitions, takes them over.
    link.refuse(true);
    link.cut();
    for (const p of high) await a.publish(priceUpdated(tickers[p] ?? '', 1, marketTime(1)));
    await pollUntil('a handled the high partitions', () => seenBy.a.size === PARTITIONS);
  });
});
