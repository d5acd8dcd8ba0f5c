import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { derivedEventId, EventType, partitionOf, QUEUES } from '@tickwatch/contracts';
import { tickwatchTopology, type Messaging } from '@tickwatch/infra/messaging';
import { startFaultProxy, testMessaging } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { createMetricsRegistry } from '@tickwatch/infra/telemetry';
import { startInMemoryTracing } from '@tickwatch/infra/telemetry/testing';
import { Inbox, silent, startHarness, type Harness } from '../test/harness.ts';
import { RecordingMetrics } from '../test/recording-metrics.ts';
import { createBatchBreaker, type BatchBreaker } from './breaker.ts';
import { createCollectorCycle, type CycleSettings } from './collector-cycle.ts';
import type { CollectorMetrics } from './metric-hooks.ts';
import { prometheusMetrics } from './metrics.ts';
import { tickerStates } from './publishing/ticker-states.ts';
import type { BatchResult, QuoteSource, SourceQuote } from './quotes/source.ts';
import { referenceStore, type ReferenceStore } from './watchlist/references.ts';

const T0 = Date.parse('2026-10-02T14:30:00Z');

/** A source answering from a table the test fills; it remembers what it was asked. */
class ScriptedSource implements QuoteSource {
  readonly name = 'yahoo' as const;
  readonly quotes = new Map<string, SourceQuote>();
  readonly unknown = new Set<string>();
  readonly asked: string[][] = [];
  failing = false;
  pace = () => Promise.resolve();
  close = () => Promise.resolve();
  fetchBatch(tickers: readonly string[]): Promise<BatchResult> {
    this.asked.push([...tickers]);
    if (this.failing) return Promise.reject(new Error('connect ECONNREFUSED'));
    return Promise.resolve({
      quotes: tickers.flatMap((ticker) => {
        const quote = this.quotes.get(ticker);
        return quote ? [quote] : [];
      }),
      rejected: tickers
        .filter((ticker) => this.unknown.has(ticker))
        .map((ticker) => ({ ticker, reason: 'UNKNOWN_SYMBOL' as const, detail: `no ${ticker}` })),
    });
  }
  set(
    ticker: string,
    price: number | undefined,
    secondsAfterT0: number,
    extra: Partial<SourceQuote> = {},
  ) {
    this.quotes.set(ticker, {
      ticker,
      price,
      currency: 'USD',
      exchange: 'NMS',
      exchangeTimeZone: 'America/New_York',
      marketState: 'REGULAR',
      marketTime: new Date(T0 + secondsAfterT0 * 1_000),
      delayMinutes: 0,
      previousClose: 100,
      dayLow: 99,
      dayHigh: 101,
      volume: 10,
      ...extra,
    });
  }
  requested(): string[] {
    return this.asked.flat();
  }
}

describe('collector cycle (real broker, embedded MongoDB)', function () {
  this.timeout(30_000);
  let harness: Harness;
  let publisher: Messaging;
  let references: ReferenceStore;
  const partitions = new Inbox();
  const readModels = new Inbox();

  before(async () => {
    harness = await startHarness('collector-cycle');
    references = referenceStore(harness.connection);
    await references.ensureIndexes();
    publisher = harness.messaging();
    await publisher.start();
    const alerter = harness.messaging();
    await alerter.start();
    await alerter.consumePartitions(
      { [EventType.priceUpdated]: partitions.record },
      { preferred: Array.from({ length: 16 }, (_, n) => n), takeoverDelayMs: 0 },
    );
    const gateway = harness.messaging();
    await gateway.start();
    await gateway.consume(
      QUEUES.gatewayReadModels,
      {
        [EventType.priceUpdated]: readModels.record,
        [EventType.tickerRejected]: readModels.record,
      },
      { prefetch: 100 },
    );
  });
  after(async () => {
    await harness.close();
  });

  const settings: CycleSettings = {
    defaultTickers: [],
    batchSize: 50,
    hygiene: { jumpThresholdPercent: 25, jumpWindowMs: 300_000 },
    unknownRecheckMs: 3_600_000,
  };

  /** A collector as main.ts wires it, over its own database; `restart()` builds it anew. */
  async function collector(
    options: {
      defaultTickers?: string[];
      now?: () => number;
      messaging?: Messaging;
      metrics?: CollectorMetrics;
    } = {},
  ) {
    const source = new ScriptedSource();
    const metrics = new RecordingMetrics();
    const reported = options.metrics ?? metrics;
    const breakers: BatchBreaker[] = [];
    const build = async () => {
      const states = tickerStates(harness.connection);
      await states.load();
      const breaker = createBatchBreaker(
        source,
        {
          timeoutMs: 5_000,
          errorThresholdPercentage: 50,
          volumeThreshold: 2,
          rollingWindowMs: 60_000,
          resetTimeoutMs: 60_000,
        },
        silent,
        reported,
      );
      breakers.push(breaker);
      return {
        breaker,
        states,
        cycle: createCollectorCycle({
          source,
          breaker,
          activeTickers: (at) => references.activeTickers(at),
          states,
          messaging: options.messaging ?? publisher,
          metrics: reported,
          logger: silent,
          settings: { ...settings, defaultTickers: options.defaultTickers ?? [] },
          clock: options.now,
        }),
      };
    };
    let built = await build();
    return {
      source,
      metrics,
      run: () => built.cycle.run(),
      breaker: () => built.breaker,
      /** A graceful restart: the poller checkpoints the states when it stops. */
      restart: async () => {
        await built.states.checkpoint();
        built = await build();
      },
      /** A crash: whatever was not checkpointed is lost. */
      crash: async () => {
        built = await build();
      },
      shutdown: () => {
        for (const breaker of breakers) breaker.shutdown();
      },
    };
  }

  const reference = (ticker: string) =>
    references.writer.write({
      updateOne: {
        filter: { _id: `rule:${randomUUID()}`, version: { $lt: 1 } },
        update: {
          $set: { kind: 'rule', ticker, userId: randomUUID(), version: 1, expiresAt: null },
        },
        upsert: true,
      },
    });

  it('publishes a price.updated per ticker on its routing key and partition, with the derived id', async () => {
    await reference('AAPL');
    await reference('BRK.B');
    await reference('OCDO.L');
    const c = await collector();
    try {
      c.source.set('AAPL', 227.5, 0);
      c.source.set('BRK.B', 451.2, 0, { exchange: 'NYQ' });
      c.source.set('OCDO.L', 260.4, 0, {
        currency: 'GBp',
        exchange: 'LSE',
        exchangeTimeZone: 'Europe/London',
      });
      const report = await c.run();
      expect(report.published).to.equal(3);
      await pollUntil(
        'three quotes in the partitions',
        () => partitions.of(EventType.priceUpdated).length >= 3,
      );
      const byTicker = new Map(
        partitions.of(EventType.priceUpdated).map((item) => [item.event.data.ticker, item]),
      );
      for (const [ticker, word] of [
        ['AAPL', 'AAPL'],
        ['BRK.B', 'BRK_B'],
        ['OCDO.L', 'OCDO_L'],
      ] as const) {
        const received = byTicker.get(ticker);
        const partition = partitionOf(ticker);
        expect(received?.context.queue, ticker).to.equal(`alerter.p${partition}`);
        expect(received?.context.routingKey).to.equal(`price.updated.p${partition}.${word}`);
        expect(received?.event.id).to.equal(
          derivedEventId(EventType.priceUpdated, [ticker, new Date(T0).toISOString()]),
        );
        expect(received?.event.source).to.equal('tickwatch/collector');
      }
      expect(byTicker.get('OCDO.L')?.event.data).to.include({ price: 2.604, currency: 'GBP' });
      await pollUntil(
        'the read models got them too',
        () => readModels.of(EventType.priceUpdated).length >= 3,
      );
    } finally {
      c.shutdown();
    }
  });

  it('publishes a tick once: a repeat is a duplicate, also after a restart; a crash republishes the ticks since the checkpoint under their ids', async () => {
    await reference('MSFT');
    const c = await collector();
    try {
      c.source.set('MSFT', 420, 10);
      expect((await c.run()).published).to.equal(1);
      expect((await c.run()).published).to.equal(0);
      await c.restart();
      expect((await c.run()).published).to.equal(0);
      expect(c.metrics.dropped).to.deep.equal(['duplicate', 'duplicate']);
      c.source.set('MSFT', 421, 20);
      expect((await c.run()).published).to.equal(1);
      await c.crash();
      expect((await c.run()).published, 'the tick after the checkpoint, again').to.equal(1);
      const id = derivedEventId(EventType.priceUpdated, [
        'MSFT',
        new Date(T0 + 20_000).toISOString(),
      ]);
      await pollUntil(
        'the same event twice',
        () =>
          partitions.of(EventType.priceUpdated).filter((item) => item.event.id === id).length === 2,
      );
      c.source.set('MSFT', 419, 15);
      expect((await c.run()).published).to.equal(0);
      expect(c.metrics.dropped.at(-1)).to.equal('stale');
    } finally {
      c.shutdown();
    }
  });

  it('republishes the same event when the broker did not confirm, and records only confirmed quotes', async () => {
    await reference('NFLX');
    // The collector's broker link goes through a proxy that stops forwarding: no confirm comes.
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: 5672 });
    const flaky = testMessaging(harness.vhost.urlVia(proxy.port), {
      topology: tickwatchTopology(),
      publishTimeoutMs: 500,
      logger: silent,
    });
    await flaky.start();
    const c = await collector({ messaging: flaky });
    try {
      c.source.set('NFLX', 700, 30);
      proxy.stall();
      const unconfirmed = await c.run();
      expect(unconfirmed.published).to.equal(0);
      expect(c.metrics.publishFailures).to.be.greaterThan(0);
      proxy.resume();
      await pollUntil('the link is back', () => flaky.ready());
      expect((await c.run()).published, 'the same tick again').to.be.greaterThan(0);
      const id = derivedEventId(EventType.priceUpdated, [
        'NFLX',
        new Date(T0 + 30_000).toISOString(),
      ]);
      await pollUntil('NFLX in its partition', () =>
        partitions.of(EventType.priceUpdated).some((item) => item.event.id === id),
      );
    } finally {
      c.shutdown();
      await flaky.close();
      await proxy.close();
    }
  });

  it('asks in batches of at most the batch size', async () => {
    const tickers = Array.from({ length: 120 }, (_, n) => `T${String(n).padStart(3, '0')}`);
    const c = await collector({ defaultTickers: tickers });
    try {
      for (const ticker of tickers) c.source.set(ticker, 10 + tickers.indexOf(ticker), 0);
      const report = await c.run();
      // The 120 defaults plus what earlier tests reference, in batches of at most 50.
      const total = report.tickers.length;
      expect(total).to.be.at.least(120);
      expect(c.source.asked.map((batch) => batch.length)).to.deep.equal([50, 50, total - 100]);
      expect(report.published).to.be.at.least(120);
    } finally {
      c.shutdown();
    }
  });

  it('reports an unknown ticker once (event, metric), leaves it out, and asks again after the recheck', async () => {
    let now = Date.now();
    await reference('ZZZZ');
    const c = await collector({ now: () => now });
    try {
      c.source.unknown.add('ZZZZ');
      await c.run();
      await pollUntil(
        'ticker.rejected',
        () => readModels.of(EventType.tickerRejected).length === 1,
      );
      const [rejected] = readModels.of(EventType.tickerRejected);
      expect(rejected?.event.data).to.include({
        ticker: 'ZZZZ',
        reason: 'UNKNOWN_SYMBOL',
        source: 'yahoo',
      });
      expect(rejected?.context.routingKey).to.equal(`ticker.rejected.p${partitionOf('ZZZZ')}.ZZZZ`);
      expect(c.metrics.rejectedTickers).to.deep.equal(['UNKNOWN_SYMBOL']);

      c.source.asked.length = 0;
      await c.restart();
      await c.run();
      expect(c.source.requested(), 'left out, also after a restart').not.to.include('ZZZZ');

      now += settings.unknownRecheckMs;
      await c.run();
      expect(c.source.requested()).to.include('ZZZZ');
      expect(c.metrics.rejectedTickers, 'not reported again').to.have.length(1);

      c.source.unknown.delete('ZZZZ');
      c.source.set('ZZZZ', 5, 40);
      now += settings.unknownRecheckMs;
      expect((await c.run()).published, 'known again').to.be.at.least(1);
      now += 1_000;
      c.source.asked.length = 0;
      await c.run();
      expect(c.source.requested()).to.include('ZZZZ');
    } finally {
      c.shutdown();
    }
  });

  it('reports a ticker the source lists without a price as NO_PRICE, once, and counts the quote', async () => {
    await reference('NOPX');
    const c = await collector();
    try {
      c.source.set('NOPX', undefined, 0);
      await c.run();
      expect(c.metrics.rejectedQuotes).to.deep.equal(['missing-price']);
      await pollUntil('NO_PRICE', () =>
        readModels.of(EventType.tickerRejected).some((item) => item.event.data.ticker === 'NOPX'),
      );
      const rejection = readModels
        .of(EventType.tickerRejected)
        .find((item) => item.event.data.ticker === 'NOPX');
      expect(rejection?.event.data.reason).to.equal('NO_PRICE');
    } finally {
      c.shutdown();
    }
  });

  it('stops collecting a ticker in the next cycle once its last reference is gone', async () => {
    const c = await collector();
    try {
      const id = `rule:${randomUUID()}`;
      await references.writer.write({
        updateOne: {
          filter: { _id: id },
          update: { $set: { kind: 'rule', ticker: 'GONE', version: 1 } },
          upsert: true,
        },
      });
      await c.run();
      expect(c.source.requested()).to.include('GONE');
      await references.writer.write({
        updateOne: { filter: { _id: id }, update: { $set: { deletedAt: new Date() } } },
      });
      c.source.asked.length = 0;
      await c.run();
      expect(c.source.requested()).not.to.include('GONE');
    } finally {
      c.shutdown();
    }
  });

  it('publishes nothing while the breaker is open, without asking the source', async () => {
    const c = await collector({ defaultTickers: ['OPEN1'] });
    try {
      c.source.set('OPEN1', 10, 50);
      c.source.failing = true;
      await c.run();
      await c.run();
      expect(c.breaker().state()).to.equal('open');
      c.source.failing = false;
      const asked = c.source.asked.length;
      const report = await c.run();
      expect(report.published).to.equal(0);
      expect(report.failedBatches).to.be.greaterThan(0);
      expect(c.source.asked.length).to.equal(asked);
      expect(c.metrics.fetches.at(-1)?.failure).to.equal('circuit-open');
    } finally {
      c.shutdown();
    }
  });

  it('traces each batch fetch (symbols, breaker state, outcome) and counts in its Prometheus metrics', async () => {
    const tracing = startInMemoryTracing();
    const registry = createMetricsRegistry();
    const c = await collector({ defaultTickers: ['SPAN1'], metrics: prometheusMetrics(registry) });
    try {
      c.source.set('SPAN1', 10, 60);
      await c.run();
      await c.run();
      c.source.failing = true;
      await c.run();
      const fetches = tracing.spans().filter((span) => span.name === 'fetch quotes');
      expect(fetches.map((span) => span.attributes['tickwatch.quotes.outcome'])).to.deep.equal([
        'ok',
        'ok',
        'other',
      ]);
      expect(fetches[0]?.attributes).to.include({
        'tickwatch.quotes.source': 'yahoo',
        'tickwatch.circuit.state': 'closed',
        'tickwatch.quotes.returned': 1,
      });
      expect(fetches[0]?.attributes['tickwatch.quotes.symbols']).to.be.a('number');
      expect(fetches[2]?.status.code, 'a failed fetch is an error span').to.equal(2);
      const text = await registry.registry.metrics();
      expect(text).to.match(/^tickwatch_collector_quotes_published_total 1$/m);
      expect(text).to.match(/^tickwatch_collector_quotes_dropped_total\{reason="duplicate"\} 1$/m);
      expect(text).to.match(/^tickwatch_collector_fetch_failures_total\{reason="other"\} 1$/m);
      expect(text).to.match(/^tickwatch_collector_batch_fetches_total\{outcome="ok"\} 2$/m);
      expect(text).to.match(/^tickwatch_collector_circuit_state 0$/m);
      expect(text).to.match(
        /^tickwatch_collector_fetch_duration_seconds_count\{outcome="ok"\} 2$/m,
      );
    } finally {
      c.shutdown();
      await tracing.stop();
    }
  });
});
