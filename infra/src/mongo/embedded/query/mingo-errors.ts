/**
 * mingo reports bad queries and updates with a MingoError and free text. The server answers the
 * same mistakes with specific codes; this maps the messages we know, and any other mingo error
 * becomes BadValue (2) carrying mingo's text, never an internal error or a silent success.
 */
import { fail, MongoCommandError } from '../errors.ts';

const KNOWN: readonly [RegExp, Parameters<typeof fail>[0]][] = [
  [/would modify the immutable field '_id'/, 'ImmutableField'],
  [/would create a conflict at/, 'ConflictingUpdateOperators'],
  [/Unknown update operator/, 'FailedToParse'],
  [/positional operator/i, 'BadValue'],
  [/Dollar \(\$\) prefixed field paths/, 'DollarPrefixedFieldName'],
  [/Cannot do exclusion and inclusion in projection/, 'Location31254'],
];

export function translateMingoError(error: unknown): Error {
  if (error instanceof MongoCommandError) return error;
  if (!(error instanceof Error)) return fail('BadValue', String(error));
  // Anything but a MingoError is our bug, not the client's: let it surface as an internal error.
  if (error.constructor.name !== 'MingoError') return error;
  for (const [pattern, codeName] of KNOWN) {
    if (pattern.test(error.message)) return fail(codeName, error.message);
  }
  return fail('BadValue', error.message);
}

/** Runs `action`, converting query-engine errors into coded command errors. */
export function withMingo<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw translateMingoError(error);
  }
}
