/**
 * Canonical strings for BSON values such that two values get the same string exactly when the
 * server considers them equal as index keys (1, 1.0 and NumberLong(1) are one key; field order
 * inside embedded documents matters). Hash indexes and the `_id` map are keyed by these strings.
 * Under a collation, strings are encoded by the collation's key (`a` and `A` are one key at
 * strength 2), as a collated index on mongod stores ICU sort keys.
 */
import { bsonTypeOf } from './bson-order.ts';
import { isPlainObject } from './index-keys.ts';

/** A collation's equality key for strings (query/collation.ts); none: the string itself. */
export type StringKey = (value: string) => string;

const binary: StringKey = (value) => value;

export function encodeKey(value: unknown, strings: StringKey = binary): string {
  switch (typeof value) {
    case 'undefined':
      return 'N';
    case 'number':
      // String(n) is the shortest round-trip form, hence one string per double; -0 equals 0.
      return Number.isNaN(value) ? 'n:NaN' : 'n:' + String(value === 0 ? 0 : value);
    case 'bigint':
      return 'n:' + value.toString();
    case 'string':
      return 's:' + JSON.stringify(strings(value));
    case 'boolean':
      return value ? 'T' : 'F';
  }
  if (value === null) return 'N';
  if (Array.isArray(value)) return '[' + value.map((v) => encodeKey(v, strings)).join(',') + ']';
  if (value instanceof Date) return 'd:' + String(value.getTime());
  if (value instanceof RegExp) return 'r:' + JSON.stringify([value.source, value.flags]);
  switch (bsonTypeOf(value)) {
    case undefined:
      return encodeObject(value as Record<string, unknown>, strings);
    case 'ObjectId':
      return 'o:' + (value as { toHexString(): string }).toHexString();
    case 'Binary': {
      const binary = value as { sub_type: number; toString(encoding: 'base64'): string };
      return `b:${binary.sub_type}:${binary.toString('base64')}`;
    }
    case 'Long':
    case 'Int32':
    case 'Double':
      return encodeKey(Number(text(value)), strings);
    case 'Timestamp':
      return 't:' + text(value);
    case 'MinKey':
      return 'm';
    case 'MaxKey':
      return 'M';
    case 'BSONSymbol':
      return 's:' + JSON.stringify(strings(text(value)));
    case 'BSONRegExp': {
      const regex = value as { pattern: string; options: string };
      return 'r:' + JSON.stringify([regex.pattern, regex.options]);
    }
    case 'Code':
      return 'c:' + JSON.stringify(text((value as { code: unknown }).code));
    case 'DBRef':
      return encodeObject((value as { toJSON(): Record<string, unknown> }).toJSON(), strings);
    default:
      return 'x:' + text(value);
  }
}

/**
 * `encodeKey(a) === encodeKey(b)` (binary strings) without building either string: documents
 * and arrays are walked and the walk stops at the first difference, where encoding both sides
 * of a large array (an update's `$set` of a ticker's windows) cost a string of each whole value.
 * Values other than documents, arrays and primitives of one type are compared by their
 * encodings, so the two answers cannot differ.
 */
export function sameKey(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  const type = typeof a;
  if (type !== 'object' && type === typeof b) {
    // Two different numbers, strings or booleans: one key only when both are NaN.
    return type === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameKey(a[i], b[i])) return false;
    return true;
  }
  // Plain documents are a subset of what encodeObject writes field by field.
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.length !== keysB.length) return false;
    for (let i = 0; i < keysA.length; i++) {
      const key = keysA[i] as string;
      if (key !== keysB[i] || !sameKey(a[key], b[key])) return false;
    }
    return true;
  }
  return encodeKey(a) === encodeKey(b);
}

function encodeObject(value: Record<string, unknown>, strings: StringKey): string {
  let out = '{';
  for (const key of Object.keys(value))
    out += JSON.stringify(key) + ':' + encodeKey(value[key], strings) + ',';
  return out + '}';
}

/** BSON value classes print their value with toString (Long → digits, Timestamp → number). */
function text(value: unknown): string {
  return (value as { toString(): string }).toString();
}
