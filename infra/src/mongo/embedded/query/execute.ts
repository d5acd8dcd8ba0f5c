/**
 * Runs a read: plan candidates, keep those the whole filter matches, sort, skip, limit. Reads
 * return the stored (frozen) documents themselves; callers project or copy before handing out.
 */
import type { Document } from 'bson';
import type { Collection } from '../engine/collection.ts';
import { candidates, type PlanStats } from '../engine/planner.ts';
import { compileFilter } from './matcher.ts';
import { sortDocuments, type SortField } from './sort.ts';

export interface ReadOptions {
  readonly sort?: readonly SortField[];
  readonly skip?: number;
  /** 0 or absent: no limit. */
  readonly limit?: number;
  readonly variables?: Document;
}

export function newPlanStats(): PlanStats {
  return { stage: 'COLLSCAN', keysExamined: 0, docsExamined: 0 };
}

export function runQuery(
  collection: Collection | undefined,
  filter: Document,
  options: ReadOptions = {},
  stats: PlanStats = newPlanStats(),
): Document[] {
  const skip = options.skip ?? 0;
  const limit = options.limit ?? 0;
  const matched: Document[] = [];
  const plan = candidates(collection, filter, stats, options.sort);
  const matches = plan.exact ? () => true : compileFilter(filter, options.variables);
  // When the plan already yields sort order, stop as soon as skip + limit documents matched.
  const enough = plan.sorted && limit > 0 ? skip + limit : Infinity;
  for (const doc of plan.docs) {
    if (!matches(doc)) continue;
    matched.push(doc);
    if (matched.length >= enough) break;
  }
  const ordered = options.sort && !plan.sorted ? sortDocuments(matched, options.sort) : matched;
  return ordered.slice(skip, limit > 0 ? skip + limit : undefined);
}
