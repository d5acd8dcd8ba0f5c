/**
 * Alerters as real processes, killed with SIGKILL: in the middle of a delivery batch of several
 * messages and tickers (before its write, or between its write and its ack) and while owning
 * every partition (a standby process takes over). Each time: no alert repeated, none missed,
 * and the sequence of each rule's alerts goes on from the persisted state.
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
import { alerterPartitionQueue } from '@tickwatch/contracts';
import { makeRule } from './domain/testing.ts';
import { alerterModels } from './store/models.ts';
import { quote, ruleEvent, startProbe, tickersOf } from './testing/fixtures.ts';

const CHILD = new URL('./testing/alerter-child.ts', import.meta.url).pathname;

describeOnMongoTargets('alerter processes killed (real RabbitMQ)', (target) => {
  let vhost: TestVhost;
  let publisher: Messaging;
  let probe: Awaited<ReturnType<typeof startProbe>>;
  const disposer = new Disposer();
  let tickerCount = 0;
  const newTicker = () => `K${++tickerCount}X`;

  /** Starts a child alerter; resolves once it printed `standby`. `lines` collects its stdout. */
  async function child(preferred: 'all' | 'none', delayMs: number, ...directives: string[]) {
    const process_ = spawn(
      process.execPath,
      [CHILD, target.uri(), target.dbName, vhost.url, preferred, String(delayMs), ...directives],
      { stdio: ['pipe', 'pipe', 'inherit'] },
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
    it(`killed ${stopAt === 'before-write' ? 'before the write' : 'between the write and the ack'} of a batch of two tickers: each alert is published once`, async function () {
      this.timeout(SLOW);
      const partition = 3;
      const tickers = tickersOf(partition, 2, `K${++tickerCount}X`);
      const rules = tickers.map((ticker) =>
        makeRule({ type: 'ABOVE', threshold: 100 }, { ticker }),
      );
      const held = quote(tickers[0] ?? '', 95, 0);
      const crossings = tickers.map((ticker) => quote(ticker, 105, 1));
      const [crossing] = crossings;
      const crashing = await child('all', 0, `hold:${held.id}`, `${stopAt}:${crossing?.id}`);
      await publish(...rules.map((rule) => ruleEvent('created', rule)), held);
      await pollUntil('the first batch held', () => crashing.lines.includes(`held ${held.id}`));
      // Published while a batch is held: they reach the child and make up its next batch.
      const batch = [...crossings, ...tickers.map((ticker) => quote(ticker, 106, 2))];
      await publish(...tickers.map((ticker) => quote(ticker, 95, 0)).slice(1), ...batch);
      await pollUntil(
        'the child has them all',
        async () => (await vhost.messageCount(alerterPartitionQueue(partition))) === 0,
      );
      crashing.process.stdin.write('release\n');
      const stopped = await pollUntil('the child stopped in the batch', () =>
        crashing.lines.find((line) => line.startsWith(`stopped ${stopAt} ${crossing?.id} `)),
      );
      await kill(crashing.process);
      expect(stopped.split(' ')[3]?.split(',')).to.include.members(batch.map((e) => e.id));
      const tickerDocs = alerterModels(target.connection()).tickers;
      if (stopAt === 'after-write') {
        // Written before the kill: in the outbox still, or already swept out by its relay.
        await pollUntil('both alerts written', async () => {
          const docs = await tickerDocs.find({ _id: { $in: tickers } }).lean();
          const pending = docs.reduce((sum, doc) => sum + doc.pendingEvents.length, 0);
          return pending + rules.flatMap((rule) => probe.alertsOf(rule.id)).length === 2;
        });
      } else {
        const docs = await tickerDocs.find({ _id: { $in: tickers } }).lean();
        expect(docs.flatMap((doc) => doc.pendingEvents)).to.deep.equal([]);
      }

      await child('all', 0);
      // The batch is redelivered; 106 is still above (disarmed); then new crossings.
      await publish(
        ...tickers.map((ticker) => quote(ticker, 95, 3)),
        ...tickers.map((ticker) => quote(ticker, 107, 4)),
      );
      await pollUntil(
        'the second crossings',
        () => rules.every((rule) => probe.alertsOf(rule.id).length >= 2),
        { timeoutMs: 20_000 },
      );
      for (const rule of rules) expect(summary(rule.id)).to.deep.equal(['#1@105', '#2@107']);
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
