/**
 * The account's address: verifying it (the link registration sends, a rate-limited resend)
 * and changing it (a link to the new address; the account keeps its verified address until
 * that link is followed, so a typo or a stranger's address never takes the alerts). Both
 * links do one thing: the address waiting for its link (`pendingEmail`) becomes the
 * account's own, unless another account followed its link to that address first (the unique
 * index refuses it: BAD_USER_INPUT on `token`). A resend for an address another account owns
 * tells that owner instead, as registration does (address-claims.ts): the caller cannot tell.
 * Every change publishes user.preferences-changed, which the notifier's recipients follow.
 */
import { isDuplicateKey } from '@tickwatch/infra/messaging/idempotency';
import type { TraceContext } from '@tickwatch/infra/messaging/outbox';
import type { HourlyLimit } from '../auth/hourly-limit.ts';
import { badInput, codeOf, ErrorCode } from '../graphql/errors.ts';
import type { AccountLinks } from './account-links.ts';
import { normalizeEmail } from './accounts.ts';
import type { ClaimAddress } from './address-claims.ts';
import type { PasswordCheck } from './password-check.ts';
import { preferencesChange } from './preference-commands.ts';
import type { Decision, UserStore } from './user-store.ts';
import { addressOf, type UserDocument } from './user-model.ts';

export interface EmailFlows {
  /** Sends the verification email again; BAD_USER_INPUT when the account owns its address. */
  resendVerification(userId: string, trace: TraceContext): Promise<void>;
  /** Follows a verification link: the address it was sent to becomes the account's (again: no change). */
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

/** The address a link was sent to becomes the account's own; `stale`: why a link no longer counts. */
function adopt(user: UserDocument, email: string, stale: string): Decision<null> {
  if (user.email === email) {
    // An account registered before addresses waited in pendingEmail owns its address unverified.
    if (user.emailVerified) return nothing;
    return preferencesChange(user, {}, () => null, { emailVerified: true });
  }
  if (user.pendingEmail !== email) throw badInput('token', stale);
  const change = preferencesChange(user, {}, () => null, { email, emailVerified: true });
  return { ...change, update: { ...change.update, $unset: { pendingEmail: 1 } } };
}

export function createEmailFlows(options: {
  readonly store: UserStore;
  readonly links: AccountLinks;
  readonly checkPassword: PasswordCheck;
  readonly claimAddress: ClaimAddress;
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
      if (isDuplicateKey(error))
        throw badInput('token', 'another account verified this address first');
      throw error;
    }
  };

  return {
    async resendVerification(userId, trace) {
      const user = await store.load(userId);
      // An account registered before addresses waited in pendingEmail may own its address
      // unverified: its link goes there (no other account can own it, so it tells nothing).
      const ownsUnverified = Boolean(user.email) && !user.emailVerified;
      const address = ownsUnverified ? user.email : user.pendingEmail;
      if (!address || (user.email && !ownsUnverified))
        throw badInput('email', 'is already verified');
      await accountEmailLimit(userId);
      const emails = ownsUnverified
        ? [await links.email('verify-email', user, address, { email: address })]
        : (await options.claimAddress(user, address, { verify: true })).emails;
      await store.run({ userId, operation: 'resendVerification', args: {}, trace }, (current) => {
        if (addressOf(current) !== address || current.emailVerified)
          throw badInput('email', 'changed meanwhile: try again');
        return { update: {}, events: emails, result: null };
      });
    },

    async verifyEmail(token, trace) {
      const link = await links.verify('verify-email', token);
      await runLink(link.subject, 'verifyEmail', trace, (user) =>
        adopt(
          user,
          String(link.claims.email),
          'the link was sent to an address the account no longer has',
        ),
      );
    },

    async requestEmailChange({ userId, newEmail, password, ip, trace }) {
      const email = normalizeEmail(newEmail);
      const user = await checkPassword(userId, password, ip);
      if (email === addressOf(user)) throw badInput('email', 'is already the account’s address');
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
      await runLink(link.subject, 'confirmEmailChange', trace, (user) =>
        adopt(
          user,
          String(link.claims.email),
          'a later change replaced this one: use the newest link',
        ),
      );
    },
  };
}
