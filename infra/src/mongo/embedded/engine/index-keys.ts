/**
 * What an index stores for a document: the values at its key paths, with arrays expanded into
 * one key per element (a "multikey" index), and the rules that make a spec valid. Mirrors the
 * server's key generation closely enough that unique and equality semantics agree with it.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { encodeKey } from './key-encoding.ts';
import { keyValuesAt, pathParts } from '../query/path.ts';
import { parseCollation } from '../query/collation.ts';

export interface IndexField {
  readonly path: string;
  readonly parts: readonly string[];
  readonly direction: 1 | -1;
}

/** The stored index document, as listIndexes returns it. */
export interface IndexSpec {
  readonly v: 2;
  readonly key: Readonly<Record<string, 1 | -1>>;
  readonly name: string;
  readonly unique?: boolean;
  readonly sparse?: boolean;
  readonly expireAfterSeconds?: number;
  readonly partialFilterExpression?: Document;
  /** A non-simple collation, every option filled in (query/collation.ts). */
  readonly collation?: Document;
}

/** Options that change what an index does and that this server implements. */
const SUPPORTED_OPTIONS = new Set([
  'key',
  'name',
  'unique',
  'sparse',
  'expireAfterSeconds',
  'partialFilterExpression',
  'v',
  'background', // accepted and ignored by servers since 4.2
  'ns', // legacy, ignored
  'collation',
]);

export function defaultIndexName(key: Readonly<Record<string, unknown>>): string {
  return Object.entries(key)
    .map(([path, direction]) => `${path}_${String(direction)}`)
    .join('_');
}

/** Validates a createIndexes entry and returns the normalised spec (throws coded errors). */
export function parseIndexSpec(raw: Document): IndexSpec {
  const key: unknown = raw.key;
  if (typeof key !== 'object' || key === null || Array.isArray(key)) {
    throw fail('TypeMismatch', "The field 'key' must be an object");
  }
  const entries = Object.entries(key as Record<string, unknown>);
  if (entries.length === 0) throw fail('CannotCreateIndex', 'Index keys cannot be empty.');
  const normalised: Record<string, 1 | -1> = {};
  for (const [path, direction] of entries) {
    if (direction === 1 || direction === -1) {
      normalised[path] = direction;
    } else if (typeof direction === 'string') {
      throw fail(
        'NotImplemented',
        `index type '${direction}' on '${path}' is not supported by the embedded MongoDB server; only ascending (1) and descending (-1) keys`,
      );
    } else {
      throw fail(
        'CannotCreateIndex',
        `Values in the index key pattern can only be 1 or -1: ${path}: ${String(direction)}`,
      );
    }
    if (path === '' || path.startsWith('$') || path.split('.').some((part) => part === '')) {
      throw fail('CannotCreateIndex', `Index key contains an illegal field name: '${path}'`);
    }
  }
  for (const option of Object.keys(raw)) {
    if (!SUPPORTED_OPTIONS.has(option)) {
      throw fail(
        'NotImplemented',
        `index option '${option}' is not supported by the embedded MongoDB server`,
      );
    }
  }
  const name: unknown = raw.name ?? defaultIndexName(normalised);
  if (typeof name !== 'string' || name === '')
    throw fail('TypeMismatch', "The field 'name' must be a non-empty string");
  const spec: Record<string, unknown> = { v: 2, key: normalised, name };
  if (raw.unique === true) spec.unique = true;
  if (raw.sparse === true) spec.sparse = true;
  if (raw.expireAfterSeconds !== undefined) {
    const seconds: unknown = raw.expireAfterSeconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw fail(
        'InvalidOptions',
        "TTL index 'expireAfterSeconds' option must be a non-negative number",
      );
    }
    if (entries.length !== 1)
      throw fail(
        'CannotCreateIndex',
        'TTL indexes are single-field indexes, compound indexes do not support TTL',
      );
    spec.expireAfterSeconds = Math.floor(seconds);
  }
  if (raw.partialFilterExpression !== undefined) {
    const filter: unknown = raw.partialFilterExpression;
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
      throw fail('TypeMismatch', "The field 'partialFilterExpression' must be an object");
    }
    checkPartialFilter(filter as Record<string, unknown>);
    spec.partialFilterExpression = filter;
  }
  const collation = parseCollation(raw.collation, 'createIndexes.indexes.collation');
  if (collation) spec.collation = collation.spec;
  return spec as unknown as IndexSpec;
}

/**
 * The expressions a partial index may be defined by (manual, "Partial Indexes"; the server's
 * index catalog refuses others with CannotCreateIndex, 67): equality, `$exists: true`,
 * `$gt`/`$gte`/`$lt`/`$lte`, `$type`, `$in`, under `$and`/`$or`. `$exists: false` is a
 * negation, which an index cannot answer.
 */
const PARTIAL_OPERATORS = new Set(['$eq', '$gt', '$gte', '$lt', '$lte', '$type', '$in', '$exists']);

function checkPartialFilter(filter: Record<string, unknown>): void {
  const unsupported = (what: unknown) =>
    fail('CannotCreateIndex', `Expression not supported in partial index: ${JSON.stringify(what)}`);
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value)) throw unsupported({ [key]: value });
      for (const clause of value) {
        if (!isPlainObject(clause)) throw unsupported({ [key]: value });
        checkPartialFilter(clause);
      }
      continue;
    }
    if (key.startsWith('$')) throw unsupported({ [key]: value });
    if (
      value instanceof RegExp ||
      (value as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp'
    )
      throw unsupported({ [key]: value });
    if (!isPlainObject(value) || !Object.keys(value).some((k) => k.startsWith('$'))) continue;
    for (const [operator, operand] of Object.entries(value)) {
      if (
        !PARTIAL_OPERATORS.has(operator) ||
        (operator === '$exists' && operand !== true && operand !== 1)
      )
        throw unsupported({ [key]: value });
    }
  }
}

export function indexFields(spec: IndexSpec): IndexField[] {
  return Object.entries(spec.key).map(([path, direction]) => ({
    path,
    parts: pathParts(path),
    direction,
  }));
}

export interface DocumentKeys {
  /** One tuple per index entry (several when an indexed path holds an array). */
  readonly tuples: unknown[][];
  /** Whether an array was crossed on any indexed path. */
  readonly multikey: boolean;
  /** Whether at least one indexed path exists in the document (sparse indexes skip others). */
  readonly anyPresent: boolean;
}

/** The index entries of `doc`; a missing path yields null, as on the server. */
export function documentKeys(doc: Document, fields: readonly IndexField[]): DocumentKeys {
  const perField: unknown[][] = [];
  let multikey = false;
  let anyPresent = false;
  let arrayField: string | undefined;
  for (const field of fields) {
    const found: unknown[] = [];
    const crossedArray = keyValuesAt(doc, field.parts, found);
    if (crossedArray) {
      if (arrayField !== undefined) {
        throw fail(
          'CannotIndexParallelArrays',
          `cannot index parallel arrays [${field.path}] [${arrayField}]`,
        );
      }
      arrayField = field.path;
      multikey = true;
    }
    if (found.length > 0) anyPresent = true;
    perField.push(found.length > 0 ? dedupe(found) : [null]);
  }
  let tuples: unknown[][] = [[]];
  for (const values of perField) {
    tuples =
      values.length === 1
        ? tuples.map((t) => [...t, values[0]])
        : tuples.flatMap((t) => values.map((v) => [...t, v]));
  }
  return { tuples, multikey, anyPresent };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof RegExp) &&
    !('_bsontype' in value)
  );
}

function dedupe(values: unknown[]): unknown[] {
  if (values.length < 2) return values;
  const seen = new Map<string, unknown>();
  for (const value of values) seen.set(encodeKey(value), value);
  return [...seen.values()];
}
