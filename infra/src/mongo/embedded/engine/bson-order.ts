/**
 * MongoDB's total order over BSON values (the server's canonical type ranks, then a per-type
 * comparison), used by sorts and sorted indexes so results come back in the order a real server
 * gives. Values are identified by `_bsontype`, not `instanceof`, so any copy of `bson` works.
 */

/**
 * Canonical ranks from the server (bsontypes.h canonicalizeBSONType). JS `undefined` stands for
 * BSON undefined, which is also the sort key of an empty array: it ranks below null.
 */
const Rank = {
  minKey: -1,
  undefined: 0,
  null: 5,
  number: 10,
  string: 15,
  object: 20,
  array: 25,
  binData: 30,
  objectId: 35,
  boolean: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
  dbRef: 55,
  code: 60,
  maxKey: 127,
} as const;

interface BsonTagged {
  readonly _bsontype: string;
}

export function bsonTypeOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && '_bsontype' in value
    ? (value as BsonTagged)._bsontype
    : undefined;
}

export function typeRank(value: unknown): number {
  switch (typeof value) {
    case 'undefined':
      return Rank.undefined;
    case 'number':
    case 'bigint':
      return Rank.number;
    case 'string':
      return Rank.string;
    case 'boolean':
      return Rank.boolean;
  }
  if (value === null) return Rank.null;
  if (Array.isArray(value)) return Rank.array;
  if (value instanceof Date) return Rank.date;
  if (value instanceof RegExp) return Rank.regex;
  switch (bsonTypeOf(value)) {
    case undefined:
      return Rank.object;
    case 'ObjectId':
      return Rank.objectId;
    case 'Binary':
      return Rank.binData;
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return Rank.number;
    case 'BSONSymbol':
      return Rank.string;
    case 'Timestamp':
      return Rank.timestamp;
    case 'BSONRegExp':
      return Rank.regex;
    case 'DBRef':
      return Rank.dbRef;
    case 'Code':
      return Rank.code;
    case 'MinKey':
      return Rank.minKey;
    case 'MaxKey':
      return Rank.maxKey;
    default:
      return Rank.object;
  }
}

/** How strings compare: binarily (the simple collation) or by a collation (query/collation.ts). */
export type StringOrder = (a: string, b: string) => number;

/**
 * Negative, zero or positive as `a` sorts before, with or after `b`. A collation changes how
 * strings compare, inside arrays and documents too, but not field names, ObjectIds or regexes.
 */
export function compareBson(a: unknown, b: unknown, strings: StringOrder = compareStrings): number {
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA - rankB;
  switch (rankA) {
    case Rank.undefined:
    case Rank.null:
    case Rank.minKey:
    case Rank.maxKey:
      return 0;
    case Rank.number:
      return compareNumbers(toNumber(a), toNumber(b));
    case Rank.string:
      return strings(String(a), String(b));
    case Rank.boolean:
      return Number(a) - Number(b);
    case Rank.date:
      return compareNumbers((a as Date).getTime(), (b as Date).getTime());
    case Rank.array:
      return compareArrays(a as unknown[], b as unknown[], strings);
    case Rank.objectId:
      return compareStrings(hex(a), hex(b));
    case Rank.binData:
      return compareBinary(a as BinaryLike, b as BinaryLike);
    case Rank.timestamp:
      return compareTimestamps(a as TimestampLike, b as TimestampLike);
    case Rank.regex:
      return compareRegex(a, b);
    case Rank.code:
      return compareStrings(
        String((a as { code: unknown }).code),
        String((b as { code: unknown }).code),
      );
    default:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>, strings);
  }
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return Number((value as { toString(): string }).toString());
}

/** NaN sorts before every other number, as on the server. */
function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The server compares UTF-8 bytes, i.e. code points; JS compares UTF-16 units. They differ only
 * between surrogates (U+D800-DFFF) and U+E000-FFFF, so those two ranges are swapped here.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

function codePointOrder(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

function compareArrays(a: readonly unknown[], b: readonly unknown[], strings: StringOrder): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compareBson(a[i], b[i], strings);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/** Embedded documents: field by field, comparing each value's type, then name, then value. */
function compareObjects(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  strings: StringOrder,
): number {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  const length = Math.min(keysA.length, keysB.length);
  for (let i = 0; i < length; i++) {
    const keyA = keysA[i] as string;
    const keyB = keysB[i] as string;
    const rankOrder = typeRank(a[keyA]) - typeRank(b[keyB]);
    if (rankOrder !== 0) return rankOrder;
    const nameOrder = compareStrings(keyA, keyB);
    if (nameOrder !== 0) return nameOrder;
    const valueOrder = compareBson(a[keyA], b[keyB], strings);
    if (valueOrder !== 0) return valueOrder;
  }
  return keysA.length - keysB.length;
}

function hex(value: unknown): string {
  return (value as { toHexString(): string }).toHexString();
}

interface BinaryLike {
  readonly sub_type: number;
  readonly buffer: Uint8Array;
  readonly position: number;
}

/** Binary data: shorter first, then by subtype, then bytewise (the server's order). */
function compareBinary(a: BinaryLike, b: BinaryLike): number {
  if (a.position !== b.position) return a.position - b.position;
  if (a.sub_type !== b.sub_type) return a.sub_type - b.sub_type;
  for (let i = 0; i < a.position; i++) {
    const order = (a.buffer[i] ?? 0) - (b.buffer[i] ?? 0);
    if (order !== 0) return order;
  }
  return 0;
}

interface TimestampLike {
  readonly t: number;
  readonly i: number;
}

function compareTimestamps(a: TimestampLike, b: TimestampLike): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}

function compareRegex(a: unknown, b: unknown): number {
  const [sourceA, flagsA] = regexParts(a);
  const [sourceB, flagsB] = regexParts(b);
  return compareStrings(sourceA, sourceB) || compareStrings(flagsA, flagsB);
}

function regexParts(value: unknown): [string, string] {
  if (value instanceof RegExp) return [value.source, value.flags];
  const { pattern, options } = value as { pattern: string; options: string };
  return [pattern, options];
}
