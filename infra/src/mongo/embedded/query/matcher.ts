/**
 * Compiles a query filter into a predicate with mingo, after refusing what we cannot honour:
 * Decimal128 and inexact int64 values, `$where` (no JavaScript runs here) and `$text` (no text
 * indexes). Unknown operators fail with BadValue, as on the server.
 */
import type { Document } from 'bson';
import { Query } from 'mingo/query';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { mingoOptions } from '../engine/mingo-options.ts';
import type { Collation } from './collation.ts';
import { assertSupportedValues } from './supported-values.ts';
import { withMingo } from './mingo-errors.ts';
import { queryContext } from './mingo-context.ts';
import { queryRegexes } from './regex.ts';
import { simpleMatcher } from './simple-filter.ts';

export type Matcher = (doc: Document) => boolean;

const matchAll: Matcher = () => true;

export function asFilter(value: unknown, field: string): Document {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value))
    throw fail('TypeMismatch', `BSON field '${field}' is the wrong type, expected type 'object'`);
  return value;
}

/** `collation`: how the filter's strings compare (none: binarily, the simple collation). */
export function compileFilter(raw: Document, variables?: Document, collation?: Collation): Matcher {
  if (Object.keys(raw).length === 0) return matchAll;
  const filter = queryRegexes(raw) as Document;
  assertSupportedValues(filter, 'the query filter');
  refuseUnsupportedOperators(filter);
  checkOperands(filter);
  const compile = () =>
    withMingo(
      () =>
        new Query(filter, {
          ...mingoOptions,
          context: queryContext,
          ...(variables ? { variables } : {}),
          ...(collation ? { collation } : {}),
        }),
    );
  const simple = collation ? undefined : simpleMatcher(filter);
  if (simple) {
    // Compiled only for a document the fast path cannot decide (an array where it looks).
    let query: Query | undefined;
    return (doc) => simple(doc) ?? withMingo(() => (query ??= compile()).test(doc));
  }
  const query = compile();
  return (doc) => withMingo(() => query.test(doc));
}

function refuseUnsupportedOperators(filter: Document): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$where')
      throw fail(
        'NotImplemented',
        '$where is not supported by the embedded MongoDB server (it runs no JavaScript); use $expr',
      );
    if (key === '$text') throw fail('IndexNotFound', 'text index required for $text query');
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      for (const clause of value) if (isPlainObject(clause)) refuseUnsupportedOperators(clause);
    }
  }
}

/** Operand shapes the server checks (and mingo would trip over with a TypeError). */
function checkOperands(filter: Document): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(value) || value.length === 0)
        throw fail('BadValue', `${key} must be a nonempty array`);
      for (const clause of value) {
        if (!isPlainObject(clause))
          throw fail('BadValue', `${key} argument's entries must be objects`);
        checkOperands(clause);
      }
    } else if (!key.startsWith('$') && isPlainObject(value)) {
      checkFieldOperators(value);
    }
  }
}

function checkFieldOperators(condition: Record<string, unknown>): void {
  for (const [op, operand] of Object.entries(condition)) {
    switch (op) {
      case '$in':
      case '$nin':
      case '$all':
        if (!Array.isArray(operand)) throw fail('BadValue', `${op} needs an array`);
        break;
      case '$size':
        if (typeof operand !== 'number') throw fail('BadValue', '$size needs a number');
        break;
      case '$mod':
        if (
          !Array.isArray(operand) ||
          operand.length !== 2 ||
          !operand.every((n) => typeof n === 'number')
        ) {
          throw fail('BadValue', 'malformed mod, needs to be an array of two numbers');
        }
        if (operand[0] === 0) throw fail('BadValue', 'divisor cannot be 0');
        break;
      case '$regex':
        if (typeof operand !== 'string' && !(operand instanceof RegExp))
          throw fail('BadValue', '$regex has to be a string');
        break;
      case '$elemMatch':
        if (!isPlainObject(operand)) throw fail('BadValue', '$elemMatch needs an Object');
        break;
      case '$not':
        if (!isPlainObject(operand) && !(operand instanceof RegExp))
          throw fail('BadValue', '$not needs a regex or a document');
        if (isPlainObject(operand)) checkFieldOperators(operand);
        break;
    }
  }
}
