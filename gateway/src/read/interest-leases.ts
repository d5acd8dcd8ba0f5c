/**
 * Interest leases (DESIGN.md §1): a valid ticker that no rule or watch names is collected only
 * while someone holds a lease on it. `quote(ticker)` takes one when it has no price to show, so
 * the next poll collects it (a short lease: one look); live subscriptions renew theirs while
 * subscribed (live/live-hub.ts). A
 * lease is an event (`interest.renewed`) that expires on its own: a crashed gateway leaks
 * nothing. Bounded: one publish per ticker per half lease, and at most `maxTickers` tickers.
 */
import { createEvent, EventType } from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import type { Messaging } from '@tickwatch/infra/messaging';
import { EVENT_SOURCE } from '../users/user-store.ts';

export interface InterestLeases {
  /**
   * Takes or renews this process's lease on `ticker` for `leaseMs` (default: the lease of a
   * subscription); never shortens one held, never throws, never waits.
   */
  request(ticker: string, leaseMs?: number): void;
  readonly held: number;
}

export function createInterestLeases(options: {
  readonly messaging: Pick<Messaging, 'publish'>;
  readonly holder: string;
  readonly logger: Logger;
  /** How long a lease lasts, ms (default 10 minutes). */
  readonly leaseMs?: number;
  readonly maxTickers?: number;
}): InterestLeases {
  const { messaging, holder, logger, leaseMs = 600_000, maxTickers = 1_000 } = options;
  const expiries = new Map<string, number>();

  const forget = (now: number): void => {
    for (const [ticker, expiry] of expiries) if (expiry <= now) expiries.delete(ticker);
  };

  return {
    request(ticker, length = leaseMs) {
      const now = Date.now();
      const expiry = expiries.get(ticker);
      if (expiry !== undefined && expiry - now > length / 2) return;
      if (expiry === undefined && expiries.size >= maxTickers) {
        forget(now);
        if (expiries.size >= maxTickers) return;
      }
      const expiresAt = Math.max(expiry ?? 0, now + length);
      expiries.set(ticker, expiresAt);
      const event = createEvent(
        EventType.interestRenewed,
        { ticker, holder, expiresAt: new Date(expiresAt).toISOString() },
        { source: EVENT_SOURCE },
      );
      messaging.publish(event).catch((error: unknown) => {
        expiries.delete(ticker);
        logger.warn({ err: error, ticker }, 'interest lease not published');
      });
    },
    get held() {
      return expiries.size;
    },
  };
}
