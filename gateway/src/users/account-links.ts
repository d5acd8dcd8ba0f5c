/**
 * The links of the account emails, signed with LINK_SIGNING_KEY (infra/signed-links: the
 * purpose is the token's audience, so a reset link cannot verify an address) and served by the
 * gateway's account pages (http/account-pages.ts) on PUBLIC_BASE_URL:
 * - verify-email: the address it was sent to is a claim; it verifies only while that is still
 *   the account's address.
 * - confirm-email-change: the new address is a claim; it confirms only while that is still the
 *   pending change (a later request replaces it).
 * - reset-password: the password version is a claim; any password change (this reset
 *   included) moves the version on, so the link works once.
 */
import { EventType, type TickwatchEvent } from '@tickwatch/contracts';
import {
  LinkTokenError,
  publicLinks,
  type LinkSigner,
  type VerifiedLink,
} from '@tickwatch/infra/signed-links';
import { badInput } from '../graphql/errors.ts';
import type { UserDocument } from './user-model.ts';
import { commandEvent } from './user-store.ts';

export const VERIFY_EMAIL_PATH = '/verify-email';
export const CONFIRM_EMAIL_PATH = '/confirm-email';
export const RESET_PASSWORD_PATH = '/reset-password';

/** How long each link works, seconds. */
export const LINK_TTL_SECONDS = {
  'verify-email': 48 * 3600,
  'confirm-email-change': 24 * 3600,
  'reset-password': 3600,
} as const;

export type AccountLinkPurpose = keyof typeof LINK_TTL_SECONDS;

const PATHS: Record<AccountLinkPurpose, string> = {
  'verify-email': VERIFY_EMAIL_PATH,
  'confirm-email-change': CONFIRM_EMAIL_PATH,
  'reset-password': RESET_PASSWORD_PATH,
};

/** The event whose email carries each kind of link (unless told another). */
const EMAIL_EVENT = {
  'verify-email': EventType.accountVerificationRequested,
  'confirm-email-change': EventType.accountEmailChangeRequested,
  'reset-password': EventType.accountPasswordResetRequested,
} as const satisfies Record<AccountLinkPurpose, EventType>;

export interface AccountLink {
  readonly url: string;
  readonly expiresAt: Date;
}

export interface AccountLinks {
  /** A link for `userId` carrying `claims` (the address, the password version). */
  create(
    purpose: AccountLinkPurpose,
    userId: string,
    claims: Readonly<Record<string, string | number>>,
  ): Promise<AccountLink>;
  /**
   * The account email (an event for the notifier) carrying a new link, sent to `to`; `as`: an
   * email of another kind carrying this kind of link (a reset link in a registration notice).
   */
  email(
    purpose: AccountLinkPurpose,
    user: Pick<UserDocument, '_id' | 'timeZone'>,
    to: string,
    claims: Readonly<Record<string, string | number>>,
    as?: typeof EventType.accountRegistrationAttempted,
  ): Promise<TickwatchEvent>;
  /** The token's claims, or BAD_USER_INPUT on `token` (tampered, expired, another purpose). */
  verify(purpose: AccountLinkPurpose, token: string): Promise<VerifiedLink>;
}

/** What a refused link is told, as the `token` field's reason. */
export function linkProblem(error: unknown): string {
  if (error instanceof LinkTokenError && error.problem === 'expired') return 'the link has expired';
  return 'the link is not valid (it may have been changed or cut)';
}

export function createAccountLinks(options: {
  readonly signer: LinkSigner;
  readonly publicBaseUrl: string;
}): AccountLinks {
  const at = publicLinks(options.publicBaseUrl);
  const create: AccountLinks['create'] = async (purpose, userId, claims) => {
    const ttlSeconds = LINK_TTL_SECONDS[purpose];
    const token = await options.signer.sign(purpose, userId, { ttlSeconds, claims });
    return {
      url: at(PATHS[purpose].slice(1), { token }),
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    };
  };
  return {
    create,
    async email(purpose, user, to, claims, as) {
      const link = await create(purpose, user._id, claims);
      return commandEvent(as ?? EMAIL_EVENT[purpose], {
        userId: user._id,
        email: to,
        link: link.url,
        expiresAt: link.expiresAt.toISOString(),
        timeZone: user.timeZone ?? 'UTC',
      });
    },
    async verify(purpose, token) {
      try {
        return await options.signer.verify(purpose, token);
      } catch (error) {
        if (error instanceof LinkTokenError) throw badInput('token', linkProblem(error));
        throw error;
      }
    },
  };
}
