/**
 * Password hashing: scrypt (node:crypto, no native addon) with a random 16-byte salt per
 * password and a constant-time comparison. The parameters travel inside the stored string, so
 * raising the cost later only affects new hashes and old ones still verify.
 *
 *   scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<hash, base64url>
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or an unreadable stored hash; never throws for those. */
  verify(password: string, stored: string): Promise<boolean>;
  /**
   * Spends the time of a verification without a stored hash (unknown email at login), so the
   * answer time does not tell whether an account exists.
   */
  verifyNothing(password: string): Promise<false>;
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  // scrypt needs 128 · N · r bytes; node's default ceiling (32 MiB) is just too small at N = 2^15.
  const maxmem = 256 * (options.N ?? 0) * (options.r ?? BLOCK_SIZE);
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...options, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** `costLog2` 15 → N = 32768 (README "Gateway" has the measured milliseconds per hash). */
export function createPasswordHasher(options: { readonly costLog2: number }): PasswordHasher {
  const { costLog2 } = options;
  const dummySalt = randomBytes(SALT_BYTES);

  const hash = async (password: string): Promise<string> => {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, { N: 2 ** costLog2, r: BLOCK_SIZE, p: PARALLELISM });
    return [
      'scrypt',
      costLog2,
      BLOCK_SIZE,
      PARALLELISM,
      salt.toString('base64url'),
      key.toString('base64url'),
    ].join('$');
  };

  const verify = async (password: string, stored: string): Promise<boolean> => {
    const [scheme, log2, r, p, salt, expected] = stored.split('$');
    if (scheme !== 'scrypt' || !log2 || !r || !p || !salt || !expected) return false;
    const want = Buffer.from(expected, 'base64url');
    const key = await derive(password, Buffer.from(salt, 'base64url'), {
      N: 2 ** Number(log2),
      r: Number(r),
      p: Number(p),
    });
    return key.length === want.length && timingSafeEqual(key, want);
  };

  return {
    hash,
    verify,
    async verifyNothing(password) {
      await derive(password, dummySalt, { N: 2 ** costLog2, r: BLOCK_SIZE, p: PARALLELISM });
      return false;
    },
  };
}
