/**
 * Sorting by a sort specification with the server's BSON order. On an array field the
 * ascending sort key is its smallest element and the descending key its largest, as the server
 * does; a numeric part picks an array element (`{"arr.0": 1}`); a missing field sorts as null
 * and an empty array before it (its key is BSON undefined).
 * `{$natural: ±1}` is the collection's own order, forwards or backwards. Keys are computed once
 * per document, then compared.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { compareBson } from '../engine/bson-order.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { keyValuesAt, pathParts } from './path.ts';

export interface SortField {
  readonly path: string;
  readonly direction: 1 | -1;
}

export function parseSort(value: unknown): SortField[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value))
    throw fail('TypeMismatch', "BSON field 'sort' is the wrong type, expected type 'object'");
  const fields = Object.entries(value).map(([path, direction]): SortField => {
    if (isPlainObject(direction) && '$meta' in direction) {
      throw fail(
        'NotImplemented',
        `$meta sort on '${path}' is not supported by the embedded MongoDB server`,
      );
    }
    if (direction !== 1 && direction !== -1) {
      throw fail(
        'Location15975',
        '$sort key ordering must be 1 (for ascending) or -1 (for descending)',
      );
    }
    return { path, direction: direction === 1 ? 1 : -1 };
  });
  return fields.length > 0 ? fields : undefined;
}

export function sortDocuments<T extends Document>(
  docs: readonly T[],
  fields: readonly SortField[],
): T[] {
  if (fields[0]?.path === '$natural')
    return fields[0].direction === 1 ? [...docs] : docs.toReversed();
  const decorated = docs.map((doc) => ({ doc, keys: fields.map((f) => sortKey(doc, f)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < fields.length; i++) {
      const order = compareBson(a.keys[i], b.keys[i]);
      if (order !== 0) return order * (fields[i] as SortField).direction;
    }
    return 0;
  });
  return decorated.map((entry) => entry.doc);
}

/**
 * A document's sort key for one field: its index key values there (sort_key_generator uses the
 * B-tree key generator), the smallest ascending or the largest descending. A missing field sorts
 * as null; an empty array as BSON undefined, below null.
 */
function sortKey(doc: Document, field: SortField): unknown {
  const values: unknown[] = [];
  keyValuesAt(doc, pathParts(field.path), values);
  if (values.length === 0) return null;
  let best: unknown;
  let first = true;
  for (const raw of values) {
    const value = Array.isArray(raw) && raw.length === 0 ? undefined : raw;
    if (first) {
      best = value;
      first = false;
      continue;
    }
    const order = compareBson(value, best);
    if (field.direction === 1 ? order < 0 : order > 0) best = value;
  }
  return best;
}
