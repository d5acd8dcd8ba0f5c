/**
 * The array position a query matched in a document: what the positional `$` stands for in an
 * update (`{$set: {"rules.$.low": 5}}`) and in a find projection (`{"items.$": 1}`). The server
 * records it while matching (MatchDetails' elemMatchKey): a condition that matches through an
 * array reports the position of the element that satisfied it, and when several do, the last
 * one evaluated wins. Here each top-level condition (and `$and` clause) is tried in order on the
 * first array along its path, one element at a time.
 */
import type { Document } from 'bson';
import { isPlainObject } from '../engine/index-keys.ts';
import type { Collation } from './collation.ts';
import { compileFilter, type Matcher } from './matcher.ts';
import { pathParts } from './path.ts';

/** The matched position in `doc`, or undefined when no condition matched through an array. */
export type PositionFinder = (doc: Document) => number | undefined;

interface Condition {
  readonly parts: readonly string[];
  readonly matches: Matcher;
}

export function positionFinder(
  filter: Document,
  variables?: Document,
  collation?: Collation,
): PositionFinder {
  const conditions: Condition[] = [];
  collect(filter, conditions, variables, collation);
  return (doc) => {
    let position: number | undefined;
    for (const { parts, matches } of conditions) {
      position = positionFor(doc, parts, matches) ?? position;
    }
    return position;
  };
}

function collect(
  filter: Document,
  out: Condition[],
  variables?: Document,
  collation?: Collation,
): void {
  for (const [key, condition] of Object.entries(filter) as [string, unknown][]) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const clause of condition)
        if (isPlainObject(clause)) collect(clause, out, variables, collation);
    } else if (!key.startsWith('$')) {
      const matches = compileFilter({ [key]: condition }, variables, collation);
      out.push({ parts: pathParts(key), matches });
    }
  }
}

/** The first element of the first array on `parts` that alone still satisfies the condition. */
function positionFor(
  doc: Document,
  parts: readonly string[],
  matches: Matcher,
): number | undefined {
  const prefix: Record<string, unknown>[] = [];
  let current: unknown = doc;
  for (let i = 0; i < parts.length; i++) {
    if (!isPlainObject(current)) return undefined;
    prefix.push(current);
    current = current[parts[i] as string];
    if (Array.isArray(current)) {
      const array: readonly unknown[] = current;
      for (let index = 0; index < array.length; index++) {
        if (matches(withOnly(prefix, parts, [array[index]]))) return index;
      }
      return undefined;
    }
  }
  return undefined;
}

/** The document with the array at the end of `prefix` replaced by `replacement`. */
function withOnly(
  prefix: readonly Record<string, unknown>[],
  parts: readonly string[],
  replacement: unknown,
): Document {
  let value = replacement;
  for (let i = prefix.length - 1; i >= 0; i--) {
    value = { ...prefix[i], [parts[i] as string]: value };
  }
  return value as Document;
}
