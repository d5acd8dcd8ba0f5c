import { EventType, QUEUES } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import { connectAmqplib } from './amqplib-adapter.ts';
import { MessagingErrorCode } from './errors.ts';
import type { Messaging } from './messaging.ts';
import { noopObserver, type MessagingObserver } from './observer.ts';
import { declareTopology } from './topology/declare.ts';
import { userDeleted } from './testing/events.ts';
import { startFaultProxy, type FaultProxy } from './testing/fault-proxy.ts';
import { Disposer, holds, testMessaging, testTopology } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

const QUEUE = QUEUES.notifierDeliveries;
const silentObserver: MessagingObserver = noopObserver;
const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';

describe('messaging resilience: cuts, stalls, shutdown (real RabbitMQ)', function () {
  this.timeout(60_000);
  let vhost: TestVhost;
  const disposer = new Disposer();

  before(async () => {
    vhost = await createTestVhost('resilience');
    const connection = await vhost.connect();
    await declareTopology(connection, testTopology());
    await connection.close();
  });
  after(async () => {
    await vhost.delete();
  });
  // A connection per use (vhost.purge, vhost.messageCount): a rabbitmqctl cut would break a
  // long-lived one.
  beforeEach(() => vhost.purge(QUEUE, `${QUEUE}.dlq`));
  afterEach(() => disposer.disposeAll());

  const proxy = async (): Promise<FaultProxy> =>
    disposer.add(await startFaultProxy({ host: '127.0.0.1', port: 5672 }), (p) => p.close());

  async function started(url: string, overrides = {}): Promise<Messaging> {
    const messaging = disposer.add(testMessaging(url, overrides), (m) => m.close());
    await messaging.start();
    return messaging;
  }

  /**
   * Publishes with up to `window` in flight until `done()` says so; every publish that
   * resolved (the broker confirmed it) is recorded.
   */
  async function publishUntil(
    messaging: Messaging,
    done: (confirmed: number) => boolean,
    onConfirmed: (id: string, index: number) => void,
    window = 50,
  ): Promise<void> {
    let next = 0;
    let confirmed = 0;
    const worker = async (): Promise<void> => {
      while (!done(confirmed) && next < 50_000) {
        const index = next++;
        const event = userDeleted(USER);
        await messaging.publish(event);
        confirmed += 1;
        onConfirmed(event.id, index);
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
  }

  /** Consumer recording every event id it handled (at least once semantics: a Set). */
  async function recordingConsumer(messaging: Messaging, seen: Set<string>): Promise<void> {
    await messaging.consume(
      QUEUE,
      {
        [EventType.userDeleted]: async (event) => {
          seen.add(event.id);
          await Promise.resolve();
        },
      },
      { prefetch: 20 },
    );
  }

  const cuts = [
    {
      how: 'the TCP fault proxy resets every connection',
      cut: (p: FaultProxy) => {
        p.cut();
        return Promise.resolve();
      },
      // A reset loses what was on the wire: whatever the other 49 workers had in flight.
      catchesPublishesInFlight: true,
    },
    {
      how: 'the broker closes the vhost’s connections (rabbitmqctl)',
      cut: () => vhost.closeAllConnections('test: cut mid-stream'),
      // A graceful close: the broker may confirm everything it read before its close frame,
      // and the client processes that frame before its next writes. Nothing need be resent.
      catchesPublishesInFlight: false,
    },
  ];

  for (const { how, cut, catchesPublishesInFlight } of cuts) {
    it(`loses no confirmed message when ${how} mid-stream, publisher and consumer alike`, async () => {
      const link = await proxy();
      const reconnected = new Set<string>();
      let writes = 0;
      const observing = (name: string): MessagingObserver => ({
        ...silentObserver,
        published: () => {
          if (name === 'publisher') writes += 1;
        },
        connected: ({ reconnect }) => {
          if (reconnect) reconnected.add(name);
        },
      });
      const publisher = await started(vhost.urlVia(link.port), {
        service: 'test-publisher',
        observer: observing('publisher'),
      });
      const consumer = await started(vhost.urlVia(link.port), {
        service: 'test-consumer',
        observer: observing('consumer'),
      });
      const seen = new Set<string>();
      await recordingConsumer(consumer, seen);
      const confirmed: string[] = [];
      let cutDone: Promise<void> | undefined;
      let confirmedAtReconnect = 0;
      // Keep the stream going across the cut until both sides are back and 300 more went through.
      await publishUntil(
        publisher,
        (count) => {
          if (reconnected.size < 2) return false;
          confirmedAtReconnect ||= count;
          return count >= confirmedAtReconnect + 300;
        },
        (id, index) => {
          confirmed.push(id);
          if (index === 500) cutDone = cut(link);
        },
      );
      await cutDone;
      await pollUntil(
        'every confirmed event consumed',
        () =>
          holds(
            confirmed.every((id) => seen.has(id)),
            () =>
              `${confirmed.filter((id) => !seen.has(id)).length} of ${confirmed.length} missing`,
          ),
        { timeoutMs: 30_000 },
      );
      await pollUntil('both ready', () => publisher.ready() && consumer.ready());
      // The cut caught publishes in flight: they were written again after the reconnect.
      if (catchesPublishesInFlight) expect(writes).to.be.greaterThan(confirmed.length);
      else expect(writes).to.be.at.least(confirmed.length);
    });
  }

  it('notices a stalled link by missed heartbeats, reconnects and carries on', async () => {
    const link = await proxy();
    const states: string[] = [];
    const observer: MessagingObserver = {
      ...silentObserver,
      connected: ({ reconnect }) => states.push(reconnect ? 'reconnected' : 'connected'),
      reconnecting: () => states.push('reconnecting'),
    };
    const messaging = await started(vhost.urlVia(link.port), { observer });
    expect(messaging.ready()).to.be.true;
    link.stall();
    await pollUntil('not ready once heartbeats are missed', () => !messaging.ready(), {
      timeoutMs: 10_000,
    });
    const publishedWhileStalled = messaging.publish(userDeleted(USER));
    link.resume();
    await publishedWhileStalled;
    await pollUntil('ready again', () => messaging.ready());
    expect(states[0]).to.equal('connected');
    expect(states).to.include('reconnecting');
    expect(states.at(-1)).to.equal('reconnected');
  });

  it('keeps publishing confirmed and in order over a slow link', async () => {
    const link = await proxy();
    const messaging = await started(vhost.urlVia(link.port));
    const seen: string[] = [];
    await messaging.consume(
      QUEUE,
      {
        [EventType.userDeleted]: async (event) => {
          seen.push(event.id);
          await Promise.resolve();
        },
      },
      { prefetch: 1 },
    );
    link.slow(30);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const event = userDeleted(USER);
      ids.push(event.id);
      await messaging.publish(event);
    }
    await pollUntil('all ten consumed', () => seen.length === 10);
    expect(seen).to.deep.equal(ids);
  });

  it('shuts down cleanly: stops consuming, lets running handlers finish and ack, then closes', async () => {
    const messaging = await started(vhost.url);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started_: string[] = [];
    const finished: string[] = [];
    await messaging.consume(
      QUEUE,
      {
        [EventType.userDeleted]: async (event) => {
          started_.push(event.id);
          await gate;
          finished.push(event.id);
        },
      },
      { prefetch: 3 },
    );
    for (let i = 0; i < 5; i++) await messaging.publish(userDeleted(USER));
    await pollUntil('three handlers running', () => started_.length === 3);
    const closing = messaging.close();
    setTimeout(release, 100);
    await closing;
    expect(finished).to.have.members(started_);
    expect(messaging.state).to.equal('closed');
    // The three in flight were acked; the two never delivered are still there, none redelivered.
    expect(await vhost.messageCount(QUEUE)).to.equal(2);
    const error = await messaging.publish(userDeleted(USER)).then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).to.equal(MessagingErrorCode.closed);
  });

  it('closes within its bounds when the link stalls, even with a handler that never finishes', async () => {
    const link = await proxy();
    // Heartbeats far apart: nothing but close()'s own deadlines can end the waits below.
    const messaging = await started(vhost.urlVia(link.port), {
      heartbeatSeconds: 60,
      connectTimeoutMs: 1_000,
      shutdownTimeoutMs: 1_000,
    });
    const handling: string[] = [];
    await messaging.consume(QUEUE, {
      [EventType.userDeleted]: async (event) => {
        handling.push(event.id);
        await new Promise<never>(() => {});
      },
    });
    await messaging.publish(userDeleted(USER));
    await pollUntil('the handler is running', () => handling.length === 1);
    link.stall();
    const startedAt = performance.now();
    // Cancel, drain and the channel and connection handshakes all go unanswered.
    await messaging.close();
    expect(performance.now() - startedAt).to.be.below(1_000 + 1_000 + 1_500);
    expect(messaging.state).to.equal('closed');
  });

  it('closes when the connection dies in the middle of its close handshake', async () => {
    const link = await proxy();
    const messaging = await started(vhost.urlVia(link.port), {
      heartbeatSeconds: 60,
      connectTimeoutMs: 1_000,
    });
    link.stall();
    const closing = messaging.close();
    // The broker never sees connection.close; the socket dies before any close-ok.
    await pollUntil('closing', () => messaging.state === 'closing');
    link.cut();
    const startedAt = performance.now();
    await closing;
    expect(performance.now() - startedAt).to.be.below(1_000 + 1_500);
    expect(messaging.state).to.equal('closed');
  });

  it('is ready again within about one backoff cap after the broker returns from an outage', async () => {
    const link = await proxy();
    const cap = 400;
    const delays: number[] = [];
    let reconnected = 0;
    const observer: MessagingObserver = {
      ...silentObserver,
      reconnecting: ({ delayMs }) => delays.push(delayMs),
      connected: ({ reconnect }) => {
        if (reconnect) reconnected += 1;
      },
    };
    const messaging = await started(vhost.urlVia(link.port), {
      observer,
      reconnect: { initialMs: 50, maxMs: cap },
    });
    // The outage: the open connection is reset and every new one is dropped at once.
    link.refuse(true);
    link.cut();
    // Long enough for the backoff to reach its cap and stay there (50, 100, 200, then the cap
    // ±20 %), counted in attempts rather than seconds.
    await pollUntil('three attempts at the cap', () =>
      holds(delays.length >= 6, () => `${delays.length} attempts so far`),
    );
    expect(messaging.ready()).to.equal(false);
    const attemptsBeforeReturn = delays.length;
    link.resume();
    await pollUntil('ready again', () => messaging.ready(), { timeoutMs: 15_000 });
    // The wait scheduled before the broker came back ends it (at most one more, when an attempt
    // was being refused just then), and no wait is longer than the cap: ready within about a cap.
    expect(delays.length - attemptsBeforeReturn).to.be.at.most(1);
    expect(Math.max(...delays)).to.be.at.most(cap);
    expect(delays.slice(3).every((delay) => delay >= (cap / 1.2) * 0.8)).to.equal(true);
    expect(reconnected).to.equal(1);
    await messaging.publish(userDeleted(USER));
  });

  it('fails start-up with a clear error when the broker stays unreachable, and stops retrying', async () => {
    const link = await proxy();
    link.refuse(true);
    let attempts = 0;
    const reconnect = { initialMs: 50, maxMs: 200 };
    const messaging = testMessaging(vhost.urlVia(link.port), {
      startTimeoutMs: 800,
      reconnect,
      connector: (connectOptions) => {
        attempts += 1;
        return connectAmqplib(connectOptions);
      },
    });
    const error = await messaging.start().then(
      () => null,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error?.code).to.equal(MessagingErrorCode.startTimeout);
    expect(error?.message).to.match(/not ready within 800 ms/);
    expect(messaging.state).to.equal('closed');
    expect(attempts).to.be.greaterThan(2); // it did retry, with backoff, meanwhile
    const after = attempts;
    link.resume();
    // Nothing to wait for but time: twice the longest backoff, in which a leftover timer fires.
    await new Promise((resolve) => setTimeout(resolve, 2 * reconnect.maxMs));
    expect(attempts).to.equal(after); // and nothing keeps retrying once it gave up
  });
});
