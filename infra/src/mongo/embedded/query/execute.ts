/**
 * Runs a read: plan candidates, keep those the whole filter matches, sort, skip, limit. Long
 * reads work in slices (server/operation.ts): between slices other connections run, so a
 * document is seen as it is when the scan reaches it, and a collection dropped meanwhile ends
 * the read with QueryPlanKilled (175), as on mongod. Reads return the stored (frozen)
 * documents themselves; callers project or copy before handing out.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import type { Collection } from '../engine/collection.ts';
import { candidates, type PlanStats } from '../engine/planner.ts';
import type { Operation } from '../server/operation.ts';
import type { Collation } from './collation.ts';
import { compileFilter } from './matcher.ts';
import { sortInSlices, type SortField } from './sort.ts';

export interface ReadOptions {
  readonly sort?: readonly SortField[];
  readonly skip?: number;
  /** 0 or absent: no limit. */
  readonly limit?: number;
  readonly variables?: Document;
  /** How strings compare in the filter (a sort carries its own); binarily when absent. */
  readonly collation?: Collation;
}

export function newPlanStats(): PlanStats {
  return { stage: 'COLLSCAN', keysExamined: 0, docsExamined: 0 };
}

export async function runQuery(
  collection: Collection | undefined,
  filter: Document,
  operation: Operation,
  options: ReadOptions = {},
  stats: PlanStats = newPlanStats(),
): Promise<Document[]> {
  const skip = options.skip ?? 0;
  const limit = options.limit ?? 0;
  const matched: Document[] = [];
  const plan = candidates(collection, filter, stats, options.sort, options.collation);
  const matches = plan.exact
    ? () => true
    : compileFilter(filter, options.variables, options.collation);
  // When the plan already yields sort order, stop as soon as skip + limit documents matched.
  const enough = plan.sorted && limit > 0 ? skip + limit : Infinity;
  for (const doc of plan.docs) {
    if (operation.due()) {
      await operation.yieldTurn();
      if (collection) checkNotDropped(collection);
    }
    if (!matches(doc)) continue;
    matched.push(doc);
    if (matched.length >= enough) break;
  }
  operation.examined.keys += stats.keysExamined;
  operation.examined.docs += stats.docsExamined;
  const end = limit > 0 ? skip + limit : undefined;
  const ordered =
    options.sort && !plan.sorted
      ? await sortInSlices(matched, options.sort, operation, end)
      : matched;
  return ordered.slice(skip, end);
}

/** A read or write that yielded must not go on over a collection dropped meanwhile. */
export function checkNotDropped(collection: Collection): void {
  if (collection.dropped) {
    throw fail('QueryPlanKilled', `collection dropped. UUID ${collection.uuid.toHexString()}`);
  }
}
