/**
 * Alerters as real processes, killed with SIGKILL: in the middle of a batch (before its write,
 * or between its write and its ack) and while owning every partition (a standby process takes
 * over). Each time: no alert repeated, none missed, and the sequence of the rule's alerts goes
 * on from the persisted state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import {
  createTestVhost,
  describeOnMongoTargets,
  Disposer,
  testMessaging,
  type TestVhost,
} from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import type { Messaging } from '@tickwatch/infra/messaging';
import { makeRule } from './domain/testing.ts';
import { alerterModels } from './store/models.ts';
import { quote, ruleEvent, startProbe } from './testing/fixtures.ts';

const CHILD = new URL('./testing/alerter-child.ts', import.meta.url).pathname;

describeOnMongoTargets('alerter processes killed (real RabbitMQ)', (target) => {
  let vhost: TestVhost;
  let publisher: Messaging;
  let probe: Awaited<ReturnType<typeof startProbe>>;
  const disposer = new Disposer();
  let tickerCount = 0;
  const newTicker = () => `K${++tickerCount}X`;

  /** Starts a child alerter; resolves once it printed `standby`. `lines` collects its stdout. */
  async function child(preferred: 'all' | 'none', delayMs: number, stop = '') {
    const process_ = spawn(
      process.execPath,
      [CHILD, target.uri(), target.dbName, vhost.url, preferred, String(delayMs), stop],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    disposer.add(process_, kill);
    const lines: string[] = [];
    createInterface({ input: process_.stdout }).on('line', (line) => lines.push(line));
    await pollUntil('the child alerter subscribed', () => lines.includes('standby'), {
      timeoutMs: 30_000,
    });
    return { process: process_, lines };
  }

  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  before(async () => {
    vhost = await createTestVhost('alerter-processes');
    publisher = testMessaging(vhost.url, { service: 'test-publisher' });
    await publisher.start();
    probe = await startProbe(publisher);
  });
  afterEach(() => disposer.disposeAll());
  after(async () => {
    await publisher.close();
    await vhost.delete();
  });

  const publish = async (...events: Parameters<Messaging['publish']>[0][]) => {
    for (const event of events) await publisher.publish(event);
  };
  const summary = (ruleId: string) =>
    probe.alertsOf(ruleId).map((a) => `#${a.data.sequence}@${a.data.price}`);
  /** Child processes take seconds to start on a loaded machine. */
  const SLOW = 60_000;

  for (const stopAt of ['before-write', 'after-write'] as const) {
    it(`killed ${stopAt === 'before-write' ? 'before its write' : 'between its write and its ack'}: the alert is published once`, async function () {
      this.timeout(SLOW);
      const ticker = newTicker();
      const rule = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
      const crossing = quote(ticker, 105, 1);
      const crashing = await child('all', 0, `${stopAt}:${crossing.id}`);
      await publish(
        ruleEvent('created', rule),
        quote(ticker, 95, 0),
        crossing,
        quote(ticker, 106, 2),
      );
      await pollUntil('the child stopped in the batch', () =>
        crashing.lines.includes(`stopped ${stopAt} ${crossing.id}`),
      );
      await kill(crashing.process);
      const pending = await alerterModels(target.connection()).tickers.findById(ticker).lean();
      expect(pending?.pendingEvents.length ?? 0).to.equal(stopAt === 'after-write' ? 1 : 0);

      await child('all', 0);
      // The crossing is redelivered; 106 is still above (disarmed); then a new crossing.
      await publish(quote(ticker, 95, 3), quote(ticker, 107, 4));
      await pollUntil('the second crossing', () => probe.alertsOf(rule.id).length >= 2, {
        timeoutMs: 20_000,
      });
      expect(summary(rule.id)).to.deep.equal(['#1@105', '#2@107']);
    });
  }

  it('a standby process takes the partitions over from a killed one and goes on from its state', async function () {
    this.timeout(SLOW);
    const ticker = newTicker();
    const rule = makeRule({ type: 'ABOVE', threshold: 100 }, { ticker });
    const owner = await child('all', 0);
    const standby = await child('none', 200);
    await publish(ruleEvent('created', rule), quote(ticker, 95, 0), quote(ticker, 105, 1));
    await pollUntil('the owner fired', () => probe.alertsOf(rule.id).length === 1);
    // Killed once its relay is done with the document: a relay killed mid-publish holds the
    // document's lease until it expires (the outbox tests cover that case).
    const tickers = alerterModels(target.connection()).tickers;
    await pollUntil('the owner’s outbox drained', async () => {
      const doc = await tickers.findById(ticker).lean();
      return doc?.pendingEvents.length === 0 && !doc.outboxLease;
    });
    await kill(owner.process);
    await publish(quote(ticker, 106, 2), quote(ticker, 95, 3), quote(ticker, 107, 4));
    await pollUntil('the standby fired', () => probe.alertsOf(rule.id).length >= 2, {
      timeoutMs: 20_000,
    });
    expect(summary(rule.id)).to.deep.equal(['#1@105', '#2@107']);
    expect(standby.process.exitCode).to.equal(null);
  });
});
