/**
 * The circuit breaker (opossum) around each batch fetch. Closed: requests go out. When the
 * failures within the rolling window reach the error percentage (and at least the volume
 * threshold of fetches were made), it opens: no requests to the source at all for the reset
 * timeout, then half-open: one trial fetch closes it again or re-opens it. A failed or refused
 * fetch falls back to nothing: no quote is invented and no stale price re-emitted.
 */
import CircuitBreaker from 'opossum';
import type { Logger } from '@tickwatch/infra/log';
import type { BatchResult, QuoteSource } from './quotes/source.ts';
import { YahooHttpError } from './sources/yahoo/yahoo-http.ts';
import type { CircuitState, CollectorMetrics, FetchFailureReason } from './metric-hooks.ts';

export interface BreakerSettings {
  readonly timeoutMs: number;
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  readonly rollingWindowMs: number;
  readonly resetTimeoutMs: number;
}

/** A batch's quotes, or why there are none. */
export type BatchOutcome =
  | { readonly ok: true; readonly result: BatchResult }
  | { readonly ok: false; readonly reason: FetchFailureReason; readonly error: Error };

export interface BatchBreaker {
  /** Never rejects: a failure or an open circuit is an outcome (the fallback). */
  fetch(tickers: readonly string[]): Promise<BatchOutcome>;
  state(): CircuitState;
  /** Stops its timers. */
  shutdown(): void;
}

const ROLLING_BUCKETS = 10;

export function createBatchBreaker(
  source: QuoteSource,
  settings: BreakerSettings,
  logger: Logger,
  metrics: CollectorMetrics,
): BatchBreaker {
  const { timeoutMs } = settings;
  // Each fetch gets its own abort signal, fired with the breaker's timeout, so a request the
  // breaker gave up on does not linger (opossum's shared AbortController would abort them all).
  const fetchBatch = async (tickers: readonly string[]): Promise<BatchOutcome> => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(new Error(`batch fetch timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      return { ok: true, result: await source.fetchBatch(tickers, controller.signal) };
    } finally {
      clearTimeout(timer);
    }
  };
  const breaker = new CircuitBreaker(fetchBatch, {
    name: `${source.name}-quotes`,
    timeout: timeoutMs,
    errorThresholdPercentage: settings.errorThresholdPercentage,
    volumeThreshold: settings.volumeThreshold,
    rollingCountTimeout: settings.rollingWindowMs,
    rollingCountBuckets: ROLLING_BUCKETS,
    resetTimeout: settings.resetTimeoutMs,
    enableSnapshots: false,
  });
  breaker.fallback((...args: unknown[]): BatchOutcome => {
    const last = args.at(-1);
    const error = last instanceof Error ? last : new Error('fetch failed');
    return { ok: false, reason: failureReason(error), error };
  });

  const report = (state: CircuitState) => {
    metrics.circuitState(state);
  };
  breaker.on('open', () => {
    report('open');
    logger.warn(
      { source: source.name, resetTimeoutMs: settings.resetTimeoutMs },
      'circuit open: no requests to the quote source until the reset timeout',
    );
  });
  breaker.on('halfOpen', () => {
    report('halfOpen');
    logger.info({ source: source.name }, 'circuit half-open: the next fetch is a trial');
  });
  breaker.on('close', () => {
    report('closed');
    logger.info({ source: source.name }, 'circuit closed: fetching again');
  });
  report('closed');

  return {
    fetch: (tickers) => breaker.fire(tickers),
    state: () => (breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed'),
    shutdown: () => {
      breaker.shutdown();
    },
  };
}

function failureReason(error: Error): FetchFailureReason {
  const code = (error as { code?: unknown }).code;
  if (code === 'EOPENBREAKER') return 'circuit-open';
  if (code === 'ETIMEDOUT' || error.name === 'AbortError' || error.name === 'TimeoutError')
    return 'timeout';
  if (error instanceof YahooHttpError) return error.kind;
  if (error.name === 'FailedYahooValidationError') return 'invalid-response';
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return 'network';
  return 'other';
}
