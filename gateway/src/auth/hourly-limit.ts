/**
 * "At most N per key and hour" with the counters in the gateway's MongoDB (every replica sees
 * the same counts): test notifications and account emails per user, password resets per email
 * and per address. Over the limit: RATE_LIMITED with the seconds until the window reopens.
 */
import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../graphql/errors.ts';

/**
 * A counter key standing for an email address: the rate_limits rows then hold no address
 * (also none of the strangers' addresses people try), and outlive no deleted account's.
 */
export function emailKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url');
}

/** Takes one from `key`'s allowance, or throws RATE_LIMITED naming `what`. */
export type HourlyLimit = (key: string) => Promise<void>;

export function hourlyLimit(
  connection: Connection,
  options: { readonly keyPrefix: string; readonly perHour: number; readonly what: string },
): HourlyLimit {
  const storeClient = connection.db;
  if (!storeClient) throw new Error(`${options.what} limit: the MongoDB connection is not open`);
  const limiter = new RateLimiterMongo({
    storeClient,
    tableName: 'rate_limits',
    keyPrefix: options.keyPrefix,
    points: options.perHour,
    duration: 3600,
  });
  return async (key) => {
    try {
      await limiter.consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes)
        throw rateLimited(options.what, result.msBeforeNext / 1000);
      throw result;
    }
  };
}
