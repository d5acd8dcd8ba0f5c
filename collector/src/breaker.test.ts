import { install, type Clock } from '@sinonjs/fake-timers';
import { expect } from 'chai';
import { createLogger } from '@tickwatch/infra/log';
import { createYahooReplay } from '../test/yahoo-replay.ts';
import { createBatchBreaker, type BreakerSettings } from './breaker.ts';
import { CIRCUIT_STATE, noopMetrics, type CircuitState } from './metric-hooks.ts';
import type { QuoteSource } from './quotes/source.ts';
import { createYahooSource } from './sources/yahoo/yahoo-source.ts';

const settings: BreakerSettings = {
  timeoutMs: 2_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  rollingWindowMs: 10_000,
  resetTimeoutMs: 5_000,
};
const silent = createLogger({ name: 'test', level: 'silent' });

describe('circuit breaker around batch fetches', () => {
  let clock: Clock;
  beforeEach(() => {
    clock = install({
      now: Date.parse('2026-10-02T15:00:00Z'),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
    });
  });
  afterEach(() => {
    clock.uninstall();
  });

  function yahooBehindBreaker() {
    const replay = createYahooReplay();
    const source = createYahooSource({
      fetch: replay.fetch,
      requestsPerMinute: 600,
      backoff: { initialMs: 1_000, maxMs: 60_000 },
      logger: silent,
    });
    const gauge: number[] = [];
    const breaker = createBatchBreaker(source, settings, silent, {
      ...noopMetrics,
      circuitState: (state: CircuitState) => gauge.push(CIRCUIT_STATE[state]),
    });
    return { replay, breaker, gauge };
  }

  it('opens on failing fetches, sends nothing while open, half-opens after the reset timeout, closes on success', async () => {
    const { replay, breaker, gauge } = yahooBehindBreaker();
    try {
      expect((await breaker.fetch(['AAPL'])).ok).to.equal(true);
      replay.failAlways('quote', { status: 500 });
      // 1 success + 2 failures: 3 fetches (the volume threshold), 67 % failed (> 50 %).
      for (let attempt = 0; attempt < 2; attempt++) {
        const outcome = await breaker.fetch(['AAPL']);
        expect(!outcome.ok && outcome.reason).to.equal('server-error');
      }
      expect(breaker.state()).to.equal('open');

      const sent = replay.requests.length;
      for (let attempt = 0; attempt < 5; attempt++) {
        const outcome = await breaker.fetch(['AAPL']);
        expect(!outcome.ok && outcome.reason).to.equal('circuit-open');
      }
      expect(replay.requests.length, 'requests while open').to.equal(sent);

      await clock.tickAsync(settings.resetTimeoutMs);
      expect(breaker.state()).to.equal('halfOpen');
      replay.recover();
      const trial = await breaker.fetch(['AAPL', 'BTC-USD']);
      expect(trial.ok && trial.result.quotes.length).to.equal(2);
      expect(breaker.state()).to.equal('closed');
      expect(gauge).to.deep.equal([0, 2, 1, 0]);
    } finally {
      breaker.shutdown();
    }
  });

  it('re-opens when the half-open trial fails', async () => {
    const { replay, breaker, gauge } = yahooBehindBreaker();
    try {
      replay.failAlways('quote', { status: 502 });
      for (let attempt = 0; attempt < 3; attempt++) await breaker.fetch(['AAPL']);
      await clock.tickAsync(settings.resetTimeoutMs);
      const trial = await breaker.fetch(['AAPL']);
      expect(trial.ok).to.equal(false);
      expect(breaker.state()).to.equal('open');
      expect(gauge).to.deep.equal([0, 2, 1, 2]);
    } finally {
      breaker.shutdown();
    }
  });

  it('stays closed while failures stay under the error percentage', async () => {
    const { replay, breaker } = yahooBehindBreaker();
    try {
      for (let round = 0; round < 4; round++) {
        expect((await breaker.fetch(['AAPL'])).ok).to.equal(true);
        expect((await breaker.fetch(['AAPL'])).ok).to.equal(true);
        replay.failNext('quote', { status: 500 });
        expect((await breaker.fetch(['AAPL'])).ok).to.equal(false);
      }
      expect(breaker.state()).to.equal('closed');
    } finally {
      breaker.shutdown();
    }
  });

  it('fails a fetch that outlives the timeout, and aborts its request', async () => {
    let aborted: unknown;
    const hanging: QuoteSource = {
      name: 'yahoo',
      pace: () => Promise.resolve(),
      fetchBatch: (_tickers, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(signal.reason as Error);
          });
        }),
      close: () => Promise.resolve(),
    };
    const breaker = createBatchBreaker(hanging, settings, silent, noopMetrics);
    try {
      const outcome = breaker.fetch(['AAPL']);
      await clock.tickAsync(settings.timeoutMs);
      const result = await outcome;
      expect(!result.ok && result.reason).to.equal('timeout');
      expect(String(aborted)).to.match(/timed out after 2000 ms/);
    } finally {
      breaker.shutdown();
    }
  });
});
