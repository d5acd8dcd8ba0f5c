/**
 * Chooses how to find the documents a filter can match, so indexed lookups never scan:
 *  1. `_id` equality or `$in`: direct lookups in the `_id` map (IDHACK);
 *  2. equality on every field of a unique index: one hash lookup (unique IXSCAN);
 *  3. equalities on a prefix of a sorted index, then optionally a range on the next field
 *     (`{ticker, t: {$gte}}`): a bounded scan of that index (IXSCAN);
 *  4. otherwise every document (COLLSCAN).
 * A plan yields candidates only; every candidate is still checked against the whole filter,
 * so a plan may over-approximate but must never miss a match. That is why ranges are not used
 * on multikey indexes, partial indexes are skipped, and null/array/object values never drive
 * an index lookup here.
 * Index keys compare strings by the index's collation, a query by its own: a plan uses an index
 * only under the same collation, and a collated one (whose sorted entries are in binary order)
 * only for unique lookups; a query with a collation never takes the binary `_id` map.
 */
import type { Document } from 'bson';
import type { Collection } from './collection.ts';
import { typeRank } from './bson-order.ts';
import { isPlainObject } from './index-keys.ts';
import type { Bound, Index } from './index.ts';
import { encodeKey } from './key-encoding.ts';
import { sameCollation, type Collation } from '../query/collation.ts';

export interface PlanStats {
  stage: 'IDHACK' | 'IXSCAN' | 'COLLSCAN' | 'EOF';
  indexName?: string;
  keyPattern?: Document;
  keysExamined: number;
  docsExamined: number;
}

interface FieldPredicates {
  eq?: unknown;
  in?: unknown[];
  lower?: Bound;
  upper?: Bound;
}

export interface SortKey {
  readonly path: string;
  readonly direction: 1 | -1;
}

export interface Candidates {
  readonly docs: Iterable<Document>;
  /** The documents come in `sort` order, so the caller need not sort (and may stop early). */
  readonly sorted: boolean;
  /**
   * Every candidate matches the filter: it holds nothing but equalities on exactly the keys the
   * lookup used, and key equality is the server's equality for such values. The caller may
   * skip the matcher (compiling it cost more than the whole lookup).
   */
  readonly exact: boolean;
}

/** Candidate documents for `filter`, with the chosen plan recorded in `stats`. */
export function candidates(
  collection: Collection | undefined,
  filter: Document,
  stats: PlanStats,
  sort?: readonly SortKey[],
  collation?: Collation,
): Candidates {
  if (!collection) {
    stats.stage = 'EOF';
    // Not exact: the filter must still be compiled, so a malformed one fails here too.
    return { docs: [], sorted: true, exact: false };
  }
  const predicates = new Map<string, FieldPredicates>();
  collectPredicates(filter, predicates);

  const id = predicates.get('_id');
  const idValues = id?.eq !== undefined ? [id.eq] : id?.in;
  if (idValues && !collation) {
    stats.stage = 'IDHACK';
    stats.indexName = '_id_';
    stats.keyPattern = { _id: 1 };
    // `{_id: {$in: [a, a]}}` (populate with a repeated reference) must still yield `a` once.
    const ids = new Set(idValues.map((value) => encodeKey(value)));
    return {
      docs: fetch(collection, ids, stats),
      sorted: ids.size <= 1,
      exact: onlyEqualities(filter, ['_id']),
    };
  }

  // The common case (no collation anywhere) keeps the list as it is: this runs per command.
  const sameOrder =
    !collation && collection.indexes.every((index) => !index.collation)
      ? collection.indexes
      : collection.indexes.filter((index) => sameCollation(index.collation, collation));
  const unique = uniqueLookup(sameOrder, predicates);
  if (unique) {
    describe(stats, unique.index);
    stats.keysExamined += 1;
    return {
      docs: fetch(collection, unique.id === undefined ? [] : [unique.id], stats),
      sorted: true,
      exact:
        !collation &&
        onlyEqualities(
          filter,
          unique.index.fields.map((f) => f.path),
        ),
    };
  }

  const binary = collation ? [] : sameOrder;
  const scan = bestScan(binary, predicates) ?? sortOnlyScan(binary, sort);
  if (scan) {
    describe(stats, scan.index);
    const pinned = scan.index.fields.slice(0, scan.prefixes[0]?.length ?? 0).map((f) => f.path);
    const exact = !scan.lower && !scan.upper && onlyEqualities(filter, pinned);
    const direction = scan.prefixes.length === 1 ? orderFor(scan, sort) : undefined;
    if (direction && !scan.index.multikey) {
      // One prefix on a single-valued index: each document appears once, in order; stream it.
      const [prefix = []] = scan.prefixes;
      const ids = counting(
        scan.index.scan({ prefix, lower: scan.lower, upper: scan.upper }, direction === 'reverse'),
        stats,
      );
      return { docs: fetch(collection, ids, stats), sorted: true, exact };
    }
    const ids = new Set<string>();
    for (const prefix of scan.prefixes) {
      for (const foundId of scan.index.scan({ prefix, lower: scan.lower, upper: scan.upper })) {
        stats.keysExamined++;
        ids.add(foundId);
      }
    }
    return { docs: fetch(collection, [...ids], stats), sorted: !sort, exact };
  }

  stats.stage = 'COLLSCAN';
  return {
    docs: countingAll(collection, stats),
    sorted: !sort,
    exact: Object.keys(filter).length === 0,
  };
}

/**
 * Whether `filter` is exactly one indexable equality (a value, `{$eq: v}` or `{$in: [...]}`)
 * on each of `fields` and nothing else.
 */
function onlyEqualities(filter: Document, fields: readonly string[]): boolean {
  const keys = Object.keys(filter);
  if (keys.length !== fields.length || !keys.every((key) => fields.includes(key))) return false;
  return keys.every((key) => {
    const condition: unknown = filter[key];
    if (!isPlainObject(condition)) return indexable(condition);
    const operators = Object.keys(condition);
    if (operators.length !== 1) return false;
    if ('$eq' in condition) return indexable(condition.$eq);
    const values: unknown = condition.$in;
    return Array.isArray(values) && values.length > 0 && values.every(indexable);
  });
}

function* counting(ids: Iterable<string>, stats: PlanStats): Generator<string> {
  for (const id of ids) {
    stats.keysExamined++;
    yield id;
  }
}

/**
 * Whether walking the scan's index forwards or backwards yields documents in `sort` order:
 * after dropping sort fields pinned by the equality prefix, the sort must name the index's
 * next fields, all in the index's directions or all reversed.
 */
function orderFor(
  scan: Scan,
  sort: readonly SortKey[] | undefined,
): 'forward' | 'reverse' | undefined {
  if (!sort) return 'forward';
  const [prefix = []] = scan.prefixes;
  const pinned = new Set(scan.index.fields.slice(0, prefix.length).map((f) => f.path));
  const rest = sort.filter((key) => !pinned.has(key.path));
  if (rest.length === 0) return 'forward';
  let same = true;
  let opposite = true;
  for (const [i, key] of rest.entries()) {
    const field = scan.index.fields[prefix.length + i];
    if (field?.path !== key.path) return undefined;
    same &&= field.direction === key.direction;
    opposite &&= field.direction !== key.direction;
  }
  return same ? 'forward' : opposite ? 'reverse' : undefined;
}

/** With no usable predicate, an index whose leading fields are the sort still avoids a sort. */
function sortOnlyScan(
  indexes: readonly Index[],
  sort: readonly SortKey[] | undefined,
): Scan | undefined {
  if (!sort) return undefined;
  for (const index of indexes) {
    // Sparse and partial indexes leave documents out: walking one would lose them.
    if (index.isPartial || index.isSparse || index.multikey) continue;
    const scan: Scan = { index, prefixes: [[]] };
    if (orderFor(scan, sort)) return scan;
  }
  return undefined;
}

function describe(stats: PlanStats, index: Index): void {
  stats.stage = 'IXSCAN';
  stats.indexName = index.name;
  stats.keyPattern = { ...index.spec.key };
}

function* fetch(
  collection: Collection,
  ids: Iterable<string>,
  stats: PlanStats,
): Generator<Document> {
  for (const id of ids) {
    const doc = collection.get(id);
    if (!doc) continue;
    stats.docsExamined++;
    yield doc;
  }
}

function* countingAll(collection: Collection, stats: PlanStats): Generator<Document> {
  for (const doc of collection.docs.values()) {
    stats.docsExamined++;
    yield doc;
  }
}

/** Values an index lookup may be driven by: scalars whose equality the index represents exactly. */
function indexable(value: unknown): boolean {
  if (value === null || value === undefined || Array.isArray(value) || value instanceof RegExp)
    return false;
  if (typeof value === 'number') return !Number.isNaN(value);
  if (typeof value === 'object')
    return value instanceof Date || (value as { _bsontype?: string })._bsontype === 'ObjectId';
  return typeof value === 'string' || typeof value === 'boolean';
}

/** Reads the conjunctive, indexable predicates of a filter (top level and `$and` clauses). */
function collectPredicates(filter: Document, out: Map<string, FieldPredicates>): void {
  for (const [path, condition] of Object.entries(filter)) {
    if (path === '$and' && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainObject(clause)) collectPredicates(clause, out);
      continue;
    }
    if (path.startsWith('$')) continue;
    const field = out.get(path) ?? {};
    out.set(path, field);
    if (!isPlainObject(condition)) {
      if (indexable(condition)) field.eq = condition;
      continue;
    }
    const operators = Object.keys(condition);
    if (operators.length === 0 || !operators.every((op) => op.startsWith('$'))) continue;
    if ('$eq' in condition && indexable(condition.$eq)) field.eq = condition.$eq;
    const inValues = condition.$in;
    if (Array.isArray(inValues) && inValues.length > 0 && inValues.every(indexable))
      field.in = inValues;
    for (const op of ['$gt', '$gte'] as const) {
      if (op in condition && indexable(condition[op]))
        field.lower = { value: condition[op], inclusive: op === '$gte' };
    }
    for (const op of ['$lt', '$lte'] as const) {
      if (op in condition && indexable(condition[op]))
        field.upper = { value: condition[op], inclusive: op === '$lte' };
    }
    if (field.lower && field.upper && typeRank(field.lower.value) !== typeRank(field.upper.value)) {
      // Bounds of different types select nothing on the server; keep one so the scan stays a superset.
      delete field.upper;
    }
  }
}

function uniqueLookup(indexes: readonly Index[], predicates: Map<string, FieldPredicates>) {
  for (const index of indexes) {
    if (!index.isUnique || index.isPartial) continue;
    const tuple: unknown[] = [];
    for (const field of index.fields) {
      const eq = predicates.get(field.path)?.eq;
      if (eq === undefined) break;
      tuple.push(eq);
    }
    if (tuple.length === index.fields.length) return { index, id: index.lookupUnique(tuple) };
  }
  return undefined;
}

interface Scan {
  readonly index: Index;
  readonly prefixes: unknown[][];
  readonly lower?: Bound;
  readonly upper?: Bound;
}

/** The index whose leading fields the filter pins down best: equalities first, then one range. */
function bestScan(
  indexes: readonly Index[],
  predicates: Map<string, FieldPredicates>,
): Scan | undefined {
  let best: { scan: Scan; score: number } | undefined;
  for (const index of indexes) {
    if (index.isPartial) continue;
    const scan = scanFor(index, predicates);
    if (!scan) continue;
    const score = (scan.prefixes[0]?.length ?? 0) * 2 + (scan.lower || scan.upper ? 1 : 0);
    if (!best || score > best.score) best = { scan, score };
  }
  return best?.scan;
}

function scanFor(index: Index, predicates: Map<string, FieldPredicates>): Scan | undefined {
  const leading = index.fields[0];
  const first = leading ? predicates.get(leading.path) : undefined;
  if (!first) return undefined;
  // `$in` on the leading field: one point scan per value.
  if (first.eq === undefined && first.in) return { index, prefixes: first.in.map((v) => [v]) };
  const prefix: unknown[] = [];
  for (const field of index.fields) {
    const eq = predicates.get(field.path)?.eq;
    if (eq === undefined) break;
    prefix.push(eq);
  }
  const next = index.fields[prefix.length];
  const range = next ? predicates.get(next.path) : undefined;
  if (range && (range.lower || range.upper) && !index.multikey) {
    return { index, prefixes: [prefix], lower: range.lower, upper: range.upper };
  }
  return prefix.length > 0 ? { index, prefixes: [prefix] } : undefined;
}
