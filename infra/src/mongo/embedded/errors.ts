/**
 * The server error catalogue: MongoDB's own numeric codes and code names (from the server's
 * error_codes.yml), so drivers and mongoose classify our errors exactly as a real server's.
 * Only codes this server actually raises are listed; each raise site picks one by name.
 */

export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  Overflow: 15,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  MaxTimeMSExpired: 50,
  CursorNotFound: 43,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  DBPathInUse: 98,
  CommandNotSupported: 115,
  NotAReplicaSet: 123,
  ExceededMemoryLimit: 146,
  IncompatibleCollationVersion: 161,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  UnknownReplWriteConcern: 79,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotSingleValueField: 54,
  EmptyFieldName: 56,
  NotExactValueField: 111,
  QueryPlanKilled: 175,
  CannotBackfillArray: 34,
  CannotIndexParallelArrays: 171,
  NotImplemented: 238,
  QueryExceededMemoryLimitNoDiskUseAllowed: 292,
  UnsupportedOpQueryCommand: 352,
  DuplicateKey: 11000,
  BSONObjectTooLarge: 10334,
  InvalidLength: 16,
  IDLFailedToParse: 40414,
} as const;

/** A named code, or an unnamed server assertion, reported with codeName `Location<code>`. */
export type ErrorName = keyof typeof ErrorCodes | `Location${number}`;

function codeOf(name: ErrorName): number {
  return name.startsWith('Location')
    ? Number(name.slice('Location'.length))
    : ErrorCodes[name as keyof typeof ErrorCodes];
}

/** An error a command answers with (`ok: 0`) or reports as one write error; never closes the connection. */
export class MongoCommandError extends Error {
  readonly code: number;
  readonly codeName: ErrorName;
  /** Extra fields a real server puts beside code and errmsg (keyPattern/keyValue for E11000). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(codeName: ErrorName, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'MongoCommandError';
    this.codeName = codeName;
    this.code = codeOf(codeName);
    this.details = details;
  }

  /** The `{ ok: 0, errmsg, code, codeName, ... }` reply document. */
  toReply(): Record<string, unknown> {
    return {
      ok: 0,
      errmsg: this.message,
      code: this.code,
      codeName: this.codeName,
      ...this.details,
    };
  }

  /** The `writeErrors[]` entry for the `index`-th operation of a write command. */
  toWriteError(index: number): Record<string, unknown> {
    return { index, code: this.code, errmsg: this.message, ...this.details };
  }
}

/** Shorthand for raising a coded error: `throw fail('BadValue', 'why')`. */
export function fail(
  codeName: ErrorName,
  message: string,
  details?: Record<string, unknown>,
): MongoCommandError {
  return new MongoCommandError(codeName, message, details);
}
