/**
 * How deeply a document nests, measured without recursion, so a hostile document thousands of
 * levels deep is refused before any recursive code (matching, copying, encoding) can overflow
 * the stack. Counts as the server does (bson_depth.h, validateBSONDepthForUserStorage): the
 * document itself is level 1, each non-empty embedded document or array one more.
 */
import { isPlainObject } from './index-keys.ts';

/** Whether `doc` nests deeper than `limit` levels. */
export function nestsDeeperThan(doc: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[doc, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    const children = Array.isArray(value)
      ? (value as unknown[])
      : isPlainObject(value)
        ? Object.values(value)
        : [];
    for (const child of children) {
      const container = Array.isArray(child)
        ? child.length > 0
        : isPlainObject(child) && Object.keys(child).length > 0;
      if (!container) continue;
      if (depth + 1 > limit) return true;
      pending.push([child, depth + 1]);
    }
  }
  return false;
}
