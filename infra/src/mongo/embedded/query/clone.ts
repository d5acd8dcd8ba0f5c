/**
 * Copies a stored (frozen) document so an update can work on it: plain objects and arrays are
 * copied, BSON value objects and dates are shared or re-created, which is all mingo mutates.
 */
import { isPlainObject } from '../engine/index-keys.ts';
import { setOwn } from './path.ts';

export function cloneDocument<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneDocument) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(copy, key, cloneDocument(value[key]));
  return copy as T;
}

/** A copy with `_id` moved to the front, where the server always keeps it. */
export function withIdFirst(doc: Record<string, unknown>, id: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { _id: id };
  for (const key of Object.keys(doc)) if (key !== '_id') setOwn(out, key, doc[key]);
  return out;
}
