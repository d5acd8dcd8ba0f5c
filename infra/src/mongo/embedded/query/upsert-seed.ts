/**
 * The document an upsert starts from when nothing matched: the query's equality conditions
 * (`{a: 1}`, `{a: {$eq: 1}}`, inside `$and` too), with dotted paths expanded into embedded
 * documents, exactly the fields the server copies from the query before applying the update.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { cloneDocument } from './clone.ts';

export function upsertSeed(filter: Document): Document {
  const seed: Document = {};
  addEqualities(filter, seed);
  return seed;
}

function addEqualities(filter: Document, seed: Document): void {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainObject(clause)) addEqualities(clause, seed);
      continue;
    }
    if (key.startsWith('$')) continue;
    if (isOperatorObject(condition)) {
      if ('$eq' in condition) setPath(seed, key, condition.$eq);
      continue;
    }
    if (condition instanceof RegExp) continue;
    setPath(seed, key, condition);
  }
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let target: Record<string, unknown> = doc;
  for (const part of parts.slice(0, -1)) {
    const next = target[part];
    if (next === undefined) target[part] = {};
    else if (!isPlainObject(next))
      throw fail(
        'NotSingleValueField',
        `cannot infer query fields to set, path '${path}' is matched twice`,
      );
    target = target[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1] as string;
  if (last in target)
    throw fail(
      'NotSingleValueField',
      `cannot infer query fields to set, path '${path}' is matched twice`,
    );
  target[last] = cloneDocument(value);
}
