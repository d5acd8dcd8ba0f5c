/**
 * The account's address: verifying it (the link registration sends, a rate-limited resend)
 * and changing it (a link to the new address; the account keeps its verified address until
 * that link is followed, so a typo or a stranger's address never takes the alerts).
 * Every change publishes user.preferences-changed, which the notifier's recipients follow.
 */
import { isDuplicateKey } from '@tickwatch/infra/messaging/idempotency';
import type { TraceContext } from '@tickwatch/infra/messaging/outbox';
import type { HourlyLimit } from '../auth/hourly-limit.ts';
import { badInput, codeOf, ErrorCode } from '../graphql/errors.ts';
import type { AccountLinks } from './account-links.ts';
import { normalizeEmail } from './accounts.ts';
import type { PasswordCheck } from './password-check.ts';
import { preferencesChange } from './preference-commands.ts';
import type { Decision, UserStore } from './user-store.ts';
import type { UserDocument } from './user-model.ts';

export interface EmailFlows {
  /** Sends the verification link again; BAD_USER_INPUT when already verified. */
  resendVerification(userId: string, trace: TraceContext): Promise<void>;
  /** Follows a verification link: the address it was sent to is verified (again: no change). */
  verifyEmail(token: string, trace: TraceContext): Promise<void>;
  /** Sends a confirmation link to `newEmail`; the password is asked again. */
  requestEmailChange(input: {
    userId: string;
    newEmail: string;
    password: string;
    ip: string;
    trace: TraceContext;
  }): Promise<void>;
  /** Follows a change link: the new address becomes the account's, verified. */
  confirmEmailChange(token: string, trace: TraceContext): Promise<void>;
}

const nothing: Decision<null> = { update: {}, events: [], result: null };

export function createEmailFlows(options: {
  readonly store: UserStore;
  readonly links: AccountLinks;
  readonly checkPassword: PasswordCheck;
  /** Account emails one user may cause per hour (resends and changes). */
  readonly accountEmailLimit: HourlyLimit;
}): EmailFlows {
  const { store, links, checkPassword, accountEmailLimit } = options;

  /** Runs a link's change; a deleted account makes the link invalid, not the caller. */
  const runLink = async (
    userId: string,
    operation: string,
    trace: TraceContext,
    decide: (user: UserDocument) => Decision<null>,
  ): Promise<void> => {
    try {
      await store.run({ userId, operation, args: {}, trace }, decide);
    } catch (error) {
      if (codeOf(error) === ErrorCode.unauthenticated)
        throw badInput('token', 'the account no longer exists');
      if (isDuplicateKey(error)) throw badInput('token', 'another account uses this address now');
      throw error;
    }
  };

  return {
    async resendVerification(userId, trace) {
      const user = await store.load(userId);
      if (user.emailVerified || !user.email) throw badInput('email', 'is already verified');
      await accountEmailLimit(userId);
      const email = await links.email('verify-email', user, user.email, { email: user.email });
      await store.run({ userId, operation: 'resendVerification', args: {}, trace }, (current) => {
        if (current.email !== user.email) throw badInput('email', 'changed meanwhile: try again');
        return { update: {}, events: [email], result: null };
      });
    },

    async verifyEmail(token, trace) {
      const link = await links.verify('verify-email', token);
      await runLink(link.subject, 'verifyEmail', trace, (user) => {
        if (user.email !== link.claims.email)
          throw badInput('token', 'the link was sent to an address the account no longer has');
        if (user.emailVerified) return nothing;
        return preferencesChange(user, {}, () => null, { emailVerified: true });
      });
    },

    async requestEmailChange({ userId, newEmail, password, ip, trace }) {
      const email = normalizeEmail(newEmail);
      const user = await checkPassword(userId, password, ip);
      if (email === user.email) throw badInput('email', 'is already the account’s address');
      await accountEmailLimit(userId);
      const confirmation = await links.email('confirm-email-change', user, email, { email });
      await store.run(
        { userId, operation: 'requestEmailChange', args: {}, trace },
        (): Decision<null> => ({
          update: { $set: { pendingEmail: email } },
          events: [confirmation],
          result: null,
        }),
      );
    },

    async confirmEmailChange(token, trace) {
      const link = await links.verify('confirm-email-change', token);
      const email = String(link.claims.email);
      await runLink(link.subject, 'confirmEmailChange', trace, (user) => {
        if (user.email === email && !user.pendingEmail) return nothing;
        if (user.pendingEmail !== email)
          throw badInput('token', 'a later change replaced this one: use the newest link');
        const change = preferencesChange(user, {}, () => null, { email, emailVerified: true });
        return { ...change, update: { ...change.update, $unset: { pendingEmail: 1 } } };
      });
    },
  };
}
