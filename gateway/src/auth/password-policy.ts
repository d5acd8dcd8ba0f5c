/**
 * What a password must be: 10 to 200 characters, not the email address (nor its local part),
 * not one of the passwords every attacker tries first. Returns the reason it is refused.
 */
import { COMMON_PASSWORDS } from './common-passwords.ts';

export const PASSWORD_MIN_LENGTH = 10;
/** scrypt takes any length, but a megabyte "password" is a denial of service, not a secret. */
export const PASSWORD_MAX_LENGTH = 200;

export function passwordProblem(password: string, email: string): string | null {
  // Code points, as people count characters (an emoji is one, not two UTF-16 units).
  const length = Array.from(password).length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  const address = email.toLowerCase();
  const localPart = address.split('@')[0] ?? address;
  if (lower === address || lower === localPart) return 'must not be the email address';
  if (COMMON_PASSWORDS.has(lower)) return 'is one of the most common passwords';
  return null;
}
