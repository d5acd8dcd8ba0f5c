import { EXCHANGES, EventType, QUEUES } from '@tickwatch/contracts';
import { expect } from 'chai';
import { pollUntil } from '../testing/poll-until.ts';
import { PermanentError } from './errors.ts';
import type { MessagingObserver } from './observer.ts';
import { userDeleted } from './testing/events.ts';
import { Disposer, testMessaging } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';

/** Records every hook call as a short line, so a test can assert exactly what fired. */
function recordingObserver(): { observer: MessagingObserver; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    observer: {
      published: (i) => calls.push(`published ${i.exchange} ${i.routingKey}`),
      publishSettled: (i) => calls.push(`settled ${i.exchange} ${i.routingKey} ${i.outcome}`),
      returned: (i) => calls.push(`returned ${i.exchange} ${i.routingKey}`),
      consumed: (i) => calls.push(`consumed ${i.queue} ${i.type} ${i.outcome}`),
      connected: (i) => calls.push(`connected reconnect=${i.reconnect}`),
      reconnecting: (i) => calls.push(`reconnecting attempt=${i.attempt}`),
      blocked: (i) => calls.push(`blocked ${i.reason}`),
      unblocked: () => calls.push('unblocked'),
    },
  };
}

describe('messaging metrics hooks (real RabbitMQ)', function () {
  this.timeout(30_000);
  let vhost: TestVhost;
  const disposer = new Disposer();

  before(async () => {
    vhost = await createTestVhost('observer');
  });
  after(async () => {
    await disposer.disposeAll();
    await vhost.delete();
  });

  it('reports published, confirmed, returned, consumed by outcome with durations, and reconnects', async () => {
    const { observer, calls } = recordingObserver();
    const durations: number[] = [];
    const messaging = disposer.add(
      testMessaging(vhost.url, {
        observer: {
          ...observer,
          consumed: (info) => {
            durations.push(info.durationMs);
            observer.consumed(info);
          },
        },
      }),
      (m) => m.close(),
    );
    await messaging.start();
    expect(calls).to.deep.equal(['connected reconnect=false']);

    let handled = 0;
    await messaging.consume(QUEUES.notifierDeliveries, {
      [EventType.userDeleted]: async (_event, context) => {
        const call = ++handled;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (call === 2) throw new PermanentError('bad');
        if (call === 3 && context.attempt === 1) throw new Error('transient');
      },
    });
    for (let i = 0; i < 3; i++) await messaging.publish(userDeleted(USER));
    await pollUntil(
      'all settled',
      () => calls.filter((c) => c.startsWith('consumed')).length === 4,
    );
    await messaging
      .publishMessage({
        exchange: EXCHANGES.events,
        routingKey: 'no.such.key',
        content: Buffer.from('{}'),
        properties: { messageId: 'x' },
      })
      .catch(() => undefined);
    await vhost.closeAllConnections('test: reconnect hook');
    await pollUntil('reconnected', () => calls.includes('connected reconnect=true'));

    const count = (line: string) => calls.filter((c) => c === line).length;
    const type = EventType.userDeleted;
    expect(count('published tickwatch.events user.deleted')).to.equal(3);
    expect(count('settled tickwatch.events user.deleted confirmed')).to.equal(3);
    expect(count('published tickwatch.dlx notifier.deliveries')).to.equal(1);
    expect(count('published tickwatch.retry.t1 notifier.deliveries')).to.equal(1);
    expect(count(`consumed notifier.deliveries ${type} ack`)).to.equal(2);
    expect(count(`consumed notifier.deliveries ${type} dead-letter`)).to.equal(1);
    expect(count(`consumed notifier.deliveries ${type} retry`)).to.equal(1);
    expect(count('returned tickwatch.events no.such.key')).to.equal(1);
    expect(count('settled tickwatch.events no.such.key returned')).to.equal(1);
    expect(calls.some((c) => c.startsWith('reconnecting attempt=1'))).to.be.true;
    expect(Math.min(...durations)).to.be.greaterThan(0);
  });

  it('keeps messaging working when an observer hook throws', async () => {
    const throwing: MessagingObserver = {
      published: () => {
        throw new Error('metrics broke');
      },
      publishSettled: () => {
        throw new Error('metrics broke');
      },
      returned: () => {},
      consumed: () => {},
      connected: () => {
        throw new Error('metrics broke');
      },
      reconnecting: () => {},
      blocked: () => {},
      unblocked: () => {},
    };
    const messaging = disposer.add(testMessaging(vhost.url, { observer: throwing }), (m) =>
      m.close(),
    );
    await messaging.start();
    await messaging.publish(userDeleted(USER));
    expect(messaging.ready()).to.be.true;
  });
});
