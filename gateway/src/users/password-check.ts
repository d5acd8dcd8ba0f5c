/**
 * "Type your password again" before a change that hands the account over or ends it (new
 * password, new address, deletion): rate limited like a login, so a stolen access token
 * cannot be used to guess the password either.
 */
import type { LoginLimiter } from '../auth/login-limiter.ts';
import type { PasswordHasher } from '../auth/passwords.ts';
import { forbidden, unauthenticated } from '../graphql/errors.ts';
import { addressOf, type UserDocument, type UserModel } from './user-model.ts';

/** The live account when `password` is its password; FORBIDDEN otherwise. */
export type PasswordCheck = (userId: string, password: string, ip: string) => Promise<UserDocument>;

export function createPasswordCheck(options: {
  readonly users: UserModel;
  readonly hasher: PasswordHasher;
  readonly limiter: LoginLimiter;
}): PasswordCheck {
  const { users, hasher, limiter } = options;
  return async (userId, password, ip) => {
    const account = await users.findById(userId).select('+passwordHash').lean<UserDocument>();
    const address = account && addressOf(account);
    if (!account || !address || account.deletedAt)
      throw unauthenticated('the account no longer exists');
    await limiter.check(address, ip);
    if (!account.passwordHash || !(await hasher.verify(password, account.passwordHash))) {
      await limiter.failed(address, ip);
      throw forbidden('the password is not this account’s password');
    }
    const { passwordHash: _hash, ...withoutHash } = account;
    return withoutHash;
  };
}
