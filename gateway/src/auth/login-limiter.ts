/**
 * Login rate limits (rate-limiter-flexible, counters in the gateway's MongoDB so every replica
 * sees the same counts):
 * - per email: failures in a row; from the 3rd on, that email is locked for a doubling time
 *   (1 s, 2 s, 4 s ... capped at 15 min), so guessing one account's password gets slow fast
 *   while its owner, who mistyped twice, never notices. A success resets it.
 * - per client address: at most 100 failures an hour over any emails (credential stuffing),
 *   then that address is locked for an hour.
 * Registration is limited per address too (20 an hour). Emails are counted under a hash
 * (emailKey): the counters hold no address.
 */
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../graphql/errors.ts';
import { emailKey } from './hourly-limit.ts';

export interface LoginLimiter {
  /** Throws RATE_LIMITED while either the email or the address is locked. */
  check(email: string, ip: string): Promise<void>;
  failed(email: string, ip: string): Promise<void>;
  succeeded(email: string): Promise<void>;
  /** Throws RATE_LIMITED past the registrations an address may make. */
  registering(ip: string): Promise<void>;
}

export interface LoginLimits {
  /** Failures in a row before an email is locked (default 3). */
  readonly freeFailures?: number;
  /** Longest lock of an email, seconds (default 900). */
  readonly maxLockSeconds?: number;
  /** Failures per address per hour (default 100). */
  readonly failuresPerIpHour?: number;
  /** Registrations per address per hour (default 20). */
  readonly registrationsPerIpHour?: number;
}

const HOUR = 3600;
const COLLECTION = 'rate_limits';

export function createLoginLimiter(connection: Connection, limits: LoginLimits = {}): LoginLimiter {
  const {
    freeFailures = 3,
    maxLockSeconds = 900,
    failuresPerIpHour = 100,
    registrationsPerIpHour = 20,
  } = limits;
  const storeClient = connection.db;
  if (!storeClient) throw new Error('login limiter: the MongoDB connection is not open');
  const store = { storeClient, tableName: COLLECTION };
  // Consecutive failures per email; the count lives a day, the lock is set explicitly.
  const byEmail = new RateLimiterMongo({
    ...store,
    keyPrefix: 'login-email',
    points: 1_000_000,
    duration: 24 * HOUR,
  });
  const emailLock = new RateLimiterMongo({
    ...store,
    keyPrefix: 'login-email-lock',
    points: 1,
    duration: 1,
  });
  const byIp = new RateLimiterMongo({
    ...store,
    keyPrefix: 'login-ip',
    points: failuresPerIpHour,
    duration: HOUR,
    blockDuration: HOUR,
  });
  const registrations = new RateLimiterMongo({
    ...store,
    keyPrefix: 'register-ip',
    points: registrationsPerIpHour,
    duration: HOUR,
  });

  const lockedFor = async (limiter: RateLimiterMongo, key: string, limit: number) => {
    const state = await limiter.get(key);
    return state && state.consumedPoints > limit ? state.msBeforeNext / 1000 : 0;
  };

  return {
    async check(email, ip) {
      const wait = Math.max(
        await lockedFor(emailLock, emailKey(email), 0),
        await lockedFor(byIp, ip, failuresPerIpHour),
      );
      if (wait > 0) throw rateLimited('login', wait);
    },

    async failed(email, ip) {
      const [count] = await Promise.all([
        byEmail.penalty(emailKey(email)),
        byIp.consume(ip).catch((result: unknown) => {
          if (!(result instanceof RateLimiterRes)) throw result;
        }),
      ]);
      const inARow = count.consumedPoints;
      if (inARow >= freeFailures) {
        const seconds = Math.min(2 ** (inARow - freeFailures), maxLockSeconds);
        await emailLock.set(emailKey(email), 2, seconds);
      }
    },

    async succeeded(email) {
      await Promise.all([byEmail.delete(emailKey(email)), emailLock.delete(emailKey(email))]);
    },

    async registering(ip) {
      try {
        await registrations.consume(ip);
      } catch (result) {
        if (result instanceof RateLimiterRes)
          throw rateLimited('register', result.msBeforeNext / 1000);
        throw result;
      }
    },
  };
}
