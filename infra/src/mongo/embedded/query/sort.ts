/**
 * Sorting by a sort specification with the server's BSON order. On an array field the
 * ascending sort key is its smallest element and the descending key its largest, as the server
 * does; a missing field sorts as null and an empty array before it (its key is BSON undefined).
 * `{$natural: ±1}` is the collection's own order, forwards or backwards. Keys are computed once
 * per document, then compared.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { compareBson } from '../engine/bson-order.ts';
import { isPlainObject } from '../engine/index-keys.ts';

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

function sortKey(doc: Document, field: SortField): unknown {
  const values: unknown[] = [];
  const sawEmptyArray = collectValues(doc, field.path.split('.'), 0, values);
  if (values.length === 0) return sawEmptyArray ? undefined : null;
  let best = values[0];
  for (const value of values) {
    const order = compareBson(value, best);
    if (field.direction === 1 ? order < 0 : order > 0) best = value;
  }
  return best;
}

/**
 * Values at a dotted path, descending into arrays of documents and flattening a final array;
 * returns whether an empty array was found at the end of the path.
 */
function collectValues(
  value: unknown,
  parts: readonly string[],
  i: number,
  out: unknown[],
): boolean {
  if (i === parts.length) {
    if (Array.isArray(value)) out.push(...(value as unknown[]));
    else if (value !== undefined) out.push(value);
    return Array.isArray(value) && value.length === 0;
  }
  let sawEmptyArray = false;
  if (Array.isArray(value)) {
    for (const element of value) sawEmptyArray ||= collectValues(element, parts, i, out);
  } else if (isPlainObject(value)) {
    sawEmptyArray = collectValues(value[parts[i] as string], parts, i + 1, out);
  }
  return sawEmptyArray;
}
