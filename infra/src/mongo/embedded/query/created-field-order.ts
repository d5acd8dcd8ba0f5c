/**
 * Where an update puts the fields it creates. The server applies all of an update's operators
 * as one tree whose children it visits in field-name order (src/mongo/db/update/
 * update_object_node.cpp; numeric names in numeric order since 5.0), so new fields are appended
 * in that order whichever operator created them: `{$set: {z: 1}, $inc: {a: 1}}` appends `a`
 * then `z`. mingo applies one operator after another; this restores the server's order, level
 * by level along the updated paths. Existing fields keep their place.
 */
import type { Document } from 'bson';
import { isPlainObject } from '../engine/index-keys.ts';

/** Field names of one level of the update tree, each with the tree below it (empty: a leaf). */
type PathTree = Map<string, PathTree>;

export function compareFieldNames(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `updated` with the fields the update created (absent from `original`) in the server's order. */
export function orderCreatedFields(
  updated: Document,
  original: Document,
  paths: readonly string[],
): Document {
  return reorder(updated, original, treeOf(paths));
}

function treeOf(paths: readonly string[]): PathTree {
  const root: PathTree = new Map();
  for (const path of paths) {
    let level = root;
    for (const part of path.split('.')) {
      // Positional parts select array elements, whose order an update never changes.
      if (part.startsWith('$')) break;
      let next = level.get(part);
      if (!next) {
        next = new Map();
        level.set(part, next);
      }
      level = next;
    }
  }
  return root;
}

function reorder(
  updated: Record<string, unknown>,
  original: Record<string, unknown> | undefined,
  tree: PathTree,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const created: string[] = [];
  const descend = (key: string) => {
    const below = tree.get(key);
    const value = updated[key];
    if (!below || below.size === 0 || !isPlainObject(value)) return value;
    const before = original?.[key];
    return reorder(value, isPlainObject(before) ? before : undefined, below);
  };
  for (const key of Object.keys(updated)) {
    if (original && Object.hasOwn(original, key)) out[key] = descend(key);
    else created.push(key);
  }
  for (const key of created.sort(compareFieldNames)) out[key] = descend(key);
  return out;
}
