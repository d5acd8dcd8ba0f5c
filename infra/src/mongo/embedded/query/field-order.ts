/**
 * The server keeps a document's field order through projections (`_id` first, included fields
 * where they were, computed fields after); mingo rebuilds objects in its own order. This puts
 * a projected document back in its source's order, recursively for embedded documents.
 */
import { isPlainObject } from '../engine/index-keys.ts';

export function inSourceOrder(
  projected: Record<string, unknown>,
  source: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (!(key in projected)) continue;
    const value = projected[key];
    const original = source[key];
    out[key] =
      isPlainObject(value) && isPlainObject(original) ? inSourceOrder(value, original) : value;
  }
  for (const key of Object.keys(projected)) if (!(key in out)) out[key] = projected[key];
  return out;
}
