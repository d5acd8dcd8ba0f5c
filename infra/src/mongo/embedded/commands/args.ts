/**
 * Reading command arguments with the server's error shapes: a missing required field is
 * IDLFailedToParse (40414), a field of the wrong type is TypeMismatch (14), each naming the
 * field as `<command>.<field>` like the server's IDL parser does.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { checkCollectionName } from '../engine/namespace.ts';

export function commandName(command: Document): string {
  return Object.keys(command)[0] ?? '';
}

function wrongType(command: Document, field: string, value: unknown, expected: string) {
  return fail(
    'TypeMismatch',
    `BSON field '${commandName(command)}.${field}' is the wrong type '${typeName(value)}', expected type '${expected}'`,
  );
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (
    value instanceof RegExp ||
    (value as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp'
  )
    return 'regex';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (typeof value === 'object')
    return (value as { _bsontype?: string })._bsontype?.toLowerCase() ?? 'object';
  return typeof value === 'boolean' ? 'bool' : typeof value;
}

/** The collection a command targets: the value of its first field. */
export function targetCollection(command: Document, db: string): string {
  const name: unknown = command[commandName(command)];
  if (typeof name !== 'string') {
    throw fail('InvalidNamespace', `collection name has invalid type ${typeName(name)}`);
  }
  return checkCollectionName(db, name);
}

export function required<T>(
  command: Document,
  field: string,
  read: (c: Document, f: string) => T | undefined,
): T {
  const value = read(command, field);
  if (value === undefined) {
    throw fail(
      'IDLFailedToParse',
      `BSON field '${commandName(command)}.${field}' is missing but a required field`,
    );
  }
  return value;
}

export function optionalDocument(command: Document, field: string): Document | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw wrongType(command, field, value, 'object');
  return value;
}

export function optionalArray(command: Document, field: string): unknown[] | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(command, field, value, 'array');
  return value as unknown[];
}

export function optionalBoolean(command: Document, field: string): boolean | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  // The server coerces numbers to booleans for these flags.
  if (typeof value === 'number') return value !== 0;
  throw wrongType(command, field, value, 'bool');
}

export function optionalString(command: Document, field: string): string | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(command, field, value, 'string');
  return value;
}

/** A whole number (int, long or integral double), at least `min`. */
export function optionalInteger(command: Document, field: string, min = 0): number | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw wrongType(command, field, value, '[long, int, decimal, double]');
  }
  const integer = Math.trunc(value);
  if (integer < min) {
    throw fail(
      'BadValue',
      `BSON field '${field}' value must be >= ${min}, actual value '${integer}'`,
    );
  }
  return integer;
}

/** A `limit`: find and count take a negative one as its absolute value (the legacy spelling). */
export function optionalLimit(command: Document): number | undefined {
  const value: unknown = command.limit;
  return typeof value === 'number' && value < 0
    ? Math.abs(Math.trunc(value))
    : optionalInteger(command, 'limit');
}

/** Whether the write concern asks for the journal to be on disk before the reply. */
export function wantsJournal(command: Document): boolean {
  const concern: unknown = command.writeConcern;
  if (!isPlainObject(concern)) return false;
  return concern.j === true || concern.fsync === true;
}
