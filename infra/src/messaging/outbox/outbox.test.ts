import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  createEvent,
  derivedEventId,
  EventType,
  HEADERS,
  QUEUES,
  type TickwatchEvent,
} from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { expect } from 'chai';
import mongoose, { Schema } from 'mongoose';
import { createLogger } from '../../log.ts';
import { pollUntil } from '../../testing/poll-until.ts';
import type { DeliveryContext } from '../handlers.ts';
import { insertOnce } from '../idempotency/insert-once.ts';
import type { Messaging } from '../messaging.ts';
import { Disposer, testMessaging } from '../testing/fixtures.ts';
import { startFaultProxy } from '../testing/fault-proxy.ts';
import { describeOnMongoTargets } from '../testing/mongo-targets.ts';
import { accountModel, type Account } from '../testing/outbox-model.ts';
import { createTestVhost, type TestVhost } from '../testing/test-vhost.ts';
import { outboxFieldsFor, withOutbox, withOutboxListsOnInsert } from './pending-events.ts';
import { createOutboxRelay } from './relay.ts';

const logger = createLogger({ name: 'test-outbox', level: 'silent' });
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
let userCounter = 0;

/** A user.* event with a deterministic id, like a command's fixed event id. */
function userEvent(version: number, userId: string): TickwatchEvent {
  return createEvent(
    EventType.userPreferencesChanged,
    { ...exampleData[EventType.userPreferencesChanged], userId, version },
    {
      source: 'tickwatch/gateway',
      id: derivedEventId(EventType.userPreferencesChanged, [userId, version]),
    },
  );
}

function userOf(event: TickwatchEvent): string | undefined {
  return (event.data as { userId?: string }).userId;
}

function newUserId(): string {
  userCounter += 1;
  return `0b7e9a52-3f7e-4d1c-8a0e-${String(userCounter).padStart(12, '0')}`;
}

describeOnMongoTargets('outbox relay (real RabbitMQ)', (target) => {
  /** An account created together with its first events (their outbox entries). */
  const createAccount = (userId: string, version: number, events: TickwatchEvent[]) =>
    accountModel(target.connection()).create({
      _id: userId,
      email: 'a@example.com',
      version,
      ...outboxFieldsFor(events),
    });
  let vhost: TestVhost;
  let messaging: Messaging;
  const disposer = new Disposer();
  /**
   * Every delivery to the notifier queue, in order, with its context and what became of the
   * consumer's effect (a document keyed by the event id: a repeat is refused).
   */
  const deliveries: { event: TickwatchEvent; context: DeliveryContext; effect: string }[] = [];

  before(async () => {
    vhost = await createTestVhost('outbox');
    messaging = testMessaging(vhost.url);
    await messaging.start();
    const Effect = target
      .connection()
      .model<{ _id: string }>('OutboxEffect', new Schema<{ _id: string }>({ _id: String }));
    await messaging.consume(QUEUES.notifierDeliveries, {
      [EventType.userPreferencesChanged]: async (event, context) => {
        const effect = await insertOnce(Effect, { _id: event.id });
        deliveries.push({ event, context, effect });
      },
    });
  });
  after(async () => {
    await disposer.disposeAll();
    await messaging.close();
    await vhost.delete();
  });

  const delivered = (id: string) => deliveries.filter((d) => d.event.id === id);
  const relayFor = (overrides = {}) =>
    createOutboxRelay({
      model: accountModel(target.connection()),
      messaging,
      logger,
      sweepGraceMs: 0,
      sweepIntervalMs: 50,
      ...overrides,
    });

  it('publishes events written with the state change, with their trace context, then removes them', async () => {
    const Account = accountModel(target.connection());
    const userId = newUserId();
    const created = userEvent(1, userId);
    await Account.create({
      _id: userId,
      email: 'ada@example.com',
      version: 1,
      ...outboxFieldsFor([created], { traceparent: TRACEPARENT }),
    });
    const changed = userEvent(2, userId);
    // One atomic write: the change and its event.
    await Account.updateOne(
      { _id: userId, version: 1 },
      withOutbox<Account>({ $set: { version: 2 } }, [changed], { traceparent: TRACEPARENT }),
    );
    const result = await relayFor().flush(userId);
    expect(result).to.deep.equal({ published: 2, failed: 0 });
    await pollUntil('both delivered', () => delivered(changed.id).length === 1);
    const ours = deliveries.filter((d) => userOf(d.event) === userId);
    expect(ours.map((d) => d.event.id)).to.deep.equal([created.id, changed.id]);
    expect(ours[1]?.context.headers[HEADERS.traceparent]).to.equal(TRACEPARENT);
    const doc = await Account.findById(userId).lean();
    expect(doc?.pendingEvents).to.deep.equal([]);
    expect(doc).to.not.have.property('outboxPendingSince');
    expect(doc).to.not.have.property('outboxLease');
  });

  it('gives a document a driver upsert creates the outbox lists, its pushed entries relayed', async () => {
    const Account = accountModel(target.connection());
    const [quiet, busy] = [newUserId(), newUserId()];
    const created = userEvent(1, busy);
    // The driver's upsert: mongoose's schema defaults do not reach it.
    const upsert = (userId: string, events: TickwatchEvent[]) =>
      Account.collection.updateOne(
        { _id: userId as never },
        withOutboxListsOnInsert(
          withOutbox({ $set: { email: 'a@example.com', version: 1 } }, events),
        ),
        { upsert: true },
      );
    await upsert(quiet, []);
    await upsert(busy, [created]);
    const quietDoc = await Account.findById(quiet).lean();
    expect(quietDoc?.pendingEvents).to.deep.equal([]);
    expect(quietDoc?.failedEvents).to.deep.equal([]);
    const busyDoc = await Account.findById(busy).lean();
    expect(busyDoc?.pendingEvents.map((e) => e.id)).to.deep.equal([created.id]);
    expect(busyDoc?.failedEvents).to.deep.equal([]);
    expect(await relayFor().flush(quiet, busy)).to.deep.equal({ published: 1, failed: 0 });
    await pollUntil('delivered', () => delivered(created.id).length === 1);
  });

  it('flushes many documents in four commands, each document’s events in order', async () => {
    const connection = await mongoose
      .createConnection(target.uri(), { dbName: target.dbName, monitorCommands: true })
      .asPromise();
    disposer.add(connection, (c) => c.close());
    const commands: string[] = [];
    connection.getClient().on('commandStarted', (event) => commands.push(event.commandName));
    const userIds = [1, 2, 3, 4, 5].map(() => newUserId());
    const events = userIds.map((userId) => [userEvent(1, userId), userEvent(2, userId)]);
    for (const [i, userId] of userIds.entries()) await createAccount(userId, 2, events[i] ?? []);

    const model = accountModel(connection);
    await model.init(); // its collection and indexes: not the flush's commands
    commands.length = 0;
    const relay = relayFor({ model });
    expect(await relay.flush(...userIds)).to.deep.equal({ published: 10, failed: 0 });
    // Claim (update, find), remove the published entries (one update), end the leases.
    expect(commands).to.deep.equal(['update', 'find', 'update', 'update']);
    await pollUntil('all delivered', () =>
      events.flat().every((e) => delivered(e.id).length === 1),
    );
    for (const [i, userId] of userIds.entries()) {
      const ours = deliveries.filter((d) => userOf(d.event) === userId).map((d) => d.event.id);
      expect(ours).to.deep.equal(events[i]?.map((e) => e.id));
    }
    const docs = await accountModel(target.connection())
      .find({ _id: { $in: userIds } })
      .lean();
    for (const doc of docs) {
      expect(doc.pendingEvents).to.deep.equal([]);
      expect(doc).to.not.have.property('outboxLease');
      expect(doc).to.not.have.property('outboxPendingSince');
    }
  });

  it('publishes a document’s events in the order they were written', async () => {
    const Account = accountModel(target.connection());
    const userId = newUserId();
    await Account.create({ _id: userId, email: 'a@example.com', version: 0 });
    const events = [1, 2, 3, 4, 5].map((v) => userEvent(v, userId));
    for (const [i, event] of events.entries()) {
      await Account.updateOne(
        { _id: userId },
        withOutbox<Account>({ $set: { version: i + 1 } }, [event]),
      );
    }
    await relayFor().flush(userId);
    await pollUntil(
      'five delivered',
      () => deliveries.filter((d) => userOf(d.event) === userId).length === 5,
    );
    expect(
      deliveries.filter((d) => userOf(d.event) === userId).map((d) => d.event.id),
    ).to.deep.equal(events.map((e) => e.id));
  });

  it('sweeps leftovers that nobody flushed (the writer crashed right after its write)', async () => {
    const Account = accountModel(target.connection());
    const userId = newUserId();
    const event = userEvent(1, userId);
    await createAccount(userId, 1, [event]);
    const relay = relayFor();
    relay.start();
    disposer.add(relay, (r) => r.stop());
    await pollUntil('the sweep published it', () => delivered(event.id).length === 1);
    await pollUntil(
      'and removed it',
      async () => (await Account.findById(userId).lean())?.pendingEvents.length === 0,
    );
    await relay.stop();
  });

  it('keeps the events while the broker is unreachable and publishes them once it is back', async () => {
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: 5672 });
    disposer.add(proxy, (p) => p.close());
    const cutOff = testMessaging(vhost.urlVia(proxy.port), { publishTimeoutMs: 300 });
    disposer.add(cutOff, (m) => m.close());
    await cutOff.start();
    proxy.refuse(true);
    proxy.cut();
    const Account = accountModel(target.connection());
    const userId = newUserId();
    const event = userEvent(1, userId);
    await createAccount(userId, 1, [event]);
    const relay = relayFor({ messaging: cutOff });
    const error = await relay.flush(userId).then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).to.equal('MESSAGING_PUBLISH_TIMEOUT');
    const waiting = await Account.findById(userId).lean();
    expect(waiting?.pendingEvents.map((e) => e.id)).to.deep.equal([event.id]);
    expect(waiting).to.not.have.property('outboxLease'); // released for the next attempt
    proxy.resume();
    await pollUntil('reconnected', () => cutOff.ready());
    expect(await relay.sweep()).to.equal(1);
    await pollUntil('delivered', () => delivered(event.id).length === 1);
  });

  it('sets aside an entry the broker can never accept, and carries on with the next', async () => {
    const Account = accountModel(target.connection());
    const userId = newUserId();
    const good = userEvent(2, userId);
    const broken = { ...userEvent(1, userId), data: { userId } }; // fields missing: invalid
    await createAccount(userId, 2, [good]);
    // Written around outboxEntry (which would refuse it), as an old release might have.
    await Account.updateOne(
      { _id: userId },
      {
        $set: {
          pendingEvents: [
            { id: broken.id, type: broken.type, event: broken, addedAt: new Date() },
            { id: good.id, type: good.type, event: good, addedAt: new Date() },
          ],
        },
      },
    );
    expect(await relayFor().flush(userId)).to.deep.equal({ published: 1, failed: 1 });
    const doc = await Account.findById(userId).lean();
    expect(doc?.pendingEvents).to.deep.equal([]);
    expect(doc?.failedEvents.map((e) => e.id)).to.deep.equal([broken.id]);
    expect(doc?.failedEvents[0]?.error).to.match(/^data\.version: /);
    await pollUntil('the good one delivered', () => delivered(good.id).length === 1);
  });

  it('starts no publish in the second half of its lease, so a slow one cannot outlive it', async () => {
    const userId = newUserId();
    const events = [1, 2, 3].map((v) => userEvent(v, userId));
    await createAccount(userId, 3, events);
    const leaseMs = 1_000;
    const startedAt: number[] = [];
    // Each publish takes 300 ms: the third would start at 600 ms, past half the lease.
    const slow = {
      publishMessage: async () => {
        startedAt.push(performance.now());
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    };
    const result = await relayFor({ messaging: slow, leaseMs }).flush(userId);
    const first = startedAt[0] ?? 0;
    expect(startedAt.map((at) => at - first).every((offset) => offset <= leaseMs / 2)).to.be.true;
    expect(result.published).to.be.below(3);
    const doc = await accountModel(target.connection()).findById(userId).lean();
    expect(doc?.pendingEvents).to.have.length(3 - result.published);
    expect(doc).to.not.have.property('outboxLease'); // released: the next flush does the rest
    expect(await relayFor().flush(userId)).to.deep.equal({
      published: 3 - result.published,
      failed: 0,
    });
  });

  it('runs two flushes of one document by the same relay one after the other: each entry published once', async () => {
    const userId = newUserId();
    const events = [1, 2, 3].map((v) => userEvent(v, userId));
    await createAccount(userId, 3, events);
    let publishing = 0;
    let overlapped = false;
    const published: string[] = [];
    const slow = {
      publishMessage: async (message: { properties: { messageId?: string } }) => {
        publishing += 1;
        if (publishing > 1) overlapped = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
        published.push(String(message.properties.messageId));
        publishing -= 1;
      },
    };
    const relay = relayFor({ messaging: slow });
    const [a, b] = await Promise.all([relay.flush(userId), relay.flush(userId)]);
    expect(a.published + b.published).to.equal(3);
    expect(overlapped).to.be.false;
    expect(published).to.deep.equal(events.map((e) => e.id));
  });

  it('also runs the sweep after a flush of the same document: each entry published once', async () => {
    const userId = newUserId();
    const events = [1, 2, 3].map((v) => userEvent(v, userId));
    await createAccount(userId, 3, events);
    const relay = relayFor();
    // The lease admits its own holder: without serialising, each of these would publish all three.
    const results = await Promise.all([relay.flush(userId), relay.sweep(), relay.flush(userId)]);
    const published = results.reduce<number>(
      (sum, result) => sum + (typeof result === 'number' ? result : result.published),
      0,
    );
    expect(published).to.equal(3);
    await pollUntil('all three delivered', () => events.every((e) => delivered(e.id).length >= 1));
  });

  it('lets two relays flush one document at once without losing or leaving anything', async () => {
    const Account = accountModel(target.connection());
    const userId = newUserId();
    const events = [1, 2, 3].map((v) => userEvent(v, userId));
    await createAccount(userId, 3, events);
    const [a, b] = await Promise.all([
      relayFor({ relayId: 'a' }).flush(userId),
      relayFor({ relayId: 'b' }).flush(userId),
    ]);
    // The lease makes one of them do the work.
    expect(a.published + b.published).to.equal(3);
    await pollUntil('all three delivered', () => events.every((e) => delivered(e.id).length >= 1));
    expect((await Account.findById(userId).lean())?.pendingEvents).to.deep.equal([]);
  });

  it('publishes again, same id, when the relay is killed between publish and removal; the effect happens once', async () => {
    const Account = accountModel(target.connection());
    const userId = newUserId();
    const event = userEvent(1, userId);
    await createAccount(userId, 1, [event]);
    const child = spawn(
      process.execPath,
      [
        path.join(import.meta.dirname, '..', 'testing', 'outbox-relay-child.ts'),
        target.uri(),
        target.dbName,
        vhost.url,
        userId,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    disposer.add(child, async (c) => {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.resolve();
    });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    expect(line).to.equal(`published ${event.id}`);
    child.kill('SIGKILL');
    await once(child, 'exit');
    // Published and confirmed, never removed.
    const left = await Account.findById(userId).lean();
    expect(left?.pendingEvents.map((e) => e.id)).to.deep.equal([event.id]);

    const relay = relayFor();
    // Until the child's lease expires, sweeps leave this document alone.
    await pollUntil(
      'the child’s lease expired and the sweep republished it',
      async () => {
        await relay.sweep();
        return (await Account.findById(userId).lean())?.pendingEvents.length === 0;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    await pollUntil('delivered twice, same id', () => delivered(event.id).length === 2);
    expect(delivered(event.id).map((d) => d.effect)).to.deep.equal(['applied', 'duplicate']);
    expect((await Account.findById(userId).lean())?.pendingEvents).to.deep.equal([]);
  });
});
