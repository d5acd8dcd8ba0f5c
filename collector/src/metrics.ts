/**
 * The collector's metrics (`tickwatch_collector_*`, on /metrics), implementing the hooks the
 * collector calls (metric-hooks.ts). The original data collector's `dc_*` metrics live on here:
 * `dc_requests_count` → `batch_fetches_total`, `dc_request_duration` → `fetch_duration_seconds`,
 * `dc_errors_count` → `fetch_failures_total{reason}`, `dc_stock_prices_published` →
 * `quotes_published_total`, `dc_circuit_open` → `circuit_state` (0 closed, 1 half-open, 2 open).
 */
import {
  counter,
  defineMetrics,
  gauge,
  histogram,
  processMetrics,
  type MetricsRegistry,
} from '@tickwatch/infra/telemetry';
import {
  CIRCUIT_STATE,
  type CollectorMetrics,
  type DroppedReason,
  type FetchFailureReason,
} from './metric-hooks.ts';
import { REJECTION_REASONS } from './quotes/hygiene.ts';

const FAILURE_REASONS: readonly FetchFailureReason[] = [
  'circuit-open',
  'timeout',
  'unauthorized',
  'rate-limited',
  'server-error',
  'http-error',
  'network',
  'invalid-response',
  'other',
];
const DROPPED_REASONS: readonly DroppedReason[] = ['duplicate', 'stale', 'held'];

function declare(registry: MetricsRegistry) {
  return defineMetrics(
    'collector',
    {
      tickersWatched: gauge({
        name: 'tickers_watched',
        help: 'Tickers the last cycle collected: DEFAULT_TICKERS plus those a rule, watch or lease names',
      }),
      batchFetches: counter({
        name: 'batch_fetches_total',
        help: 'Batch quote requests, by outcome (ok, failed)',
        labels: ['outcome'],
        initial: [{ outcome: 'ok' }, { outcome: 'failed' }],
      }),
      fetchDuration: histogram({
        name: 'fetch_duration_seconds',
        help: 'One batch fetch through the circuit breaker (a refused fetch takes about 0)',
        labels: ['outcome'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
      fetchFailures: counter({
        name: 'fetch_failures_total',
        help: 'Batch fetches that produced nothing, by reason (circuit-open: the breaker refused it)',
        labels: ['reason'],
        initial: FAILURE_REASONS.map((reason) => ({ reason })),
      }),
      quotesFetched: counter({
        name: 'quotes_fetched_total',
        help: 'Quotes the source returned, before hygiene',
      }),
      quotesPublished: counter({
        name: 'quotes_published_total',
        help: 'price.updated events the broker confirmed',
      }),
      quotesDropped: counter({
        name: 'quotes_dropped_total',
        help: 'Quotes not published: duplicate or stale market time, or an implausible jump held',
        labels: ['reason'],
        initial: DROPPED_REASONS.map((reason) => ({ reason })),
      }),
      quotesRejected: counter({
        name: 'quotes_rejected_total',
        help: 'Quotes refused as invalid (missing or non-positive price, no market time, bad currency)',
        labels: ['reason'],
        initial: REJECTION_REASONS.map((reason) => ({ reason })),
      }),
      tickersRejected: counter({
        name: 'tickers_rejected_total',
        help: 'Tickers the source does not know or cannot price, reported once each (ticker.rejected)',
        labels: ['reason'],
        initial: [{ reason: 'UNKNOWN_SYMBOL' }, { reason: 'NO_PRICE' }],
      }),
      publishFailures: counter({
        name: 'publish_failures_total',
        help: 'price.updated events the broker did not confirm (published again next cycle)',
      }),
      circuitState: gauge({
        name: 'circuit_state',
        help: 'Circuit breaker around the quote source: 0 closed, 1 half-open, 2 open',
      }),
      cycleDuration: histogram({
        name: 'cycle_duration_seconds',
        help: 'One polling cycle: watchlist read, every batch fetched, published and recorded',
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      }),
    },
    registry,
  );
}

/** The hooks over metrics declared in `registry` (tests pass their own). */
export function prometheusMetrics(registry: MetricsRegistry): CollectorMetrics {
  const metrics = declare(registry);
  return {
    tickersWatched: (count) => {
      metrics.tickersWatched.set({}, count);
    },
    batchFetched: ({ durationMs, quotes, failure }) => {
      const outcome = failure ? 'failed' : 'ok';
      metrics.batchFetches.inc({ outcome });
      metrics.fetchDuration.observe({ outcome }, durationMs / 1_000);
      if (failure) metrics.fetchFailures.inc({ reason: failure });
      metrics.quotesFetched.inc({}, quotes);
    },
    quotesPublished: (count) => {
      metrics.quotesPublished.inc({}, count);
    },
    quoteDropped: (reason) => {
      metrics.quotesDropped.inc({ reason });
    },
    quoteRejected: (reason) => {
      metrics.quotesRejected.inc({ reason });
    },
    tickerRejected: (reason) => {
      metrics.tickersRejected.inc({ reason });
    },
    publishFailed: (count) => {
      metrics.publishFailures.inc({}, count);
    },
    circuitState: (state) => {
      metrics.circuitState.set({}, CIRCUIT_STATE[state]);
    },
    cycleCompleted: ({ durationMs }) => {
      metrics.cycleDuration.observe({}, durationMs / 1_000);
    },
  };
}

/** The collector's metrics in the process registry, served on /metrics. */
export const collectorMetrics: CollectorMetrics = prometheusMetrics(processMetrics);
