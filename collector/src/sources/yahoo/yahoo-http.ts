/**
 * The `fetch` yahoo-finance2 is given: the real one in production, a replay of recorded
 * responses in tests. It turns the statuses the collector must act on into typed errors before
 * yahoo-finance2 sees them, because yahoo-finance2's own HTTPError keeps neither the headers
 * (Retry-After) nor a way to tell a rotated crumb from an outage (and it prints the URL of
 * every failed request with console.error).
 */
export type FetchFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/** Why a request failed, as the metrics and the back-off see it. */
export type YahooFailureKind = 'unauthorized' | 'rate-limited' | 'server-error' | 'http-error';

export class YahooHttpError extends Error {
  readonly kind: YahooFailureKind;
  readonly status: number;
  /** From Retry-After (seconds or an HTTP date), ms. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, statusText: string, url: string, retryAfterMs: number | undefined) {
    super(`Yahoo answered ${[status, statusText].join(' ').trim()} for ${new URL(url).pathname}`);
    this.name = 'YahooHttpError';
    this.status = status;
    this.kind = kindOf(status);
    this.retryAfterMs = retryAfterMs;
  }
  /** Worth waiting for: Yahoo asked us to slow down, or had trouble of its own. */
  get retryable(): boolean {
    return this.kind === 'rate-limited' || this.kind === 'server-error';
  }
}

function kindOf(status: number): YahooFailureKind {
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server-error';
  return 'http-error';
}

/** Retry-After as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1_000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Wraps `base`: redirects (the cookie handshake) and successes pass through; 401, 429, other
 * 4xx and 5xx become YahooHttpError. A 404 of the quote endpoint does not happen for unknown
 * symbols (they are simply absent from the answer), so every 4xx here is a real failure.
 */
export function yahooFetch(base: FetchFunction): FetchFunction {
  return async (input, init) => {
    const response = await base(input, init);
    if (response.status < 400) return response;
    await response.body?.cancel();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    throw new YahooHttpError(
      response.status,
      response.statusText,
      url,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  };
}
