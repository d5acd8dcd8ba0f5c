/**
 * Accounts: registration, login with rotating refresh tokens, logout, deletion (also of
 * accounts that never verified their address). Passwords are hashed with scrypt
 * (auth/passwords.ts), logins rate-limited per email and per address (auth/login-limiter.ts),
 * and every answer to a bad login is the same, in the same time, whether the email exists or
 * not. Registration too answers the same, after the same work, whether or not another account
 * owns the address (address-claims.ts): a new account waits for its address (`pendingEmail`)
 * until its link is followed, and an owned one it can never get.
 */
import { randomUUID } from 'node:crypto';
import { EventType, TimeZone } from '@tickwatch/contracts';
import type { Logger } from '@tickwatch/infra/log';
import { isDuplicateKey } from '@tickwatch/infra/messaging/idempotency';
import { outboxFieldsFor, type TraceContext } from '@tickwatch/infra/messaging/outbox';
import { z } from 'zod';
import type { AccessTokens } from '../auth/access-tokens.ts';
import type { LoginLimiter } from '../auth/login-limiter.ts';
import type { PasswordHasher } from '../auth/passwords.ts';
import { accountOfAddress } from './address-account.ts';
import type { ClaimAddress } from './address-claims.ts';
import type { PasswordCheck } from './password-check.ts';
import { passwordProblem } from '../auth/password-policy.ts';
import {
  hashSecret,
  newRefreshSecret,
  parseRefreshToken,
  sameHash,
} from '../auth/refresh-tokens.ts';
import { badInput, codeOf, ErrorCode, unauthenticated } from '../graphql/errors.ts';
import { metrics } from '../metrics.ts';
import { contractRule } from './rule-commands.ts';
import { commandEvent, type CommandRequest, type UserStore } from './user-store.ts';
import {
  KEEP_USED_SECRETS,
  MAX_SESSIONS,
  type UserDocument,
  type UserModel,
} from './user-model.ts';
import { defaultPreferences } from './preference-commands.ts';

export interface Session {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  readonly user: UserDocument;
}

export interface Accounts {
  register(input: {
    email: string;
    password: string;
    timeZone: string;
    ip: string;
    trace: TraceContext;
  }): Promise<Session>;
  login(input: { email: string; password: string; ip: string }): Promise<Session>;
  refresh(refreshToken: string): Promise<Session>;
  logout(refreshToken: string): Promise<boolean>;
  /** Strips the account to a tombstone with its last events; the tombstone goes once they are out. */
  deleteAccount(input: {
    userId: string;
    password: string;
    ip: string;
    trace: TraceContext;
  }): Promise<void>;
  /**
   * Deletes (as deleteAccount does) accounts created before `createdBefore` that never verified
   * an address, so none holds one for ever; returns how many (at most `batch` a call).
   */
  deleteUnverified(createdBefore: Date, batch: number): Promise<number>;
}

export interface AccountsOptions {
  readonly users: UserModel;
  readonly store: UserStore;
  readonly hasher: PasswordHasher;
  readonly tokens: AccessTokens;
  readonly limiter: LoginLimiter;
  readonly refreshTtlDays: number;
  /** true: registration sends a verification link, and alerts wait for it to be followed. */
  readonly requireEmailVerification: boolean;
  readonly claimAddress: ClaimAddress;
  readonly checkPassword: PasswordCheck;
  /** Called once an account is deleted, to purge what the read side holds of it. */
  readonly purgeReadModels: (userId: string) => Promise<void>;
  readonly removeTombstone: (userId: string) => Promise<void>;
  readonly logger: Logger;
}

const EMAIL_MAX_LENGTH = 254;
const Email = z.email();
const WRONG_LOGIN = 'wrong email or password';

export function normalizeEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (email.length > EMAIL_MAX_LENGTH || !Email.safeParse(email).success) {
    throw badInput('email', 'is not an email address');
  }
  return email;
}

export function createAccounts(options: AccountsOptions): Accounts {
  const { users, store, hasher, tokens, limiter, logger } = options;
  const refreshTtlMs = options.refreshTtlDays * 86_400_000;

  const sessionFor = async (
    user: UserDocument,
    secret = newRefreshSecret(),
    expiresAt?: Date,
  ): Promise<Session> => {
    const access = await tokens.issue(user._id, secret.sessionId);
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: secret.token,
      refreshTokenExpiresAt: expiresAt ?? new Date(Date.now() + refreshTtlMs),
      user,
    };
  };

  /** A new session in the document, the oldest dropped past MAX_SESSIONS. */
  const openSession = async (user: UserDocument): Promise<Session> => {
    const secret = newRefreshSecret();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + refreshTtlMs);
    const stored = {
      id: secret.sessionId,
      secretHash: secret.secretHash,
      createdAt: now,
      expiresAt,
    };
    await users.updateOne(
      { _id: user._id, deletedAt: { $exists: false } },
      { $push: { sessions: { $each: [stored], $slice: -MAX_SESSIONS } } },
    );
    return sessionFor(user, secret, expiresAt);
  };

  const findSession = async (refreshToken: string) => {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) throw unauthenticated('not a refresh token');
    const user = await users
      .findOne({ 'sessions.id': parsed.sessionId, deletedAt: { $exists: false } })
      .lean<UserDocument>();
    const session = user?.sessions.find((s) => s.id === parsed.sessionId);
    if (!user || !session) throw unauthenticated('the session has ended: log in again');
    return { user, session, presented: hashSecret(parsed.secret) };
  };

  const endSession = async (userId: string, sessionId: string): Promise<boolean> => {
    const result = await users.updateOne(
      { _id: userId },
      { $pull: { sessions: { id: sessionId } } },
    );
    return result.modifiedCount === 1;
  };

  /**
   * Strips the account to a tombstone when `still(user)` holds, in the write that emits
   * rule.deleted for every rule, watch.removed for every watch and user.deleted; then the read
   * models forget the user and the tombstone goes once its events are out.
   */
  const purge = async (
    request: CommandRequest,
    still: (user: UserDocument) => boolean,
  ): Promise<boolean> => {
    const { userId } = request;
    const purged = await store.run(request, (user) => {
      if (!still(user)) return { update: {}, events: [], result: false };
      const now = new Date();
      const events = [
        ...user.rules.map((rule) =>
          commandEvent(EventType.ruleDeleted, {
            rule: contractRule({
              ...rule,
              version: rule.version + 1,
              updatedAt: now.toISOString(),
            }),
          }),
        ),
        ...user.watchlist.map((watch) =>
          commandEvent(EventType.watchRemoved, {
            watchId: watch.id,
            userId,
            ticker: watch.ticker,
          }),
        ),
        commandEvent(EventType.userDeleted, { userId }),
      ];
      return {
        // Every personal field goes in this write; what stays is ids and the outbox.
        update: {
          $set: {
            deletedAt: now,
            emailVerified: false,
            rules: [],
            watchlist: [],
            sessions: [],
            requests: [],
          },
          $unset: {
            email: 1,
            pendingEmail: 1,
            passwordHash: 1,
            passwordVersion: 1,
            timeZone: 1,
            preferences: 1,
          },
        },
        events,
        result: true,
      };
    });
    if (!purged) return false;
    await options.purgeReadModels(userId);
    await options.removeTombstone(userId);
    return true;
  };

  return {
    async register({ email: emailInput, password, timeZone, ip, trace }) {
      await limiter.registering(ip);
      const email = normalizeEmail(emailInput);
      if (!TimeZone.safeParse(timeZone).success) {
        throw badInput('timeZone', 'expected an IANA time zone name such as Europe/London');
      }
      const problem = passwordProblem(password, email);
      if (problem) throw badInput('password', problem);
      const userId = randomUUID();
      // The same work whether or not the address is owned: the answer's time tells nothing.
      const [passwordHash, claim] = await Promise.all([
        hasher.hash(password),
        options.claimAddress({ _id: userId, timeZone }, email, {
          verify: options.requireEmailVerification,
        }),
      ]);
      const secret = newRefreshSecret();
      const now = new Date();
      const expiresAt = new Date(now.getTime() + refreshTtlMs);
      /** The account owning its address (verification off, address free) or waiting for it. */
      const create = (owns: boolean) => {
        const registered = commandEvent(EventType.userRegistered, {
          userId,
          email,
          emailVerified: owns,
          timeZone,
        });
        return users.create({
          _id: userId,
          ...(owns ? { email } : { pendingEmail: email }),
          emailVerified: owns,
          timeZone,
          passwordHash,
          preferences: defaultPreferences(),
          sessions: [
            { id: secret.sessionId, secretHash: secret.secretHash, createdAt: now, expiresAt },
          ],
          createdAt: now,
          version: 1,
          ...outboxFieldsFor([registered, ...claim.emails], trace),
        });
      };
      const owns = !options.requireEmailVerification && !claim.owned;
      // An account that verified the address since it was looked up: this one waits, as for any owned address.
      const created = await create(owns).catch((error: unknown) => {
        if (owns && isDuplicateKey(error)) return create(false);
        throw error;
      });
      store.flushSoon(userId);
      return sessionFor(created.toObject<UserDocument>(), secret, expiresAt);
    },

    async login({ email: emailInput, password, ip }) {
      const email = emailInput.trim().toLowerCase();
      try {
        await limiter.check(email, ip);
      } catch (error) {
        metrics.logins.inc({ outcome: 'rate_limited' });
        throw error;
      }
      const user = await accountOfAddress(users, email, '+passwordHash');
      const valid = user?.passwordHash
        ? await hasher.verify(password, user.passwordHash)
        : await hasher.verifyNothing(password);
      if (!user || !valid) {
        await limiter.failed(email, ip);
        metrics.logins.inc({ outcome: 'failure' });
        throw unauthenticated(WRONG_LOGIN);
      }
      await limiter.succeeded(email);
      metrics.logins.inc({ outcome: 'success' });
      const { passwordHash: _hash, ...withoutHash } = user;
      return openSession(withoutHash);
    },

    async refresh(refreshToken) {
      const { user, session, presented } = await findSession(refreshToken);
      if (session.expiresAt.getTime() <= Date.now()) {
        await endSession(user._id, session.id);
        throw unauthenticated('the session has expired: log in again');
      }
      if ((session.usedHashes ?? []).some((used) => sameHash(presented, used))) {
        // A rotated-away token came back: someone else holds a copy. End the session for both.
        await endSession(user._id, session.id);
        logger.warn(
          { userId: user._id, sessionId: session.id },
          'refresh token reused; session revoked',
        );
        throw unauthenticated(
          'this refresh token was already used: the session is revoked, log in again',
        );
      }
      if (!sameHash(presented, session.secretHash))
        throw unauthenticated('the session has ended: log in again');
      const next = newRefreshSecret(session.id);
      const rotated = await users.updateOne(
        {
          _id: user._id,
          sessions: { $elemMatch: { id: session.id, secretHash: session.secretHash } },
        },
        {
          // The whole session in one positional path.
          $set: {
            'sessions.$': {
              ...session,
              secretHash: next.secretHash,
              usedHashes: [...(session.usedHashes ?? []), session.secretHash].slice(
                -KEEP_USED_SECRETS,
              ),
            },
          },
        },
      );
      if (rotated.modifiedCount !== 1)
        throw unauthenticated('this refresh token was just used: log in again');
      return sessionFor(user, next, session.expiresAt);
    },

    async logout(refreshToken) {
      const found = await findSession(refreshToken).catch(() => null);
      if (!found || !sameHash(found.presented, found.session.secretHash)) return false;
      return endSession(found.user._id, found.session.id);
    },

    async deleteAccount({ userId, password, ip, trace }) {
      await options.checkPassword(userId, password, ip);
      await purge({ userId, operation: 'deleteAccount', args: {}, trace }, () => true);
    },

    async deleteUnverified(createdBefore, batch) {
      const expired = await users
        .find(
          {
            pendingEmail: { $exists: true },
            email: { $exists: false },
            deletedAt: { $exists: false },
            createdAt: { $lt: createdBefore },
          },
          { _id: 1 },
        )
        .limit(batch)
        .lean();
      let deleted = 0;
      for (const { _id: userId } of expired) {
        const request = { userId, operation: 'deleteUnverified', args: {} };
        // Verified since it was found: it stays.
        const gone = await purge(request, (user) => !user.email).catch((error: unknown) => {
          if (codeOf(error) === ErrorCode.unauthenticated) return false; // deleted meanwhile
          throw error;
        });
        if (gone) deleted += 1;
      }
      return deleted;
    },
  };
}
