/** CollectorMetrics that remember every call, for assertions. */
import type {
  CircuitState,
  CollectorMetrics,
  DroppedReason,
  FetchFailureReason,
} from '../src/metric-hooks.ts';
import type { RejectionReason } from '../src/quotes/hygiene.ts';

export class RecordingMetrics implements CollectorMetrics {
  watched: number[] = [];
  fetches: { quotes: number; failure?: FetchFailureReason }[] = [];
  published = 0;
  dropped: DroppedReason[] = [];
  rejectedQuotes: RejectionReason[] = [];
  rejectedTickers: string[] = [];
  publishFailures = 0;
  circuit: CircuitState[] = [];
  cycles = 0;

  tickersWatched(count: number): void {
    this.watched.push(count);
  }
  batchFetched(info: { quotes: number; failure?: FetchFailureReason }): void {
    this.fetches.push({ quotes: info.quotes, ...(info.failure ? { failure: info.failure } : {}) });
  }
  quotesPublished(count: number): void {
    this.published += count;
  }
  quoteDropped(reason: DroppedReason): void {
    this.dropped.push(reason);
  }
  quoteRejected(reason: RejectionReason): void {
    this.rejectedQuotes.push(reason);
  }
  tickerRejected(reason: string): void {
    this.rejectedTickers.push(reason);
  }
  publishFailed(count: number): void {
    this.publishFailures += count;
  }
  circuitState(state: CircuitState): void {
    this.circuit.push(state);
  }
  cycleCompleted(): void {
    this.cycles += 1;
  }
}
