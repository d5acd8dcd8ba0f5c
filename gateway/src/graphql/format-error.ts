/**
 * The last step of every error before it reaches a client; it never throws and fails closed.
 * Errors carrying one of our codes, or Apollo's request-level codes (parse, validation, bad
 * request), pass as they are. Anything else is an internal error: its message may hold
 * internals (a driver message, a file path), so the client gets a fixed message and an error
 * id, and the log gets the original under that id. Stack traces only leave in development.
 * In production, "Did you mean ...?" suggestions are cut (they leak the schema when
 * introspection is off).
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '@tickwatch/infra/log';
import { ErrorCode } from './errors.ts';

const PASSING_CODES = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.internal),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export function createFormatError(options: {
  readonly logger: Logger;
  readonly production: boolean;
}) {
  const { logger, production } = options;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      const code = formatted.extensions?.code;
      if (typeof code === 'string' && PASSING_CODES.has(code)) {
        if (!production) return formatted;
        const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
        return {
          ...formatted,
          message: formatted.message.replace(/ ?Did you mean .*\?$/, ''),
          extensions,
        };
      }
      const errorId = randomUUID();
      logger.error(
        { err: unwrapResolverError(error), errorId, path: formatted.path },
        'operation failed',
      );
      return {
        message: `internal error (id ${errorId})`,
        ...(formatted.path ? { path: formatted.path } : {}),
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        extensions: {
          code: ErrorCode.internal,
          errorId,
          ...(!production && formatted.extensions?.stacktrace
            ? { stacktrace: formatted.extensions.stacktrace }
            : {}),
        },
      };
    } catch {
      return { message: 'internal error', extensions: { code: ErrorCode.internal } };
    }
  };
}
