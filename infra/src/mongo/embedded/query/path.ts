/**
 * Dotted paths ("a.b.0.c") and the four ways the server reads one in a document. Each reader
 * mirrors one server routine, because they really differ on arrays and numeric parts, and a
 * consumer that picks the wrong one gives a different answer than mongod:
 *
 *  - `someValueAt` (queries): the matcher's path iterator (src/mongo/db/matcher/path.cpp);
 *  - `keyValuesAt` (index keys and sort keys): the B-tree key generator
 *    (src/mongo/db/index/btree_key_generator.cpp), which the sort key generator also uses;
 *  - `distinctValuesAt` (distinct): dotted_path_support extractAllElementsAlongPath;
 *  - `valueAt` (exact lookups: update targets, $push $sort keys, positional projections):
 *    BSONObj::getFieldDotted, objects by name and arrays by index, no array expansion.
 *
 * Paths are split once and the parts cached, since the same few paths recur per document.
 */
import { isPlainObject } from '../engine/index-keys.ts';

const partsCache = new Map<string, readonly string[]>();
const PARTS_CACHE_LIMIT = 10_000;

/** The parts of a dotted path (`"a.b"` → `["a", "b"]`), cached. */
export function pathParts(dotted: string): readonly string[] {
  let parts = partsCache.get(dotted);
  if (parts === undefined) {
    if (partsCache.size >= PARTS_CACHE_LIMIT) partsCache.clear();
    parts = Object.freeze(dotted.split('.'));
    partsCache.set(dotted, parts);
  }
  return parts;
}

/**
 * The array position a path part names, or -1. Only canonical decimal digits name a position:
 * the server compares the part with the array's own field names ("0", "1", ...).
 */
export function arrayPosition(part: string): number {
  const length = part.length;
  if (length === 0 || length > 15) return -1;
  for (let i = 0; i < length; i++) {
    const code = part.charCodeAt(i);
    if (code < 48 || code > 57) return -1;
  }
  if (length > 1 && part.charCodeAt(0) === 48) return -1;
  return Number(part);
}

/** Whether a part is all digits (the matcher's test for "this part may index an array"). */
function isAllDigits(part: string): boolean {
  if (part.length === 0) return false;
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** What a missing field looks like to a query predicate (the server's EOO element). */
export const MISSING: unique symbol = Symbol('missing');

/** How an array at the end of a query path is yielded. */
export type LeafArrays = 'elements-then-array' | 'array-only';

/**
 * Whether `test` holds for any value a query predicate on `parts` sees in `doc`:
 *  - objects are walked field by field; a missing field, or a scalar met before the end of the
 *    path, yields MISSING once (so `{a: 4}` matches `{"a.b": null}`);
 *  - an array met before the end of the path is searched: each object element continues the
 *    path (yielding MISSING when it lacks it), a numeric part also selects the element at that
 *    position, scalar elements yield nothing (so `{a: [1]}` does not match `{"a.b": null}`);
 *  - an array at the end of the path yields each element, then the array itself (or, for
 *    `$elemMatch`, which looks at arrays whole, only the array itself).
 */
export function someValueAt(
  doc: unknown,
  parts: readonly string[],
  test: (value: unknown) => boolean,
  leafArrays: LeafArrays = 'elements-then-array',
): boolean {
  return matchFromObject(doc, { parts, test, leafArrays }, 0);
}

interface MatchWalk {
  readonly parts: readonly string[];
  readonly test: (value: unknown) => boolean;
  readonly leafArrays: LeafArrays;
}

function matchFromObject(value: unknown, walk: MatchWalk, i: number): boolean {
  const { parts, test } = walk;
  let current = value;
  for (let j = i; j < parts.length; j++) {
    if (!isPlainObject(current)) return test(MISSING);
    current = current[parts[j] as string];
    if (current === undefined) return test(MISSING);
    if (Array.isArray(current)) return matchInArray(current, walk, j + 1);
  }
  return test(current);
}

function matchInArray(array: readonly unknown[], walk: MatchWalk, i: number): boolean {
  const { parts, test } = walk;
  if (i === parts.length) {
    return (walk.leafArrays === 'elements-then-array' && array.some(test)) || test(array);
  }
  const next = parts[i] as string;
  const position = isAllDigits(next) ? arrayPosition(next) : -1;
  const last = i + 1 === parts.length;
  for (let index = 0; index < array.length; index++) {
    const element = array[index];
    if (isPlainObject(element) && matchFromObject(element, walk, i)) return true;
    if (index !== position) continue;
    if (last) {
      if (test(element)) return true;
    } else if (isPlainObject(element)) {
      if (matchFromObject(element, walk, i + 1)) return true;
    } else if (Array.isArray(element)) {
      if (matchInArray(element, walk, i + 1)) return true;
    }
  }
  return false;
}

/**
 * The values an index (or a sort) keys `doc` by at `parts`, pushed to `out`; returns whether an
 * array was expanded on the way (a multikey path). Arrays before the end are expanded into
 * their object elements, a numeric part selects the element at that position, and an array at
 * the end contributes each element (an empty array contributes itself).
 */
export function keyValuesAt(
  value: unknown,
  parts: readonly string[],
  out: unknown[],
  i = 0,
): boolean {
  if (i === parts.length) {
    if (!Array.isArray(value)) {
      if (value !== undefined) out.push(value);
      return false;
    }
    if (value.length === 0) out.push([]);
    else for (const element of value as unknown[]) out.push(element);
    return true;
  }
  if (Array.isArray(value)) {
    const part = parts[i] as string;
    const position = arrayPosition(part);
    if (position >= 0) return keyValuesAt(value[position], parts, out, i + 1);
    for (const element of value as unknown[]) {
      if (isPlainObject(element)) keyValuesAt(element, parts, out, i);
    }
    return true;
  }
  if (!isPlainObject(value)) return false;
  return keyValuesAt(value[parts[i] as string], parts, out, i + 1);
}

/**
 * The values `distinct` collects at `parts`: objects by name; at an array, a numeric next part
 * indexes it and any other part continues into each element that is a document; an array at
 * the end contributes its elements.
 */
export function distinctValuesAt(
  value: unknown,
  parts: readonly string[],
  out: unknown[],
  i = 0,
): void {
  if (i === parts.length) {
    if (Array.isArray(value)) for (const element of value as unknown[]) out.push(element);
    else if (value !== undefined) out.push(value);
    return;
  }
  if (Array.isArray(value)) {
    const part = parts[i] as string;
    if (isAllDigits(part)) {
      distinctValuesAt(value[Number(part)], parts, out, i + 1);
      return;
    }
    for (const element of value as unknown[]) {
      if (isPlainObject(element)) distinctValuesAt(element, parts, out, i);
    }
    return;
  }
  if (isPlainObject(value)) distinctValuesAt(value[parts[i] as string], parts, out, i + 1);
}

/** The value at exactly `parts` (objects by name, arrays by position), or undefined. */
export function valueAt(value: unknown, parts: readonly string[], from = 0): unknown {
  let current = value;
  for (let i = from; i < parts.length; i++) {
    const part = parts[i] as string;
    if (Array.isArray(current)) {
      const position = arrayPosition(part);
      current = position >= 0 ? current[position] : undefined;
    } else if (isPlainObject(current)) {
      current = current[part];
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * Sets `key` on a plain object as an own data property, even when the key is `__proto__`
 * (plain assignment would change the prototype instead and lose the field).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}
