/**
 * When the next request to Yahoo may go out: a token bucket (limiter's TokenBucket) paces
 * requests to YAHOO_MAX_REQUESTS_PER_MINUTE with bursts of a tenth of that, and after a 429 or
 * 5xx every request waits out an exponential back-off with jitter (doubling per failure in a
 * row, capped), never shorter than the Retry-After Yahoo sent. A success resets the back-off.
 */
import { TokenBucket } from 'limiter';

export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface RequestGateOptions {
  readonly requestsPerMinute: number;
  readonly backoff: BackoffSettings;
  /** For tests: a source of jitter in [0, 1). */
  readonly random?: () => number;
}

export interface RequestGate {
  /** Resolves when a request may go out (after any back-off, with a token taken). */
  pace(): Promise<void>;
  /** A 429/5xx: every later request waits the returned delay, ms. */
  failed(retryAfterMs: number | undefined): number;
  succeeded(): void;
}

export function createRequestGate(options: RequestGateOptions): RequestGate {
  const { requestsPerMinute, backoff, random = Math.random } = options;
  const bucketSize = Math.max(1, Math.floor(requestsPerMinute / 10));
  const bucket = new TokenBucket({
    bucketSize,
    tokensPerInterval: requestsPerMinute,
    interval: 'minute',
  });
  bucket.content = bucketSize; // Start full: the first cycle's burst need not wait.
  let failuresInRow = 0;
  let notBefore = 0;

  return {
    async pace() {
      for (let wait = notBefore - Date.now(); wait > 0; wait = notBefore - Date.now()) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await bucket.removeTokens(1);
    },
    failed(retryAfterMs) {
      failuresInRow += 1;
      const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failuresInRow - 1));
      // "Equal jitter": between half and all of the ceiling, so replicas spread out but
      // the wait still grows with every failure.
      const jittered = ceiling / 2 + random() * (ceiling / 2);
      const delay = Math.round(Math.max(retryAfterMs ?? 0, jittered));
      notBefore = Math.max(notBefore, Date.now() + delay);
      return delay;
    },
    succeeded() {
      failuresInRow = 0;
    },
  };
}
