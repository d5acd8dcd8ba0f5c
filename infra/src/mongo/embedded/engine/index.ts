/**
 * One secondary index: a sorted list of (key tuple, document id) entries for equality and range
 * scans, plus, for unique indexes, a hash map from key to id so duplicate checks and lookups by
 * unique key cost O(1) whatever the collection size. Sparse and partial indexes skip documents
 * exactly as the server does; TTL indexes are ordinary sorted indexes the sweeper scans.
 * An index with a collation keys its hash map by the collation's equality (`a@x` and `A@x`
 * collide at strength 2), as mongod's collated indexes store ICU sort keys; its sorted entries
 * stay in binary order, so the planner uses such an index only for unique lookups under the
 * same collation (engine/planner.ts).
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { compareBson, compareStrings, typeRank } from './bson-order.ts';
import { formatDocument } from './format-key.ts';
import { documentKeys, indexFields, type IndexField, type IndexSpec } from './index-keys.ts';
import { encodeKey } from './key-encoding.ts';
import { compileFilter, type Matcher } from '../query/matcher.ts';
import { parseCollation, type Collation } from '../query/collation.ts';
import { SortedList } from './sorted-list.ts';

interface IndexedKeys {
  readonly tuples: unknown[][];
  readonly multikey: boolean;
}

interface Entry {
  readonly key: readonly unknown[];
  readonly id: string;
}

/** A bound on one field's values; type-bracketed like the server's ($gt: 5 never matches "a"). */
export interface Bound {
  readonly value: unknown;
  readonly inclusive: boolean;
}

export interface RangeScan {
  /** Equality values for the leading fields. */
  readonly prefix: readonly unknown[];
  /** Optional range on the field right after the prefix. */
  readonly lower?: Bound;
  readonly upper?: Bound;
}

export class Index {
  readonly spec: IndexSpec;
  readonly fields: readonly IndexField[];
  /** Set once any document put an array under an indexed path; range plans avoid such indexes. */
  multikey = false;
  readonly #entries: SortedList<Entry>;
  readonly #unique: Map<string, string> | null;
  readonly #partial: Matcher | null;
  /** Undefined for the simple (binary) collation. */
  readonly collation: Collation | undefined;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = indexFields(spec);
    this.collation = parseCollation(spec.collation, 'collation');
    const directions = this.fields.map((f) => f.direction);
    this.#entries = new SortedList<Entry>(
      (a, b) => compareTuples(a.key, b.key, directions, a.key.length) || compareStrings(a.id, b.id),
    );
    this.#unique = spec.unique ? new Map() : null;
    // Compiled like any query filter, so it selects exactly what the same find would.
    this.#partial = spec.partialFilterExpression
      ? compileFilter(spec.partialFilterExpression, undefined, this.collation)
      : null;
  }

  get name(): string {
    return this.spec.name;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Changes with every entry added or removed (tests see whether an update touched the index). */
  get version(): number {
    return this.#entries.version;
  }

  /** The key tuples `doc` contributes, or none when sparse/partial rules leave it out. */
  keysOf(doc: Document): unknown[][] {
    return this.#indexedKeys(doc).tuples;
  }

  /**
   * Throws what storing `doc` under `id` would violate: parallel arrays under a compound key, or
   * (for unique indexes) E11000 when another document holds the same key. Mutates nothing.
   */
  check(doc: Document, id: string, namespace: string): void {
    this.#checkUnique(this.keysOf(doc), id, namespace);
  }

  #checkUnique(tuples: readonly (readonly unknown[])[], id: string, namespace: string): void {
    if (!this.#unique) return;
    for (const tuple of tuples) {
      const owner = this.#unique.get(this.#hashKey(tuple));
      if (owner !== undefined && owner !== id) throw this.#duplicate(tuple, namespace);
    }
  }

  add(doc: Document, id: string): void {
    this.#addKeys(this.#indexedKeys(doc), id);
  }

  remove(doc: Document, id: string): void {
    this.#removeTuples(this.keysOf(doc), id);
  }

  /**
   * Checks replacing `previous` by `next` under `id` (throwing what `check` throws) and returns
   * the step that applies it, so a caller can check every index before changing any. When the
   * key tuples are the same the entries stay where they are: most updates ($inc a counter, $set
   * a price) touch no indexed field, and removing and re-adding identical entries was most of
   * such an update's index cost. "Same" is compareBson equality, the order the entries are kept
   * in, which is at least as strict as the unique map's key encoding.
   */
  prepareReplace(previous: Document, next: Document, id: string, namespace: string): () => void {
    const before = this.keysOf(previous);
    const after = this.#indexedKeys(next);
    if (sameTuples(before, after.tuples)) {
      // {a: 1} → {a: [1]} keeps the keys but makes the index multikey.
      return after.multikey ? () => (this.multikey = true) : noChange;
    }
    this.#checkUnique(after.tuples, id, namespace);
    return () => {
      this.#removeTuples(before, id);
      this.#addKeys(after, id);
    };
  }

  #addKeys({ tuples, multikey }: IndexedKeys, id: string): void {
    if (multikey) this.multikey = true;
    for (const key of tuples) {
      this.#entries.insert({ key, id });
      this.#unique?.set(this.#hashKey(key), id);
    }
  }

  #removeTuples(tuples: readonly (readonly unknown[])[], id: string): void {
    for (const key of tuples) {
      this.#entries.delete({ key, id });
      if (!this.#unique) continue;
      const encoded = this.#hashKey(key);
      if (this.#unique.get(encoded) === id) this.#unique.delete(encoded);
    }
  }

  #indexedKeys(doc: Document): IndexedKeys {
    if (this.#partial && !this.#partial(doc)) return { tuples: [], multikey: false };
    const keys = documentKeys(doc, this.fields);
    if (this.spec.sparse && !keys.anyPresent) return { tuples: [], multikey: false };
    return keys;
  }

  clear(): void {
    this.#entries.clear();
    this.#unique?.clear();
    this.multikey = false;
  }

  /** The id stored under a full unique key, if any: the O(1) path for lookups by unique field. */
  lookupUnique(tuple: readonly unknown[]): string | undefined {
    return this.#unique?.get(this.#hashKey(tuple));
  }

  #hashKey(tuple: readonly unknown[]): string {
    return encodeKey(tuple, this.collation?.key);
  }

  get isUnique(): boolean {
    return this.#unique !== null;
  }

  get isPartial(): boolean {
    return this.#partial !== null;
  }

  /**
   * Ids of entries whose leading fields equal `prefix` and whose next field lies within the
   * bounds, in index order (or its reverse). May repeat an id for multikey entries; callers
   * dedupe. Lazy: a caller that stops early (sort + limit) examines only what it consumed.
   */
  *scan({ prefix, lower, upper }: RangeScan, reverse = false): Generator<string> {
    const k = prefix.length;
    const directions = this.fields.map((f) => f.direction);
    const prefixOrder = (key: readonly unknown[]) => compareTuples(key, prefix, directions, k);
    const rank = typeRank((lower ?? upper)?.value);
    const bounded = lower !== undefined || upper !== undefined;
    const aboveLower = (v: unknown) => {
      if (!bounded) return true;
      const r = typeRank(v);
      if (r !== rank) return r > rank;
      if (!lower) return true;
      const order = compareBson(v, lower.value);
      return lower.inclusive ? order >= 0 : order > 0;
    };
    const belowUpper = (v: unknown) => {
      if (!bounded) return true;
      const r = typeRank(v);
      if (r !== rank) return r < rank;
      if (!upper) return true;
      const order = compareBson(v, upper.value);
      return upper.inclusive ? order <= 0 : order < 0;
    };
    // In index order the bounded field ascends or descends: `first`/`last` say which bound is
    // met first and which last when walking the index forwards.
    const ascending = (this.fields[k]?.direction ?? 1) === 1;
    const [first, last] = ascending ? [aboveLower, belowUpper] : [belowUpper, aboveLower];
    let entries = reverse
      ? this.#entries.until((e) => {
          const order = prefixOrder(e.key);
          return order < 0 || (order === 0 && last(e.key[k]));
        })
      : this.#entries.from((e) => {
          const order = prefixOrder(e.key);
          return order > 0 || (order === 0 && first(e.key[k]));
        });
    const keepGoing = reverse ? first : last;
    // The consumer may yield to other connections between two entries; if the index changed
    // meanwhile, continue from the last entry returned rather than from stale positions.
    let version = this.#entries.version;
    let previous: Entry | undefined;
    for (;;) {
      if (previous && this.#entries.version !== version) {
        entries = reverse ? this.#entries.before(previous) : this.#entries.after(previous);
        version = this.#entries.version;
      }
      const next = entries.next();
      if (next.done) return;
      const entry = next.value;
      if (prefixOrder(entry.key) !== 0 || !keepGoing(entry.key[k])) return;
      previous = entry;
      yield entry.id;
    }
  }

  get isSparse(): boolean {
    return this.spec.sparse === true;
  }

  #duplicate(tuple: readonly unknown[], namespace: string) {
    const keyValue: Record<string, unknown> = {};
    const keyPattern: Record<string, number> = {};
    this.fields.forEach((field, i) => {
      keyValue[field.path] = tuple[i] ?? null;
      keyPattern[field.path] = field.direction;
    });
    return fail(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${namespace} index: ${this.name} dup key: ${formatDocument(keyValue)}`,
      { keyPattern, keyValue },
    );
  }
}

/** Compares the first `length` fields of two key tuples, honouring each field's direction. */
function compareTuples(
  a: readonly unknown[],
  b: readonly unknown[],
  directions: readonly (1 | -1)[],
  length: number,
): number {
  for (let i = 0; i < length; i++) {
    const order = compareBson(a[i], b[i]);
    if (order !== 0) return order * (directions[i] ?? 1);
  }
  return 0;
}

function sameTuples(
  a: readonly (readonly unknown[])[],
  b: readonly (readonly unknown[])[],
): boolean {
  if (a.length !== b.length) return false;
  for (let t = 0; t < a.length; t++) {
    const left = a[t] as readonly unknown[];
    const right = b[t] as readonly unknown[];
    for (let i = 0; i < left.length; i++) if (compareBson(left[i], right[i]) !== 0) return false;
  }
  return true;
}

function noChange(): void {}
