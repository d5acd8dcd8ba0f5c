/**
 * Exponential backoff with jitter: `next()` gives the next delay, `reset()` starts over after
 * a success. Jitter spreads reconnecting replicas so they do not hit the broker in lockstep.
 */
export interface BackoffOptions {
  /** First delay, ms. */
  readonly initialMs: number;
  /** Cap, ms; the jittered delay never exceeds it. */
  readonly maxMs: number;
  readonly factor?: number;
  /** Fraction of the delay drawn at random either side (0–1). */
  readonly jitter?: number;
  readonly random?: () => number;
}

export interface Backoff {
  next(): number;
  reset(): void;
  readonly attempts: number;
}

export function exponentialBackoff(options: BackoffOptions): Backoff {
  const { initialMs, maxMs, factor = 2, jitter = 0.2, random = Math.random } = options;
  if (initialMs < 0 || maxMs < initialMs) throw new RangeError('need 0 ≤ initialMs ≤ maxMs');
  let attempts = 0;
  return {
    next() {
      // Cap the base so that base + jitter still fits under maxMs.
      const base = Math.min(maxMs / (1 + jitter), initialMs * factor ** attempts);
      attempts += 1;
      const spread = base * jitter * (random() * 2 - 1);
      return Math.max(0, Math.round(base + spread));
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/** The reconnect cap services use unless RABBITMQ_RECONNECT_MAX says otherwise, ms. */
export const DEFAULT_RECONNECT_MAX_MS = 5_000;

/**
 * The broker reconnect backoff: 250 ms doubling up to `maxMs` (the cap, jitter included), so
 * that after an outage of any length the layer is back at most about `maxMs` after the broker.
 */
export function reconnectBackoff(maxMs = DEFAULT_RECONNECT_MAX_MS): BackoffOptions {
  return { initialMs: Math.min(250, maxMs), maxMs };
}
