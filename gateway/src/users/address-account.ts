/**
 * The account an address signs in (login, password reset): the account that owns it, else the
 * oldest account still waiting for its link (DESIGN.md §7). An account waiting for an address
 * another account owns never signs in with it. Both are read every time, so how long the
 * answer takes does not depend on which of them exists.
 */
import type { UserDocument, UserModel } from './user-model.ts';

export async function accountOfAddress(
  users: UserModel,
  email: string,
  /** Fields to load beyond the default ones (`+passwordHash`). */
  select = '',
): Promise<UserDocument | null> {
  const [owner, waiting] = await Promise.all([
    users
      .findOne({ email, deletedAt: { $exists: false } })
      .select(select)
      .lean<UserDocument>(),
    users
      .findOne({ pendingEmail: email, email: { $exists: false }, deletedAt: { $exists: false } })
      .sort({ createdAt: 1 })
      .select(select)
      .lean<UserDocument>(),
  ]);
  return owner ?? waiting;
}
