/**
 * account.* event payloads: the emails the account flows send (verification, password reset,
 * email-change confirmation, and the notice to an address's owner that someone tried to
 * register with it). The gateway signs the link; the notifier only renders and sends
 * it, to the address in the event (for an email change, the new address, which the notifier
 * does not know yet). The link is a credential while it lives: these events are not kept in
 * the event log, and the link is redacted from logs.
 */
import { z } from 'zod';
import { Id, Instant, TimeZone } from './common.ts';

const AccountEmail = z.object({
  userId: Id,
  /** Where the email goes. */
  email: z.email(),
  /** The signed link the email's button opens (the gateway verifies it). */
  link: z.url({ protocol: /^https?$/ }),
  /** When the link stops working. */
  expiresAt: Instant,
  /** The email shows the expiry in this zone. */
  timeZone: TimeZone,
});

export const AccountVerificationRequested = AccountEmail;
export const AccountPasswordResetRequested = AccountEmail;
export const AccountEmailChangeRequested = AccountEmail;
/**
 * Someone registered (or asked for a verification email) with an address another account
 * already verified: its owner is told, with a password reset link in case it was them.
 */
export const AccountRegistrationAttempted = AccountEmail;
