import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { EventType, partitionOf } from '@tickwatch/contracts';
import { nodeArguments } from '@tickwatch/infra/telemetry';
import { describeEntryPoint, pollUntil } from '@tickwatch/infra/testing';
import { Inbox, ruleEvent, startHarness, type Harness } from '../test/harness.ts';

const entry = new URL('./main.ts', import.meta.url);

describe('collector process', function () {
  this.timeout(30_000);
  let harness: Harness;
  before(async () => {
    harness = await startHarness('collector-main');
  });
  after(async () => {
    await harness.close();
  });

  const env = () => ({
    COLLECTOR_OPS_PORT: '0',
    LOG_LEVEL: 'info',
    RABBITMQ_URL: harness.vhost.url,
    MONGO_URL: harness.mongo.uri,
  });

  describeEntryPoint({
    entry,
    validEnv: env,
    invalidEnv: {
      COLLECTOR_OPS_PORT: 'http',
      LOG_LEVEL: 'loud',
      MARKET_SOURCE: 'bloomberg',
      POLL_INTERVAL: '15',
      DEFAULT_TICKERS: 'AAPL,not a ticker',
      REPLAY_PATH: '/no/such/recording.jsonl',
      RABBITMQ_URL: 'http://127.0.0.1:5672',
    },
    badVariables: [
      'COLLECTOR_OPS_PORT',
      'LOG_LEVEL',
      'MARKET_SOURCE',
      'POLL_INTERVAL',
      'DEFAULT_TICKERS',
      'REPLAY_PATH',
      'RABBITMQ_URL',
    ],
  });

  it('collects the tickers of rules created through events, and after a restart from its own database', async () => {
    const alerter = harness.messaging();
    await alerter.start();
    const partitions = new Inbox();
    await alerter.consumePartitions(
      { [EventType.priceUpdated]: partitions.record },
      { preferred: Array.from({ length: 16 }, (_, n) => n), takeoverDelayMs: 0 },
    );
    const start = () => {
      const child = spawn(process.execPath, nodeArguments(entry.pathname), {
        env: {
          PATH: process.env.PATH ?? '',
          ...env(),
          LOG_LEVEL: 'warn',
          MARKET_SOURCE: 'simulated',
          SIMULATED_HOURS: 'always',
          POLL_INTERVAL: '200ms',
          DEFAULT_TICKERS: 'none',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      return { child, exited, stderr: () => stderr };
    };
    const quotes = () => partitions.of(EventType.priceUpdated);
    const first = start();
    try {
      const gateway = harness.messaging();
      await gateway.start();
      for (const ticker of ['AAPL', 'VOD.L']) {
        await gateway.publish(
          ruleEvent(EventType.ruleCreated, { id: randomUUID(), ticker, version: 1 }),
        );
      }
      await pollUntil(
        'quotes of both rules',
        () =>
          ['AAPL', 'VOD.L'].every((ticker) =>
            quotes().some((item) => item.event.data.ticker === ticker),
          ),
        { timeoutMs: 20_000 },
      );
      for (const [ticker, word] of [
        ['AAPL', 'AAPL'],
        ['VOD.L', 'VOD_L'],
      ] as const) {
        const item = quotes().find((received) => received.event.data.ticker === ticker);
        expect(item?.context.routingKey).to.equal(`price.updated.p${partitionOf(ticker)}.${word}`);
        expect(item?.context.queue).to.equal(`alerter.p${partitionOf(ticker)}`);
        expect(item?.event.data.source).to.equal('simulated');
      }
      expect(
        quotes().find((item) => item.event.data.ticker === 'VOD.L')?.event.data.currency,
      ).to.equal('GBP');
      first.child.kill('SIGTERM');
      expect(await first.exited, first.stderr()).to.equal(0);
    } finally {
      first.child.kill('SIGKILL');
    }

    // Stopping checkpointed the last quote of each ticker; the next process starts from the
    // persisted watchlist and states, with no rule event to replay.
    const stored = await harness.connection
      .getClient()
      .db('tickwatch_collector')
      .collection<{ _id: string; lastMarketTime?: Date }>('tickers')
      .find({ _id: { $in: ['AAPL', 'VOD.L'] } })
      .toArray();
    const lastOf = (ticker: string) =>
      Math.max(
        ...quotes()
          .filter((item) => item.event.data.ticker === ticker)
          .map((item) => Date.parse(item.event.data.marketTime)),
      );
    expect(stored.map((row) => [row._id, row.lastMarketTime?.getTime()]).sort()).to.deep.equal([
      ['AAPL', lastOf('AAPL')],
      ['VOD.L', lastOf('VOD.L')],
    ]);
    const before = quotes().length;
    const second = start();
    try {
      await pollUntil(
        'quotes of both rules from the restarted collector',
        () =>
          ['AAPL', 'VOD.L'].every((ticker) =>
            quotes()
              .slice(before)
              .some((item) => item.event.data.ticker === ticker),
          ),
        { timeoutMs: 20_000 },
      );
      for (const ticker of ['AAPL', 'VOD.L']) {
        const next = quotes()
          .slice(before)
          .find((item) => item.event.data.ticker === ticker);
        expect(Date.parse(next?.event.data.marketTime ?? ''), ticker).to.be.greaterThan(
          stored.find((row) => row._id === ticker)?.lastMarketTime?.getTime() ?? Infinity,
        );
      }
      second.child.kill('SIGTERM');
      expect(await second.exited, second.stderr()).to.equal(0);
    } finally {
      second.child.kill('SIGKILL');
    }
  });
});
