/**
 * Access tokens: short-lived JWTs (jose) the client sends as `Authorization: Bearer <token>`.
 * Everything that could be negotiated is pinned: HS256 only (no `none`, no RSA/HMAC
 * confusion), our issuer and audience, an expiry and a subject. Verification needs no database
 * round trip, so the same function serves HTTP requests and, later, a graphql-ws
 * `connection_init` payload.
 */
import { errors, jwtVerify, SignJWT } from 'jose';

const ALGORITHM = 'HS256';
export const TOKEN_ISSUER = 'tickwatch-gateway';
export const TOKEN_AUDIENCE = 'tickwatch-api';

/** Who is calling, as far as a verified token says. */
export interface Viewer {
  readonly userId: string;
  /** The refresh-token session this access token was issued for. */
  readonly sessionId: string;
  readonly expiresAt: Date;
}

export type TokenProblem = 'missing' | 'malformed' | 'expired' | 'invalid';

export class AccessTokenError extends Error {
  readonly problem: TokenProblem;
  constructor(problem: TokenProblem, message: string) {
    super(message);
    this.name = 'AccessTokenError';
    this.problem = problem;
  }
}

export interface AccessTokens {
  issue(userId: string, sessionId: string): Promise<{ token: string; expiresAt: Date }>;
  /** Throws AccessTokenError saying what is wrong. */
  verify(token: string): Promise<Viewer>;
  /** The token of an `Authorization` header value (`Bearer <token>`), or null without one. */
  fromHeader(header: string | undefined): string | null;
}

export function createAccessTokens(options: {
  readonly key: string;
  readonly ttlSeconds: number;
}): AccessTokens {
  const key = new TextEncoder().encode(options.key);
  return {
    async issue(userId, sessionId) {
      const now = Math.floor(Date.now() / 1000);
      const exp = now + options.ttlSeconds;
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setSubject(userId)
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },

    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          requiredClaims: ['sub', 'exp', 'iat', 'sid'],
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
          throw new AccessTokenError('invalid', 'the access token has no subject');
        }
        return {
          userId: payload.sub,
          sessionId: payload.sid,
          expiresAt: new Date(Number(payload.exp) * 1000),
        };
      } catch (error) {
        if (error instanceof AccessTokenError) throw error;
        if (error instanceof errors.JWTExpired) {
          throw new AccessTokenError('expired', 'the access token has expired: refresh it');
        }
        if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
          throw new AccessTokenError('malformed', 'the access token is not a valid JWT');
        }
        throw new AccessTokenError('invalid', 'the access token is not valid');
      }
    },

    fromHeader(header) {
      if (!header) return null;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match?.[1])
        throw new AccessTokenError('malformed', 'expected "Authorization: Bearer <token>"');
      return match[1];
    },
  };
}
