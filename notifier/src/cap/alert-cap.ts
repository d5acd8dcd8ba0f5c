/**
 * The per-user cap (DESIGN.md §7): at most N notifications per user, channel and window
 * (an hour), counted in MongoDB by rate-limiter-flexible so every notifier replica shares the
 * count. Over the cap, an alert is not sent: it waits for the digest, which goes out when the
 * window opens again (`opensAt`).
 *
 * A point is taken before the send and given back when the send fails, so a delivery retried
 * through the tiers counts once. (A crash between taking and giving back costs the user one
 * point for the rest of the window; it never lets more through than the cap.)
 */
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import type { Channel } from '../deliveries/delivery-model.ts';

export type CapVerdict =
  { readonly capped: false } | { readonly capped: true; readonly opensAt: Date };

export interface AlertCap {
  /** Counts one notification; capped when that makes more than `limit` in the window. */
  take(userId: string, channel: Channel, limit: number): Promise<CapVerdict>;
  /** Returns the point `take` counted for a notification that did not go out. */
  giveBack(userId: string, channel: Channel): Promise<void>;
  /** Counts a notification that goes out whatever the cap says (the digest itself). */
  count(userId: string, channel: Channel): Promise<void>;
  /** Forgets a user's counters (account deletion). */
  forget(userId: string): Promise<void>;
}

/** The largest cap a user can set (user.preferences-changed `maxAlertsPerHour`). */
const MAX_LIMIT = 1_000;
const CHANNELS: readonly Channel[] = ['EMAIL', 'WEBHOOK'];

export interface AlertCapOptions {
  readonly connection: Connection;
  /** Window length, seconds (3 600 in production; tests shorten it). */
  readonly windowSeconds: number;
}

export function createAlertCap(options: AlertCapOptions): AlertCap {
  // One limiter with the largest cap the contract allows; each user's own cap is compared
  // with the count it returns, so a user changing their cap needs no other limiter.
  const limiter = new RateLimiterMongo({
    storeClient: options.connection.getClient(),
    dbName: options.connection.name,
    tableName: 'alert_caps',
    keyPrefix: 'cap',
    points: MAX_LIMIT,
    duration: options.windowSeconds,
  });
  const key = (userId: string, channel: Channel): string => `${userId}:${channel}`;

  return {
    async take(userId, channel, limit) {
      let result: RateLimiterRes;
      try {
        result = await limiter.consume(key(userId, channel));
      } catch (error) {
        // Over MAX_LIMIT the limiter rejects with the count; anything else is a store error.
        if (!(error instanceof RateLimiterRes)) throw error;
        result = error;
      }
      if (result.consumedPoints <= limit) return { capped: false };
      return { capped: true, opensAt: new Date(Date.now() + result.msBeforeNext) };
    },
    async giveBack(userId, channel) {
      await limiter.reward(key(userId, channel), 1);
    },
    async count(userId, channel) {
      await limiter.penalty(key(userId, channel), 1);
    },
    async forget(userId) {
      await Promise.all(CHANNELS.map((channel) => limiter.delete(key(userId, channel))));
    },
  };
}
