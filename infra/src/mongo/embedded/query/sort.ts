/**
 * Sorting by a sort specification with the server's BSON order. On an array field the
 * ascending sort key is its smallest element and the descending key its largest, as the server
 * does; a numeric part picks an array element (`{"arr.0": 1}`); a missing field sorts as null
 * and an empty array before it (its key is BSON undefined).
 * `{$natural: ±1}` is the collection's own order, forwards or backwards. Keys are computed once
 * per document, then compared. Under a collation, strings compare by it (query/collation.ts):
 * each field carries its string order.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { compareBson, type StringOrder } from '../engine/bson-order.ts';
import type { Collation } from './collation.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { keyValuesAt, pathParts } from './path.ts';
import type { Operation } from '../server/operation.ts';

export interface SortField {
  readonly path: string;
  readonly direction: 1 | -1;
  /** How strings compare (the command's collation); binarily when absent. */
  readonly strings?: StringOrder;
}

export function parseSort(value: unknown, collation?: Collation): SortField[] | undefined {
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
    return {
      path,
      direction: direction === 1 ? 1 : -1,
      ...(collation ? { strings: collation.compare } : {}),
    };
  });
  return fields.length > 0 ? fields : undefined;
}

/** A comparator over documents for `fields` (their sort keys computed once per document). */
interface Keyed<T> {
  readonly doc: T;
  readonly keys: readonly unknown[];
}

function keyedComparator<T>(fields: readonly SortField[]): (a: Keyed<T>, b: Keyed<T>) => number {
  return (a, b) => {
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as SortField;
      const order = compareBson(a.keys[i], b.keys[i], field.strings);
      if (order !== 0) return order * field.direction;
    }
    return 0;
  };
}

const keyed = <T extends Document>(doc: T, fields: readonly SortField[]): Keyed<T> => ({
  doc,
  keys: fields.map((f) => sortKey(doc, f)),
});

/** Compares two documents by `fields` (computing their sort keys on each call). */
export function sortComparator(fields: readonly SortField[]): (a: Document, b: Document) => number {
  return (a, b) => {
    for (const field of fields) {
      const order = compareBson(sortKey(a, field), sortKey(b, field), field.strings);
      if (order !== 0) return order * field.direction;
    }
    return 0;
  };
}

/** Sorts in one go: for small inputs, or where yielding is not possible. */
export function sortDocuments<T extends Document>(
  docs: readonly T[],
  fields: readonly SortField[],
): T[] {
  if (fields[0]?.path === '$natural')
    return fields[0].direction === 1 ? [...docs] : docs.toReversed();
  return docs
    .map((doc) => keyed(doc, fields))
    .sort(keyedComparator(fields))
    .map((entry) => entry.doc);
}

/** Documents per run sorted in one step (a few milliseconds of work). */
const RUN = 2048;

/**
 * Sorts in slices that yield to other connections: runs of RUN documents are sorted one at a
 * time, then merged pairwise, checking the operation between elements. Stable, like Array#sort.
 * With `keep`, only the first `keep` documents are wanted: a bounded heap keeps them (mongod's
 * top-k sort), so `sort().limit(10)` over a million documents neither sorts nor holds them all.
 */
export async function sortInSlices<T extends Document>(
  docs: readonly T[],
  fields: readonly SortField[],
  operation: Operation,
  keep = Infinity,
): Promise<T[]> {
  if (fields[0]?.path === '$natural') return sortDocuments(docs, fields).slice(0, keep);
  const compare = keyedComparator<T>(fields);
  if (keep < docs.length && keep <= RUN) return topK(docs, fields, compare, keep, operation);
  let items: Keyed<T>[] = [];
  for (const doc of docs) {
    if (operation.due()) await operation.yieldTurn();
    items.push(keyed(doc, fields));
  }
  for (let start = 0; start < items.length; start += RUN) {
    const run = items.slice(start, start + RUN).sort(compare);
    for (let i = 0; i < run.length; i++) items[start + i] = run[i] as Keyed<T>;
    if (operation.due(64)) await operation.yieldTurn();
  }
  for (let width = RUN; width < items.length; width *= 2) {
    const merged: Keyed<T>[] = [];
    for (let left = 0; left < items.length; left += 2 * width) {
      const middle = Math.min(left + width, items.length);
      const right = Math.min(left + 2 * width, items.length);
      let i = left;
      let j = middle;
      while (i < middle || j < right) {
        if (operation.due()) await operation.yieldTurn();
        const takeLeft =
          j >= right || (i < middle && compare(items[i] as Keyed<T>, items[j] as Keyed<T>) <= 0);
        merged.push((takeLeft ? items[i++] : items[j++]) as Keyed<T>);
      }
    }
    items = merged;
  }
  return items.slice(0, keep).map((entry) => entry.doc);
}

/** The `keep` first documents in sort order, through a max-heap of `keep` entries. */
async function topK<T extends Document>(
  docs: readonly T[],
  fields: readonly SortField[],
  compare: (a: Keyed<T>, b: Keyed<T>) => number,
  keep: number,
  operation: Operation,
): Promise<T[]> {
  if (keep <= 0) return [];
  // Ties are broken by arrival so the result is the stable sort's prefix.
  const order = (a: Keyed<T> & { seq: number }, b: Keyed<T> & { seq: number }) =>
    compare(a, b) || a.seq - b.seq;
  const heap: (Keyed<T> & { seq: number })[] = [];
  let seq = 0;
  for (const doc of docs) {
    if (operation.due()) await operation.yieldTurn();
    const entry = { ...keyed(doc, fields), seq: seq++ };
    if (heap.length < keep) {
      heap.push(entry);
      siftUp(heap, heap.length - 1, order);
    } else if (order(entry, heap[0] as Keyed<T> & { seq: number }) < 0) {
      heap[0] = entry;
      siftDown(heap, 0, order);
    }
  }
  return heap.sort(order).map((entry) => entry.doc);
}

/** Max-heap helpers: the root is the entry that sorts last. */
function siftUp<E>(heap: E[], index: number, order: (a: E, b: E) => number): void {
  let i = index;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (order(heap[i] as E, heap[parent] as E) <= 0) return;
    [heap[i], heap[parent]] = [heap[parent] as E, heap[i] as E];
    i = parent;
  }
}

function siftDown<E>(heap: E[], index: number, order: (a: E, b: E) => number): void {
  let i = index;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let largest = i;
    if (left < heap.length && order(heap[left] as E, heap[largest] as E) > 0) largest = left;
    if (right < heap.length && order(heap[right] as E, heap[largest] as E) > 0) largest = right;
    if (largest === i) return;
    [heap[i], heap[largest]] = [heap[largest] as E, heap[i] as E];
    i = largest;
  }
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
    const order = compareBson(value, best, field.strings);
    if (field.direction === 1 ? order < 0 : order > 0) best = value;
  }
  return best;
}
