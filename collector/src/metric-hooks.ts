/**
 * What the collector reports about its work. The collector only calls these hooks; metrics.ts
 * implements them with prom-client, tests record them. Each hook
 * is cheap and must not throw.
 */
import type { RejectionReason } from './quotes/hygiene.ts';
import type { SourceRejection } from './quotes/source.ts';

/** The breaker's state as the circuit-state gauge reports it. */
export const CIRCUIT_STATE = { closed: 0, halfOpen: 1, open: 2 } as const;
export type CircuitState = keyof typeof CIRCUIT_STATE;

/** Why a batch fetch produced nothing. */
export type FetchFailureReason =
  | 'circuit-open'
  | 'timeout'
  | 'unauthorized'
  | 'rate-limited'
  | 'server-error'
  | 'http-error'
  | 'network'
  | 'invalid-response'
  | 'other';

/** What hygiene did with a quote that was not published. */
export type DroppedReason = 'duplicate' | 'stale' | 'held';

export interface CollectorMetrics {
  tickersWatched(count: number): void;
  /** One batch request: how long, how many quotes it returned, or why it failed. */
  batchFetched(info: { durationMs: number; quotes: number; failure?: FetchFailureReason }): void;
  quotesPublished(count: number): void;
  quoteDropped(reason: DroppedReason): void;
  quoteRejected(reason: RejectionReason): void;
  /** A ticker the source does not know (reported once). */
  tickerRejected(reason: SourceRejection['reason']): void;
  publishFailed(count: number): void;
  circuitState(state: CircuitState): void;
  cycleCompleted(info: { durationMs: number }): void;
}

export const noopMetrics: CollectorMetrics = {
  tickersWatched() {},
  batchFetched() {},
  quotesPublished() {},
  quoteDropped() {},
  quoteRejected() {},
  tickerRejected() {},
  publishFailed() {},
  circuitState() {},
  cycleCompleted() {},
};
