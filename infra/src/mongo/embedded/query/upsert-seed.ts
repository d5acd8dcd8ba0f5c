/**
 * The document an upsert starts from when nothing matched: the query's equality conditions,
 * exactly those the server extracts (src/mongo/db/update/path_support.cpp
 * extractEqualityMatches): `{a: 1}`, `{a: {$eq: 1}}`, a one-element `$in` or `$all`, inside
 * `$and` and a one-clause `$or` too. Paths are set in sorted order (the server keeps them in a
 * std::map), dotted paths becoming embedded documents. A path constrained twice, or a path and
 * its parent, fails with NotSingleValueField (54). A replacement upsert takes only `_id`.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { cloneDocument } from './clone.ts';
import { pathParts, setOwn } from './path.ts';

export function upsertSeed(filter: Document, replacement: boolean): Document {
  const equalities = new Map<string, unknown>();
  addEqualities(filter, equalities);
  const paths = [...equalities.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 1; i < paths.length; i++) {
    const [parent, child] = [paths[i - 1] as string, paths[i] as string];
    if (child.startsWith(`${parent}.`)) {
      throw fail(
        'NotSingleValueField',
        `cannot infer query fields to set, both paths '${parent}' and '${child}' are matched`,
      );
    }
  }
  const seed: Document = {};
  for (const path of paths) {
    if (replacement && path !== '_id') {
      if (path.startsWith('_id.'))
        throw fail('NotExactValueField', `could not extract exact value for field '_id'`);
      continue;
    }
    setPath(seed, path, equalities.get(path));
  }
  return seed;
}

function addEqualities(filter: Document, out: Map<string, unknown>): void {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainObject(clause)) addEqualities(clause, out);
    } else if (key === '$or' && Array.isArray(condition) && condition.length === 1) {
      const [only] = condition as unknown[];
      if (isPlainObject(only)) addEqualities(only, out);
    } else if (!key.startsWith('$')) {
      for (const value of equalityValues(condition)) add(out, key, value);
    }
  }
}

/** The values a field condition pins the field to (none for ranges, regexes, $elemMatch...). */
function equalityValues(condition: unknown): unknown[] {
  if (isRegex(condition)) return [];
  if (!isOperatorObject(condition)) return [condition];
  const values: unknown[] = [];
  for (const [op, operand] of Object.entries(condition)) {
    if (op === '$eq') values.push(operand);
    // A one-element $in is an equality; $all is one equality per element.
    if (op === '$in' && Array.isArray(operand) && operand.length === 1 && !isRegex(operand[0]))
      values.push(operand[0]);
    if (op === '$all' && Array.isArray(operand))
      values.push(...(operand as unknown[]).filter((v) => !isRegex(v) && !isOperatorObject(v)));
  }
  return values;
}

function add(out: Map<string, unknown>, path: string, value: unknown): void {
  if (out.has(path)) {
    throw fail(
      'NotSingleValueField',
      `cannot infer query fields to set, path '${path}' is matched twice`,
    );
  }
  out.set(path, value);
}

function isRegex(value: unknown): boolean {
  return (
    value instanceof RegExp || (value as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp'
  );
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** Paths arrive sorted and conflict-free, so parents are always absent or documents. */
function setPath(doc: Document, path: string, value: unknown): void {
  const parts = pathParts(path);
  let target: Record<string, unknown> = doc;
  for (const part of parts.slice(0, -1)) {
    if (!Object.hasOwn(target, part)) setOwn(target, part, {});
    target = target[part] as Record<string, unknown>;
  }
  setOwn(target, parts[parts.length - 1] as string, cloneDocument(value));
}
