/**
 * The alerter against the real broker and MongoDB over the wire: rule events and quotes in,
 * alert.triggered (through the outbox) and averages.updated out; deletions, racing rule
 * updates, restarts from the persisted state.
 */
import { alerterPartitionQueue, derivedEventId, EventType, type Rule } from '@tickwatch/contracts';
import { createLogger } from '@tickwatch/infra/log';
import type { Messaging } from '@tickwatch/infra/messaging';
import {
  createTestVhost,
  describeOnMongoTargets,
  Disposer,
  testMessaging,
  type TestVhost,
} from '@tickwatch/infra/messaging/testing';
import { processMetrics } from '@tickwatch/infra/telemetry';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { ownershipObserver, startAlerter, type Alerter, type AlerterOptions } from './alerter.ts';
import { averagesEventId } from './domain/outgoing-events.ts';
import { makeRule } from './domain/testing.ts';
import { alerterModels } from './store/models.ts';
import { quote, ruleEvent, startProbe, tickersOf } from './testing/fixtures.ts';

/** A promise a hook can wait on until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const logger = createLogger({ name: 'alerter-test', level: 'silent' });

describeOnMongoTargets('alerter (real RabbitMQ)', (target) => {
  let vhost: TestVhost;
  let publisher: Messaging;
  let probe: Awaited<ReturnType<typeof startProbe>>;
  const disposer = new Disposer();
  let tickerCount = 0;
  /** A fresh ticker per test, so tests do not see each other's state. */
  const newTicker = () => `T${++tickerCount}X`;

  async function runAlerter(
    tuning: Pick<AlerterOptions, 'hooks' | 'batchSize'> = {},
  ): Promise<Alerter> {
    const ownership = ownershipObserver();
    const messaging = disposer.add(
      testMessaging(vhost.url, { service: 'alerter', observer: ownership.observer }),
      (m) => m.close(),
    );
    await messaging.start();
    return disposer.add(
      await startAlerter({
        messaging,
        models: alerterModels(target.connection()),
        logger,
        preferredPartitions: Array.from({ length: 16 }, (_, p) => p),
        takeoverDelayMs: 0,
        ownership: ownership.signal,
        sweepIntervalMs: 100,
        ...tuning,
      }),
      (a) => a.stop(),
    );
  }

  before(async () => {
    vhost = await createTestVhost('alerter');
    publisher = testMessaging(vhost.url, { service: 'test-publisher' });
    await publisher.start();
    probe = await startProbe(publisher);
  });
  // One alerter at a time: a second one would only be a standby on the partitions.
  afterEach(() => disposer.disposeAll());
  after(async () => {
    await publisher.close();
    await vhost.delete();
  });

  const publish = async (...events: Parameters<Messaging['publish']>[0][]) => {
    for (const event of events) await publisher.publish(event);
  };

  it('publishes an alert with everything a person needs, and the windows’ averages', async () => {
    await runAlerter();
    const ticker = newTicker();
    const rule = makeRule(
      { type: 'ABOVE', threshold: 150 },
      { ticker, userId: '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01' },
    );
    const crossing = quote(ticker, 151.25, 1);
    await publish(ruleEvent('created', rule), quote(ticker, 149.5, 0), crossing);
    const [alert] = await pollUntil(
      'the alert',
      () => probe.alertsOf(rule.id).length === 1 && probe.alertsOf(rule.id),
    );
    expect(alert?.id).to.equal(derivedEventId(EventType.alertTriggered, [rule.id, 1, 1]));
    expect(alert?.data).to.deep.include({
      alertId: alert?.id,
      ruleId: rule.id,
      ruleVersion: 1,
      sequence: 1,
      userId: rule.userId,
      ticker,
      condition: { type: 'ABOVE', threshold: 150 },
      frequency: 'EVERY_CROSSING',
      price: 151.25,
      previousPrice: 149.5,
      referencePrice: null,
      currency: 'USD',
      marketTime: crossing.data.marketTime,
      quotePublishedAt: crossing.time,
      delayMinutes: 0,
      channels: ['EMAIL'],
    });
    // Fifteen one-a-minute quotes warm the 5 and 10-minute windows, not the 15-minute one.
    for (let minute = 2; minute <= 12; minute++) await publish(quote(ticker, 150, minute));
    const twelfth = quote(ticker, 150, 12).data.marketTime;
    const event = await pollUntil('averages of the 12th minute', () =>
      probe.averages.find((e) =>
        e.data.averages.some((a) => a.ticker === ticker && a.marketTime === twelfth),
      ),
    );
    const averages = event.data.averages.filter((a) => a.ticker === ticker);
    expect(averages.map((a) => a.windowMinutes).sort()).to.deep.equal([10, 5]);
    const five = averages.find((a) => a.windowMinutes === 5);
    expect(five).to.include({ average: 150, previousAverage: 150, sampleCount: 5 });
    const exposed = await processMetrics.registry.metrics();
    expect(exposed).to.match(/^tickwatch_alerter_alerts_published_total [1-9]/m);
    expect(exposed).to.match(
      /^tickwatch_alerter_ticks_consumed_total\{outcome="evaluated"\} [1-9]/m,
    );
    expect(exposed).to.match(/^tickwatch_alerter_owned_partitions [1-9]/m);
    expect(event.id).to.equal(averagesEventId(event.data.averages));
  });

  it('never fires a deleted rule, even for a quote queued right behind the deletion', async () => {
    await runAlerter();
    const ticker = newTicker();
    const deleted = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
    const witness = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
    await publish(
      ruleEvent('created', deleted),
      ruleEvent('created', witness),
      quote(ticker, 95, 0),
    );
    await publish(ruleEvent('deleted', { ...deleted, version: 2 }), quote(ticker, 105, 1));
    await pollUntil('the witness fired', () => probe.alertsOf(witness.id).length === 1);
    expect(probe.alertsOf(deleted.id)).to.deep.equal([]);
    // A late copy of an older version cannot bring it back.
    await publish(
      ruleEvent('updated', { ...deleted, version: 1 }),
      quote(ticker, 95, 2),
      quote(ticker, 106, 3),
    );
    await pollUntil('the witness fired again', () => probe.alertsOf(witness.id).length === 2);
    expect(probe.alertsOf(deleted.id)).to.deep.equal([]);
  });

  for (const mode of ['one message at a time', 'inside one batch'] as const) {
    it(`applies rule updates and quotes racing on one partition in queue order, ${mode}`, async () => {
      const partition = 9;
      const [ticker = '', other = ''] = tickersOf(partition, 2, `R${++tickerCount}X`);
      const v1 = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
      const v2: Rule = { ...v1, condition: { type: 'ABOVE', threshold: 200 }, version: 2 };
      const w1 = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker: other });
      const w2: Rule = { ...w1, condition: { type: 'ABOVE', threshold: 200 }, version: 2 };
      const setUp = quote(other, 95, 0);
      // Inside one batch: the batch holding the set-up waits until the race is queued behind it.
      const hold = gate();
      const batches: string[][] = [];
      await runAlerter({
        batchSize: mode === 'inside one batch' ? 100 : 1,
        hooks: {
          beforeWrite: async (events) => {
            batches.push(events.map((event) => event.id));
            if (mode === 'inside one batch' && events.some((e) => e.id === setUp.id)) {
              await hold.wait;
            }
          },
        },
      });
      await publish(
        ruleEvent('created', v1),
        quote(ticker, 95, 0),
        ruleEvent('created', w1),
        setUp,
      );
      await pollUntil('the set-up handled (or held)', () =>
        batches.some((batch) => batch.includes(setUp.id)),
      );
      const race = [
        // Quote first: it is judged by version 1 and fires; the update then re-arms nothing.
        quote(ticker, 150, 1),
        ruleEvent('updated', v2),
        quote(ticker, 160, 2),
        // Update first: the quote at 150 is judged by version 2 and fires nothing; 210 does.
        ruleEvent('updated', w2),
        quote(other, 150, 1),
        quote(other, 210, 2),
      ];
      await publish(...race);
      await pollUntil(
        'the race queued',
        async () => (await vhost.messageCount(alerterPartitionQueue(partition))) === 0,
      );
      hold.open();
      await pollUntil(
        'both fired',
        () => probe.alertsOf(w1.id).length === 1 && probe.alertsOf(v1.id).length === 1,
      );
      expect(
        probe.alertsOf(v1.id).map((a) => [a.data.ruleVersion, a.data.sequence, a.data.price]),
      ).to.deep.equal([[1, 1, 150]]);
      expect(
        probe.alertsOf(w1.id).map((a) => [a.data.ruleVersion, a.data.sequence, a.data.price]),
      ).to.deep.equal([[2, 1, 210]]);
      const ids = race.map((event) => event.id);
      if (mode === 'inside one batch') expect(batches).to.deep.include(ids);
      else expect(Math.max(...batches.map((batch) => batch.length))).to.equal(1);
    });
  }

  it('restarts from the persisted state: no repeat, no miss, numbers stay numbers', async () => {
    const first = await runAlerter();
    const ticker = newTicker();
    const nine = makeRule({ type: 'ABOVE', threshold: 9 }, { ticker });
    await publish(ruleEvent('created', nine), quote(ticker, 8, 0), quote(ticker, 10, 1));
    await pollUntil('10 is above 9', () => probe.alertsOf(nine.id).length === 1);
    await first.stop();
    const second = await runAlerter();
    await pollUntil('the second alerter subscribed', () => second.subscribed());
    // Still above: the crossing side stays disarmed across the restart; then a new crossing.
    await publish(quote(ticker, 11, 2), quote(ticker, 8.5, 3), quote(ticker, 10, 4));
    await pollUntil('the second crossing', () => probe.alertsOf(nine.id).length === 2);
    expect(probe.alertsOf(nine.id).map((a) => [a.data.sequence, a.data.price])).to.deep.equal([
      [1, 10],
      [2, 10],
    ]);
    const stored = await alerterModels(target.connection()).rules.findById(nine.id).lean();
    expect(stored?.rule.condition).to.deep.equal({ type: 'ABOVE', threshold: 9 });
  });
});
