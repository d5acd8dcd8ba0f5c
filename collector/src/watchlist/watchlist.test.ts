import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { EventType, QUEUES } from '@tickwatch/contracts';
import type { Messaging } from '@tickwatch/infra/messaging';
import { pollUntil } from '@tickwatch/infra/testing';
import {
  leaseEvent,
  ruleEvent,
  silent,
  startHarness,
  userDeletedEvent,
  watchEvent,
  type Harness,
} from '../../test/harness.ts';
import { referenceStore, type ReferenceStore } from './references.ts';
import { watchlistHandlers } from './watchlist-handlers.ts';

describe('watchlist from rule, watch, lease and user events (real broker, embedded MongoDB)', function () {
  this.timeout(20_000);
  let harness: Harness;
  let producer: Messaging;
  let store: ReferenceStore;
  let handled = 0;

  before(async () => {
    harness = await startHarness('collector-watchlist');
    store = referenceStore(harness.connection);
    await store.ensureIndexes();
    const handlers = watchlistHandlers(store, silent);
    // Count handled deliveries, to wait for each batch of events to be applied.
    const counted = Object.fromEntries(
      Object.entries(handlers).map(([type, handler]) => [
        type,
        async (...args: Parameters<typeof handler>) => {
          await (handler as (...a: typeof args) => Promise<void>)(...args);
          handled += 1;
        },
      ]),
    );
    const consumer = harness.messaging();
    await consumer.start();
    await consumer.consume(QUEUES.collectorWatchlist, counted, { prefetch: 50 });
    producer = harness.messaging();
    await producer.start();
  });
  after(async () => {
    await harness.close();
  });

  /** Publishes in order, each confirmed, then waits until all were handled. */
  async function deliver(...events: Parameters<Messaging['publish']>[0][]): Promise<void> {
    const target = handled + events.length;
    for (const event of events) await producer.publish(event);
    await pollUntil(`${events.length} events handled`, () => handled >= target);
  }

  const active = async (at = new Date()) => [...(await store.activeTickers(at))].sort();

  it('collects a ticker while any rule, watch or lease names it; removals are per user', async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const [aliceRule, bobRule] = [randomUUID(), randomUUID()];
    const watchId = randomUUID();
    await deliver(
      ruleEvent(EventType.ruleCreated, {
        id: aliceRule,
        userId: alice,
        ticker: 'AAPL',
        version: 1,
      }),
      ruleEvent(EventType.ruleCreated, { id: bobRule, userId: bob, ticker: 'AAPL', version: 1 }),
      watchEvent(EventType.watchAdded, { watchId, userId: alice, ticker: 'MSFT' }),
      leaseEvent('TSLA', 'gateway:one', new Date(Date.now() + 60_000)),
    );
    expect(await active()).to.deep.equal(['AAPL', 'MSFT', 'TSLA']);

    await deliver(
      ruleEvent(EventType.ruleDeleted, {
        id: aliceRule,
        userId: alice,
        ticker: 'AAPL',
        version: 2,
      }),
    );
    expect(await active(), "Bob's rule still names AAPL").to.include('AAPL');

    await deliver(userDeletedEvent(bob), userDeletedEvent(bob));
    expect(await active()).to.deep.equal(['MSFT', 'TSLA']);
    const bobRows = await harness.connection
      .collection('references')
      .countDocuments({ userId: bob });
    expect(bobRows, "Bob's user id is purged from the tombstones").to.equal(0);

    await deliver(watchEvent(EventType.watchRemoved, { watchId, userId: alice, ticker: 'MSFT' }));
    expect(await active()).to.deep.equal(['TSLA']);
  });

  it('ignores a rule event older than what it stored, and never resurrects a deleted rule', async () => {
    const id = randomUUID();
    await deliver(
      ruleEvent(EventType.ruleCreated, { id, ticker: 'NVDA', version: 1 }),
      ruleEvent(EventType.ruleUpdated, { id, ticker: 'AMD', version: 3 }),
      ruleEvent(EventType.ruleUpdated, { id, ticker: 'INTC', version: 2 }),
    );
    const tickers = await active();
    expect(tickers).to.include('AMD');
    expect(tickers).not.to.include.members(['NVDA', 'INTC']);

    await deliver(
      ruleEvent(EventType.ruleDeleted, { id, ticker: 'AMD', version: 4 }),
      ruleEvent(EventType.ruleUpdated, { id, ticker: 'AMD', version: 3 }),
    );
    expect(await active()).not.to.include('AMD');
  });

  it('keeps a removed watch removed when its add arrives late', async () => {
    const watchId = randomUUID();
    await deliver(
      watchEvent(EventType.watchRemoved, { watchId, userId: randomUUID(), ticker: 'ORCL' }),
      watchEvent(EventType.watchAdded, { watchId, userId: randomUUID(), ticker: 'ORCL' }),
    );
    expect(await active()).not.to.include('ORCL');
  });

  it('lets a lease expire on its own; a late renewal never shortens it; a rule past its expiry stops', async () => {
    const now = Date.now();
    await deliver(
      leaseEvent('SHOP', 'gateway:two', new Date(now + 120_000)),
      leaseEvent('SHOP', 'gateway:two', new Date(now + 30_000)),
      ruleEvent(EventType.ruleCreated, {
        id: randomUUID(),
        ticker: 'UBER',
        version: 1,
        expiresAt: new Date(now + 60_000).toISOString(),
      }),
    );
    expect(await active(new Date(now + 50_000))).to.include.members(['SHOP', 'UBER']);
    expect(await active(new Date(now + 90_000)))
      .to.include('SHOP')
      .and.not.to.include('UBER');
    expect(await active(new Date(now + 121_000))).not.to.include.members(['SHOP', 'UBER']);
  });
});
