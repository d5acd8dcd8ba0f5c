/** The account operations and account-email helpers the account tests share. */
import type { TickwatchEvent } from '@tickwatch/contracts';

export const LOGIN =
  'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }';
export const VERIFY = 'mutation ($t: String!) { verifyEmail(token: $t) }';
export const RESEND = 'mutation { resendVerificationEmail }';
export const REQUEST_RESET = 'mutation ($e: String!) { requestPasswordReset(email: $e) }';
export const RESET =
  'mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }';
export const CHANGE_EMAIL =
  'mutation ($e: String!, $p: String!) { changeEmail(newEmail: $e, password: $p) { email pendingEmail } }';

/** What every account.* event carries. */
export interface AccountEmailData {
  userId: string;
  email: string;
  link: string;
  expiresAt: string;
}

export const accountEmailOf = (event: TickwatchEvent) => event.data as unknown as AccountEmailData;

/** The user an event is about (user.* and account.* events name one). */
export const about = (userId: string) => (event: TickwatchEvent) =>
  (event.data as { userId?: string }).userId === userId;

/** The signed token of an emailed link. */
export const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';
