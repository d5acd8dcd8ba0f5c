/**
 * The values a query predicate on a dotted path sees in a document, as the server's path
 * iterator yields them (src/mongo/db/matcher/path.cpp, BSONElementIterator):
 *  - objects are walked field by field; a missing field, or a scalar met before the end of the
 *    path, yields MISSING once (so `{a: 4}` matches `{"a.b": null}`);
 *  - an array met before the end of the path is searched: each object element continues the
 *    path (yielding MISSING when it lacks it), a numeric path part also selects the element at
 *    that position, scalar elements yield nothing (so `{a: [1]}` does not match `{"a.b": null}`);
 *  - an array at the end of the path yields each element, then the array itself (or, for
 *    `$elemMatch`, which looks at arrays whole, only the array itself).
 * A predicate matches a document when it holds for any yielded value.
 */
import { isPlainObject } from '../engine/index-keys.ts';

/** What a missing field looks like to a predicate (the server's EOO element). */
export const MISSING: unique symbol = Symbol('missing');

/** How an array at the end of the path is yielded. */
export type LeafArrays = 'elements-then-array' | 'array-only';

/** Whether `test` holds for any value the path `parts` yields in `doc`. */
export function someValueAt(
  doc: unknown,
  parts: readonly string[],
  test: (value: unknown) => boolean,
  leafArrays: LeafArrays = 'elements-then-array',
): boolean {
  return fromObject(doc, { parts, test, leafArrays }, 0);
}

interface Walk {
  readonly parts: readonly string[];
  readonly test: (value: unknown) => boolean;
  readonly leafArrays: LeafArrays;
}

/** Walks `parts[i..]` down from `value` through objects until the end or an array. */
function fromObject(value: unknown, walk: Walk, i: number): boolean {
  const { parts, test } = walk;
  let current = value;
  for (let j = i; j < parts.length; j++) {
    if (!isPlainObject(current)) return test(MISSING);
    current = current[parts[j] as string];
    if (current === undefined) return test(MISSING);
    if (Array.isArray(current)) return inArray(current, walk, j + 1);
  }
  return test(current);
}

/** An array reached with `parts[i..]` still to walk (possibly nothing). */
function inArray(array: readonly unknown[], walk: Walk, i: number): boolean {
  const { parts, test } = walk;
  if (i === parts.length) {
    return (walk.leafArrays === 'elements-then-array' && array.some(test)) || test(array);
  }
  const next = parts[i] as string;
  const position = /^\d+$/.test(next) ? Number(next) : -1;
  const last = i + 1 === parts.length;
  for (const [index, element] of array.entries()) {
    if (isPlainObject(element) && fromObject(element, walk, i)) return true;
    if (index !== position) continue;
    if (last) {
      if (test(element)) return true;
    } else if (isPlainObject(element)) {
      if (fromObject(element, walk, i + 1)) return true;
    } else if (Array.isArray(element)) {
      if (inArray(element, walk, i + 1)) return true;
    }
  }
  return false;
}
