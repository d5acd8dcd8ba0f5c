/**
 * Signed, expiring tokens for the links tickwatch emails (unsubscribe, email verification,
 * password reset, email change): one service signs them, another verifies them, both with the
 * key from configuration (`LINK_SIGNING_KEY`). They are compact JWS (jose, HS256 pinned) whose
 * audience is the link's purpose, so a token made for one purpose is refused for another.
 *
 *   const links = createLinkSigner({ key: config.LINK_SIGNING_KEY });
 *   const token = await links.sign('unsubscribe', userId, { ttlSeconds: 90 * 86_400 });
 *   const claims = await links.verify('unsubscribe', token); // throws LinkTokenError
 *
 * Single use (password reset) is the verifier's business: it keeps the token id (`jti`) or a
 * version claim it can compare with its state.
 */
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { setting } from './config.ts';
import { z } from 'zod';

/** What a link does; each is a JWT audience of its own. */
export type LinkPurpose =
  'unsubscribe' | 'verify-email' | 'reset-password' | 'confirm-email-change' | (string & {});

/** Extra claims a link carries (the address being verified, a version to compare...). */
export type LinkClaims = Readonly<Record<string, string | number | boolean>>;

export interface VerifiedLink {
  readonly purpose: LinkPurpose;
  /** Whom the link is about: a user id. */
  readonly subject: string;
  /** Unique per token: what a single-use link remembers. */
  readonly tokenId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly claims: LinkClaims;
}

export type LinkTokenProblem = 'malformed' | 'bad-signature' | 'expired' | 'wrong-purpose';

export class LinkTokenError extends Error {
  readonly problem: LinkTokenProblem;
  constructor(problem: LinkTokenProblem, message: string) {
    super(message);
    this.name = 'LinkTokenError';
    this.problem = problem;
  }
}

export interface LinkSigner {
  sign(
    purpose: LinkPurpose,
    subject: string,
    options: { readonly ttlSeconds: number; readonly claims?: LinkClaims },
  ): Promise<string>;
  verify(purpose: LinkPurpose, token: string): Promise<VerifiedLink>;
}

const ISSUER = 'tickwatch';
const ALGORITHM = 'HS256';
/** Claims jose and this module own; a caller's claim of the same name is refused. */
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/** The development default; `loadConfig` refuses it when NODE_ENV=production. */
export const DEVELOPMENT_LINK_KEY = 'development-only-link-signing-key-change-me';

export const linkSigningKeySetting = setting(
  z.string().min(32, 'must be at least 32 characters (HMAC-SHA256 key)'),
  'Key signing the links in emails (unsubscribe, verification, reset); the gateway and notifier share it',
  { default: DEVELOPMENT_LINK_KEY, secret: true },
);

export function createLinkSigner(options: { readonly key: string }): LinkSigner {
  const key = new TextEncoder().encode(options.key);
  return {
    async sign(purpose, subject, { ttlSeconds, claims = {} }) {
      const reserved = Object.keys(claims).filter((name) => REGISTERED.has(name));
      if (reserved.length > 0) throw new TypeError(`reserved claim(s): ${reserved.join(', ')}`);
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: ALGORITHM })
        .setIssuer(ISSUER)
        .setAudience(purpose)
        .setSubject(subject)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(key);
    },

    async verify(purpose, token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: ISSUER,
          audience: purpose,
          requiredClaims: ['sub', 'jti', 'exp', 'iat'],
        }));
      } catch (error) {
        throw toLinkError(error);
      }
      const claims: Record<string, string | number | boolean> = {};
      for (const [name, value] of Object.entries(payload)) {
        if (REGISTERED.has(name)) continue;
        if (['string', 'number', 'boolean'].includes(typeof value)) {
          claims[name] = value as string | number | boolean;
        }
      }
      return {
        purpose,
        subject: String(payload.sub),
        tokenId: String(payload.jti),
        issuedAt: new Date(Number(payload.iat) * 1000),
        expiresAt: new Date(Number(payload.exp) * 1000),
        claims,
      };
    },
  };
}

function toLinkError(error: unknown): LinkTokenError {
  if (error instanceof errors.JWTExpired) {
    return new LinkTokenError('expired', 'the link has expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
    return new LinkTokenError('wrong-purpose', 'the link is not meant for this');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new LinkTokenError('bad-signature', 'the link signature is not valid');
  }
  return new LinkTokenError('malformed', 'the link is not a valid tickwatch link');
}

/**
 * Absolute links under the gateway's public base URL (with or without a trailing slash, with
 * or without a path prefix): `const at = publicLinks(base); at('unsubscribe', { token })`. The
 * gateway's account links and the notifier's email links are built the same way.
 */
export function publicLinks(
  publicBaseUrl: string,
): (path: string, query?: Readonly<Record<string, string>>) => string {
  const base = publicBaseUrl.endsWith('/') ? publicBaseUrl : `${publicBaseUrl}/`;
  return (path, query = {}) => {
    const url = new URL(path, base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url.toString();
  };
}
