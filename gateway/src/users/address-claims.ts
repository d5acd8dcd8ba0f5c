/**
 * What an account asking for an address it does not own yet is sent (registration, and the
 * verification email again), decided without telling the caller whether another account owns
 * it (DESIGN.md §7):
 * - a free address (nobody verified it) gets its verification link: any number of accounts
 *   may wait for one address, the first to follow its link owns it;
 * - an owned address gets no link (nobody else can ever verify it): its owner is told someone
 *   tried, with a password reset link in case it was them.
 * Either email goes out only while the address's hourly allowance lasts, so nobody can flood
 * an inbox, owned or not, by registering or resending again and again; past it the caller's
 * answer is the same and nothing is sent. Both ways cost the same: one read of the owner, one
 * count against the address's allowance (keyed by its hash), one signed link. The caller puts
 * the email in its own write's outbox: the owner's document is not touched.
 */
import { EventType, type TickwatchEvent } from '@tickwatch/contracts';
import { emailKey, type HourlyLimit } from '../auth/hourly-limit.ts';
import { codeOf, ErrorCode } from '../graphql/errors.ts';
import type { AccountLinks } from './account-links.ts';
import type { UserDocument, UserModel } from './user-model.ts';

export interface AddressClaim {
  /** Another account owns the address: the claimant can never verify it. */
  readonly owned: boolean;
  /** The email to send (none: verification is off for a free address, or the owner was told enough). */
  readonly emails: readonly TickwatchEvent[];
}

export type ClaimAddress = (
  claimant: Pick<UserDocument, '_id' | 'timeZone'>,
  email: string,
  options: { readonly verify: boolean },
) => Promise<AddressClaim>;

export function createAddressClaims(options: {
  readonly users: UserModel;
  readonly links: AccountLinks;
  /** Emails per address, verification links and notices alike (throws RATE_LIMITED over it). */
  readonly emailsPerAddress: HourlyLimit;
}): ClaimAddress {
  const { users, links } = options;

  /** Takes one email from the address's allowance; false once it is spent. */
  const emailAllowed = (email: string): Promise<boolean> =>
    options.emailsPerAddress(emailKey(email)).then(
      () => true,
      (error: unknown) => {
        if (codeOf(error) === ErrorCode.rateLimited) return false;
        throw error;
      },
    );

  return async (claimant, email, { verify }) => {
    const [owner, allowed] = await Promise.all([
      users
        .findOne(
          { email, deletedAt: { $exists: false } },
          { _id: 1, timeZone: 1, passwordVersion: 1 },
        )
        .lean<Pick<UserDocument, '_id' | 'timeZone' | 'passwordVersion'>>(),
      emailAllowed(email),
    ]);
    if (owner) {
      const notice = await links.email(
        'reset-password',
        owner,
        email,
        { pv: owner.passwordVersion ?? 0 },
        EventType.accountRegistrationAttempted,
      );
      return { owned: true, emails: allowed ? [notice] : [] };
    }
    const link = await links.email('verify-email', claimant, email, { email });
    return { owned: false, emails: verify && allowed ? [link] : [] };
  };
}
