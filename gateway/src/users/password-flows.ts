/**
 * Passwords after registration:
 * - reset by email link: the request answers the same whether or not the address has an
 *   account (only the account the address signs in gets an email: address-account.ts), is rate limited per address asked about and
 *   per client, and the link works once and for an hour; the reset ends every session.
 * - change: the current password is asked again; every other session ends.
 * Both move the password version on, which retires every reset link sent before.
 */
import type { TraceContext } from '@tickwatch/infra/messaging/outbox';
import { emailKey, type HourlyLimit } from '../auth/hourly-limit.ts';
import type { LoginLimiter } from '../auth/login-limiter.ts';
import type { PasswordHasher } from '../auth/passwords.ts';
import { passwordProblem } from '../auth/password-policy.ts';
import { badInput, codeOf, ErrorCode } from '../graphql/errors.ts';
import type { AccountLinks } from './account-links.ts';
import { accountOfAddress } from './address-account.ts';
import { normalizeEmail } from './accounts.ts';
import type { PasswordCheck } from './password-check.ts';
import { addressOf, type UserModel } from './user-model.ts';
import type { UserStore } from './user-store.ts';

export interface PasswordFlows {
  /** Always resolves the same way for a well-formed address (RATE_LIMITED aside). */
  requestPasswordReset(input: { email: string; ip: string; trace: TraceContext }): Promise<void>;
  resetPassword(input: { token: string; newPassword: string }): Promise<void>;
  changePassword(input: {
    userId: string;
    sessionId: string;
    currentPassword: string;
    newPassword: string;
    ip: string;
  }): Promise<void>;
}

export function createPasswordFlows(options: {
  readonly users: UserModel;
  readonly store: UserStore;
  readonly links: AccountLinks;
  readonly hasher: PasswordHasher;
  readonly limiter: LoginLimiter;
  readonly checkPassword: PasswordCheck;
  /** Reset requests per address asked about, and per client address. */
  readonly resetsPerEmail: HourlyLimit;
  readonly resetsPerIp: HourlyLimit;
}): PasswordFlows {
  const { users, store, links, hasher, limiter, checkPassword } = options;

  const newHash = async (password: string, email: string): Promise<string> => {
    const problem = passwordProblem(password, email);
    if (problem) throw badInput('newPassword', problem);
    return hasher.hash(password);
  };

  return {
    async requestPasswordReset({ email: emailInput, ip, trace }) {
      const email = normalizeEmail(emailInput);
      // Both counted for every address, registered or not: the limit reveals nothing.
      await options.resetsPerIp(ip);
      await options.resetsPerEmail(emailKey(email));
      const user = await accountOfAddress(users, email);
      if (!user) return;
      await store.run(
        { userId: user._id, operation: 'requestPasswordReset', args: {}, trace },
        async (current) => ({
          update: {},
          events: [
            await links.email('reset-password', current, email, {
              pv: current.passwordVersion ?? 0,
            }),
          ],
          result: null,
        }),
      );
    },

    async resetPassword({ token, newPassword }) {
      const link = await links.verify('reset-password', token);
      const user = await store.load(link.subject).catch((error: unknown) => {
        if (codeOf(error) === ErrorCode.unauthenticated)
          throw badInput('token', 'the account no longer exists');
        throw error;
      });
      const passwordHash = await newHash(newPassword, addressOf(user) ?? '');
      await store.run(
        { userId: user._id, operation: 'resetPassword', args: {}, loaded: user },
        (current) => {
          const version = current.passwordVersion ?? 0;
          if (link.claims.pv !== version)
            throw badInput('token', 'the link was already used, or a newer password was set');
          return {
            update: { $set: { passwordHash, passwordVersion: version + 1, sessions: [] } },
            events: [],
            result: null,
          };
        },
      );
      // The owner proved the mailbox: a lock from someone guessing the old password goes too.
      const address = addressOf(user);
      if (address) await limiter.succeeded(address);
    },

    async changePassword({ userId, sessionId, currentPassword, newPassword, ip }) {
      const user = await checkPassword(userId, currentPassword, ip);
      const passwordHash = await newHash(newPassword, addressOf(user) ?? '');
      await store.run({ userId, operation: 'changePassword', args: {} }, (current) => ({
        update: {
          $set: {
            passwordHash,
            passwordVersion: (current.passwordVersion ?? 0) + 1,
            sessions: current.sessions.filter((session) => session.id === sessionId),
          },
        },
        events: [],
        result: null,
      }));
    },
  };
}
