import { EXCHANGES, EventType, QUEUES } from '@tickwatch/contracts';
import { expect } from 'chai';
import { PermanentError } from '../messaging/errors.ts';
import {
  createTestVhost,
  Disposer,
  testMessaging,
  userDeleted,
  type TestVhost,
} from '../messaging/testing/index.ts';
import { createLogger } from '../log.ts';
import { startService } from '../service.ts';
import { pollUntil } from '../testing/poll-until.ts';
import { messagingMetrics } from './messaging-metrics.ts';
import { createMetricsRegistry } from './metrics.ts';

const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';

/** The sample lines of `/metrics` (Prometheus text) whose name starts with `prefix`. */
const samples = (text: string, prefix: string) =>
  text.split('\n').filter((line) => line.startsWith(prefix));

describe('messaging metrics on /metrics (real RabbitMQ)', function () {
  this.timeout(30_000);
  let vhost: TestVhost;
  const disposer = new Disposer();
  before(async () => {
    vhost = await createTestVhost('messaging-metrics');
  });
  after(async () => {
    await disposer.disposeAll();
    await vhost.delete();
  });

  it('counts publishes and deliveries by outcome, handler time per queue, and reconnects', async () => {
    const metrics = createMetricsRegistry();
    const messaging = testMessaging(vhost.url, { observer: messagingMetrics(metrics) });
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
    const scrape = async () => (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();

    let handled = 0;
    await messaging.consume(QUEUES.notifierDeliveries, {
      [EventType.userDeleted]: (_event, context) => {
        const call = ++handled;
        if (call === 2) throw new PermanentError('unknown user');
        if (call === 3 && context.attempt === 1) throw new Error('SMTP down');
        return Promise.resolve();
      },
    });
    for (let i = 0; i < 3; i++) await messaging.publish(userDeleted(USER));
    await messaging
      .publishMessage({
        exchange: EXCHANGES.events,
        routingKey: 'no.such.key',
        content: Buffer.from('{}'),
        properties: { messageId: 'x' },
      })
      .catch(() => undefined);
    const consumed = 'tickwatch_messaging_consumed_total{queue="notifier.deliveries"';
    await pollUntil('the retried delivery acked', async () =>
      (await scrape()).includes(`${consumed},type="${EventType.userDeleted}",outcome="ack"} 2`),
    );
    await vhost.closeAllConnections('test: reconnect');
    await pollUntil('reconnected', async () =>
      (await scrape()).includes('tickwatch_messaging_reconnects_total 1'),
    );

    const text = await scrape();
    expect(samples(text, 'tickwatch_messaging_publish_outcomes_total')).to.include.members([
      'tickwatch_messaging_publish_outcomes_total{exchange="tickwatch.events",outcome="confirmed"} 3',
      'tickwatch_messaging_publish_outcomes_total{exchange="tickwatch.events",outcome="returned"} 1',
      'tickwatch_messaging_publish_outcomes_total{exchange="tickwatch.events",outcome="nacked"} 0',
      'tickwatch_messaging_publish_outcomes_total{exchange="tickwatch.events",outcome="timeout"} 0',
    ]);
    expect(samples(text, 'tickwatch_messaging_published_total')).to.include(
      'tickwatch_messaging_published_total{exchange="tickwatch.events"} 4',
    );
    expect(samples(text, consumed)).to.have.members([
      `${consumed},type="${EventType.userDeleted}",outcome="ack"} 2`,
      `${consumed},type="${EventType.userDeleted}",outcome="dead-letter"} 1`,
      `${consumed},type="${EventType.userDeleted}",outcome="retry"} 1`,
    ]);
    expect(samples(text, 'tickwatch_messaging_handler_duration_seconds_count')).to.deep.equal([
      'tickwatch_messaging_handler_duration_seconds_count{queue="notifier.deliveries"} 4',
    ]);
    expect(samples(text, 'tickwatch_messaging_connected ')).to.deep.equal([
      'tickwatch_messaging_connected 1',
    ]);
    expect(samples(text, 'tickwatch_messaging_connection_failures_total')).to.have.length(1);
    expect(text).not.to.include('no.such.key');
  });

  it('counts every gateway live queue as one series, and declares once per registry', () => {
    const metrics = createMetricsRegistry();
    const observer = messagingMetrics(metrics);
    expect(messagingMetrics(metrics)).to.equal(observer);
    observer.consumed({
      queue: 'gateway.live.host-1-abc',
      type: EventType.priceUpdated,
      outcome: 'dropped',
      durationMs: 0,
    });
    observer.consumed({
      queue: 'gateway.live.host-2-def',
      type: EventType.priceUpdated,
      outcome: 'dropped',
      durationMs: 0,
    });
    return metrics.registry.metrics().then((text) => {
      expect(samples(text, 'tickwatch_messaging_consumed_total')).to.deep.equal([
        `tickwatch_messaging_consumed_total{queue="gateway.live",type="${EventType.priceUpdated}",outcome="dropped"} 2`,
      ]);
      // Handlers that never ran are not timed.
      expect(samples(text, 'tickwatch_messaging_handler_duration_seconds_count')).to.deep.equal([]);
    });
  });
});
