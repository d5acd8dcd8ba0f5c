/**
 * The gateway's error catalogue: every error a client can get carries one of these codes in
 * `extensions.code` (clients match on codes, never on text), and the few details that code
 * promises (the field path of bad input, the current version of a conflict, when to retry).
 * Anything thrown without a code is masked by format-error.ts.
 */
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  badUserInput: 'BAD_USER_INPUT',
  unauthenticated: 'UNAUTHENTICATED',
  forbidden: 'FORBIDDEN',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  rateLimited: 'RATE_LIMITED',
  internal: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for an error that ends the whole request (Apollo reads `extensions.http`). */
const statusOf: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.rateLimited]: 429,
};

function coded(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  const status = statusOf[code];
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) },
  });
}

/** Invalid input: `field` is the argument path (`input.condition.outsideRange.low`). */
export function badInput(field: string, reason: string): GraphQLError {
  return coded(ErrorCode.badUserInput, `${field}: ${reason}`, { field, reason });
}

export function unauthenticated(reason = 'a valid access token is required'): GraphQLError {
  return coded(ErrorCode.unauthenticated, reason);
}

export function forbidden(reason: string): GraphQLError {
  return coded(ErrorCode.forbidden, reason);
}

export function notFound(what: string): GraphQLError {
  return coded(ErrorCode.notFound, `${what} not found`);
}

export function conflict(reason: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return coded(ErrorCode.conflict, reason, extensions);
}

/** Too many attempts: `retryAfterSeconds` also goes into the Retry-After header. */
export function rateLimited(what: string, retryAfterSeconds: number): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  const error = coded(ErrorCode.rateLimited, `${what}: too many attempts, retry in ${seconds} s`, {
    retryAfterSeconds: seconds,
  });
  (error.extensions.http as { headers?: Map<string, string> }).headers = new Map([
    ['retry-after', String(seconds)],
  ]);
  return error;
}

export function codeOf(error: unknown): string | undefined {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}
