/**
 * Compiles a query filter into a predicate with mingo, after refusing what we cannot honour:
 * Decimal128 and inexact int64 values, `$where` (no JavaScript runs here) and `$text` (no text
 * indexes). Unknown operators fail with BadValue, as on the server.
 */
import type { Document } from 'bson';
import { Query } from 'mingo';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { mingoOptions } from '../engine/mingo-options.ts';
import { assertSupportedValues } from './supported-values.ts';
import { withMingo } from './mingo-errors.ts';

export type Matcher = (doc: Document) => boolean;

const matchAll: Matcher = () => true;

export function asFilter(value: unknown, field: string): Document {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value))
    throw fail('TypeMismatch', `BSON field '${field}' is the wrong type, expected type 'object'`);
  return value;
}

export function compileFilter(filter: Document, variables?: Document): Matcher {
  if (Object.keys(filter).length === 0) return matchAll;
  assertSupportedValues(filter, 'the query filter');
  refuseUnsupportedOperators(filter);
  const query = withMingo(
    () => new Query(filter, { ...mingoOptions, ...(variables ? { variables } : {}) }),
  );
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
