/**
 * Refresh tokens: opaque, random, rotated on every use. The client holds `<session id>.<secret>`;
 * the user document holds the session with a SHA-256 of the secret (a stolen database copy
 * cannot be replayed as tokens) and the hashes of the last secrets it replaced: presenting a
 * secret that was already rotated away means two parties hold the token, so the whole session
 * is revoked.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export interface RefreshSecret {
  readonly token: string;
  readonly sessionId: string;
  readonly secretHash: string;
}

const PREFIX = 'rt1';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** A new secret for `sessionId` (a new session when none is given). */
export function newRefreshSecret(sessionId: string = randomUUID()): RefreshSecret {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${PREFIX}.${sessionId}.${secret}`, sessionId, secretHash: hashSecret(secret) };
}

/** The session id and secret of a token, or null when it is not one of ours. */
export function parseRefreshToken(token: string): { sessionId: string; secret: string } | null {
  const [prefix, sessionId, secret, ...rest] = token.split('.');
  if (prefix !== PREFIX || !sessionId || !secret || rest.length > 0) return null;
  if (!/^[0-9a-f-]{36}$/.test(sessionId) || !/^[A-Za-z0-9_-]{43}$/.test(secret)) return null;
  return { sessionId, secret };
}

export function sameHash(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
