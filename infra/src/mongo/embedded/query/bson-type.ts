/**
 * The `$type` query operator with BSON's type names and numbers. mingo's version sees JS types
 * (every number is "double", "int" and "long" at once) and does not look inside arrays. Numbers
 * here are typed as this server stores them: integral values within int32 go back to clients as
 * int32, every other number as double (int64 values are promoted on arrival; see README).
 */
import { bsonTypeOf } from '../engine/bson-order.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { fail } from '../errors.ts';
import { MISSING, pathParts, someValueAt } from './path.ts';

const ALIASES: Readonly<Record<string, string>> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  12: 'dbPointer',
  13: 'javascript',
  14: 'symbol',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
  [-1]: 'minKey',
  127: 'maxKey',
};

function typeNames(value: unknown): string[] {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  if (value instanceof Date) return ['date'];
  if (value instanceof RegExp) return ['regex'];
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31
        ? ['int', 'number']
        : ['double', 'number'];
    case 'string':
      return ['string'];
    case 'boolean':
      return ['bool'];
    case 'undefined':
      return [];
  }
  if (isPlainObject(value)) return ['object'];
  switch (bsonTypeOf(value)) {
    case 'ObjectId':
      return ['objectId'];
    case 'Binary':
      return ['binData'];
    case 'Timestamp':
      return ['timestamp'];
    case 'Long':
      return ['long', 'number'];
    case 'Decimal128':
      return ['decimal', 'number'];
    case 'MinKey':
      return ['minKey'];
    case 'MaxKey':
      return ['maxKey'];
    case 'Code':
      return ['javascript'];
    case 'BSONSymbol':
      return ['symbol'];
    case 'BSONRegExp':
      return ['regex'];
    default:
      return ['object'];
  }
}

/** The server's name for a value's BSON type, as error messages print it. */
export function bsonTypeName(value: unknown): string {
  return typeNames(value)[0] ?? 'missing';
}

function wantedTypes(spec: unknown): Set<string> {
  const list = Array.isArray(spec) ? spec : [spec];
  if (list.length === 0) throw fail('FailedToParse', '$type must match at least one type');
  return new Set(
    list.map((entry) => {
      const name =
        typeof entry === 'number'
          ? ALIASES[String(entry)]
          : typeof entry === 'string'
            ? entry
            : undefined;
      if (!name || !(Object.values(ALIASES).includes(name) || name === 'number')) {
        throw fail('BadValue', `Unknown type name alias: ${String(entry)}`);
      }
      return name;
    }),
  );
}

/** mingo query-operator shape: (field path, operand) → predicate over documents. */
export function $type(selector: string, spec: unknown): (doc: unknown) => boolean {
  const wanted = wantedTypes(spec);
  const parts = pathParts(selector);
  return (doc) =>
    someValueAt(
      doc,
      parts,
      (value) => value !== MISSING && typeNames(value).some((name) => wanted.has(name)),
    );
}
