/**
 * The query operators that test values at a path ($eq, $ne, $gt, $gte, $lt, $lte, $in, $nin,
 * $all, $regex, $exists, $elemMatch) with the server's semantics, replacing mingo's (which compares across
 * types, ignores field order in embedded documents and treats paths through arrays and missing
 * fields differently). Mirrors the server's ComparisonMatchExpression, InMatchExpression,
 * ExistsMatchExpression (src/mongo/db/matcher/expression_leaf.cpp) and the $elemMatch
 * expressions (expression_array.cpp):
 *  - values compare only within one canonical BSON type (`{$gt: 5}` never matches "6");
 *  - null equals null and a missing field, for $eq, $gte, $lte and inside $in;
 *  - MinKey and MaxKey bound every type;
 *  - NaN equals NaN but is neither greater nor smaller than anything;
 *  - embedded documents are equal only with the same fields in the same order;
 *  - `$elemMatch: {field: ...}` only looks at elements that are documents (or arrays).
 * Under a collation (mingo's `collation` option, query/collation.ts) strings compare by it, in
 * $eq/$ne/$gt.../$in/$nin and inside embedded documents and arrays; $regex ignores it, as on
 * the server.
 * Each operator has mingo's query-operator shape: (path, operand, options) → predicate.
 */
import { Query } from 'mingo/query';
import { compareBson, typeRank } from '../engine/bson-order.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { encodeKey } from '../engine/key-encoding.ts';
import { fail } from '../errors.ts';
import { collationOf, type Collation } from './collation.ts';
import { MISSING, pathParts, someValueAt } from './path.ts';

type Predicate = (doc: unknown) => boolean;
type ValueTest = (value: unknown) => boolean;
type Comparison = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';

const NULL_RANK = typeRank(null);
const MIN_KEY_RANK = -1;
const MAX_KEY_RANK = 127;

function isNaNValue(value: unknown): boolean {
  return typeof value === 'number' && Number.isNaN(value);
}

/** Whether `value` (or MISSING) satisfies `value <op> operand`, as matchesSingleElement does. */
function comparisonTest(op: Comparison, operand: unknown, collation?: Collation): ValueTest {
  const operandRank = typeRank(operand);
  const operandIsNaN = isNaNValue(operand);
  return (value) => {
    // A missing field has the canonical rank of undefined, which the server pairs with null.
    const rank = value === MISSING ? typeRank(undefined) : typeRank(value);
    if (rank !== operandRank) {
      if (operandRank === NULL_RANK && rank === typeRank(undefined))
        return op === 'eq' || op === 'gte' || op === 'lte';
      if (operandRank === MIN_KEY_RANK) return op === 'gt' || op === 'gte';
      if (operandRank === MAX_KEY_RANK) return op === 'lt' || op === 'lte';
      return false;
    }
    if (op !== 'eq' && (operandIsNaN || isNaNValue(value))) {
      return (op === 'gte' || op === 'lte') && operandIsNaN && isNaNValue(value);
    }
    const order = compareBson(value, operand, collation?.compare);
    switch (op) {
      case 'eq':
        return order === 0;
      case 'gt':
        return order > 0;
      case 'gte':
        return order >= 0;
      case 'lt':
        return order < 0;
      case 'lte':
        return order <= 0;
    }
  };
}

function regexTest(pattern: RegExp): ValueTest {
  return (value) => typeof value === 'string' && pattern.test(value);
}

/** `$in`: equal to one of the values (null also matching missing), or matching one of the regexes. */
function inTest(operand: unknown, collation?: Collation): ValueTest {
  const encode = (value: unknown) => encodeKey(value, collation?.key);
  if (!Array.isArray(operand)) throw fail('BadValue', '$in needs an array');
  const keys = new Set<string>();
  const patterns: ValueTest[] = [];
  let hasNull = false;
  for (const value of operand as unknown[]) {
    if (value instanceof RegExp) patterns.push(regexTest(value));
    else if (value === null) hasNull = true;
    else if (isPlainObject(value) && Object.keys(value).some((key) => key.startsWith('$')))
      throw fail('BadValue', 'cannot nest $ under $in');
    else keys.add(encode(value));
  }
  return (value) => {
    if (value === MISSING || value === null || value === undefined) return hasNull;
    return keys.has(encode(value)) || patterns.some((matches) => matches(value));
  };
}

/**
 * `$elemMatch`: some element of an array at the path satisfies every condition. With only
 * operators (`{$gt: 1, $lt: 5}`) they apply to the element itself; otherwise the conditions are
 * a query over the element, which must be a document (or an array, read as one).
 */
function elemMatch(path: string, criteria: unknown, options: unknown): Predicate {
  if (!isPlainObject(criteria)) throw fail('BadValue', '$elemMatch needs an Object');
  const keys = Object.keys(criteria);
  const onValue = keys.length > 0 && keys.every((k) => k.startsWith('$') && !LOGICAL.has(k));
  const query = new Query(onValue ? { element: criteria } : criteria, options as never);
  const elementMatches: ValueTest = onValue
    ? (element) => query.test({ element })
    : (element) =>
        (isPlainObject(element) || Array.isArray(element)) &&
        query.test(element as Record<string, unknown>);
  const parts = pathParts(path);
  return (doc) =>
    someValueAt(
      doc,
      parts,
      (value) => Array.isArray(value) && value.some(elementMatches),
      'array-only',
    );
}

/**
 * `$all`: every value equal at the path, as a conjunction of equalities (expression_leaf's
 * AndMatchExpression that the parser builds): a non-array field equal to a single value
 * matches, an array value matches an equal array or element; `{$elemMatch: ...}` entries are
 * each an $elemMatch; an empty list matches nothing.
 */
function allOf(path: string, operand: unknown, options: unknown): Predicate {
  if (!Array.isArray(operand)) throw fail('BadValue', '$all needs an array');
  const collation = collationOf(options);
  const clauses = (operand as unknown[]).map((value): Predicate => {
    if (value instanceof RegExp) return onPath(path, regexTest(value));
    if (isPlainObject(value) && Object.keys(value).some((key) => key.startsWith('$'))) {
      if (Object.keys(value).length !== 1 || !('$elemMatch' in value))
        throw fail('BadValue', 'no $ expressions in $all');
      return elemMatch(path, value.$elemMatch, options);
    }
    return onPath(path, comparisonTest('eq', value, collation));
  });
  return (doc) => clauses.length > 0 && clauses.every((matches) => matches(doc));
}

const LOGICAL = new Set(['$and', '$or', '$nor', '$expr', '$where', '$text', '$comment']);

function onPath(path: string, test: ValueTest): Predicate {
  const parts = pathParts(path);
  return (doc) => someValueAt(doc, parts, test);
}

const negate =
  (predicate: Predicate): Predicate =>
  (doc) =>
    !predicate(doc);

type Options = unknown;

const compare = (op: Comparison) => (path: string, operand: unknown, options: Options) =>
  onPath(path, comparisonTest(op, operand, collationOf(options)));

export const leafOperators = {
  $eq: compare('eq'),
  $ne: (path: string, operand: unknown, options: Options) =>
    negate(compare('eq')(path, operand, options)),
  $gt: compare('gt'),
  $gte: compare('gte'),
  $lt: compare('lt'),
  $lte: compare('lte'),
  $in: (path: string, operand: unknown, options: Options) =>
    onPath(path, inTest(operand, collationOf(options))),
  $nin: (path: string, operand: unknown, options: Options) =>
    negate(onPath(path, inTest(operand, collationOf(options)))),
  $regex: (path: string, operand: unknown) => onPath(path, regexTest(operand as RegExp)),
  $exists: (path: string, operand: unknown) => {
    const exists = onPath(path, (value) => value !== MISSING);
    return operand ? exists : negate(exists);
  },
  $elemMatch: elemMatch,
  $all: allOf,
};
