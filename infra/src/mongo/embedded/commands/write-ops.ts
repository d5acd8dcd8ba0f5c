/**
 * The update and delete steps shared by the update, delete and findAndModify commands: select
 * the targets (through the planner), then update and store them one at a time. Between two
 * documents a long statement may yield to other connections (server/operation.ts), so each
 * target is re-read when its turn comes: a document deleted meanwhile is skipped, one changed
 * meanwhile is updated as it is now, if it still matches, exactly like mongod re-checks a
 * document after a yield. Each document's update is atomic; a multi-document statement is not.
 * A failure part-way (E11000 or a type error on the third document of a multi-update) throws,
 * leaving the documents before it updated and the rest untouched, as the server does. Like the
 * server, the failed statement then reports only its error.
 */
import type { Document } from 'bson';
import type { Catalog } from '../engine/catalog.ts';
import type { Collection } from '../engine/collection.ts';
import { encodeKey } from '../engine/key-encoding.ts';
import { checkNotDropped, runQuery } from '../query/execute.ts';
import { compileFilter, type Matcher } from '../query/matcher.ts';
import type { SortField } from '../query/sort.ts';
import type { Collation } from '../query/collation.ts';
import { prepareUpdate, type UpdateSpec } from '../query/update.ts';
import type { Operation } from '../server/operation.ts';
import { checkStorable } from './prepare-document.ts';

export interface Target {
  readonly catalog: Catalog;
  readonly db: string;
  readonly collection: string;
}

export interface UpdateStatement {
  readonly filter: Document;
  /** Parsed with the statement's array filters (parseUpdate). */
  readonly update: UpdateSpec;
  readonly multi: boolean;
  readonly upsert: boolean;
  readonly variables?: Document;
  readonly sort?: readonly SortField[];
  readonly collation?: Collation;
}

export interface UpdateResult {
  matched: number;
  modified: number;
  /** The inserted document when the upsert inserted. */
  upserted?: Document;
  /** The first target as it was, and as it became (findAndModify returns one of them). */
  before?: Document;
  after?: Document;
}

export async function executeUpdate(
  target: Target,
  statement: UpdateStatement,
  operation: Operation,
): Promise<UpdateResult> {
  const collection = target.catalog.collection(target.db, target.collection);
  const targets = await runQuery(collection, statement.filter, operation, {
    sort: statement.sort,
    limit: statement.multi ? 0 : 1,
    variables: statement.variables,
    collation: statement.collation,
  });
  const update = prepareUpdate(statement.update, {
    filter: statement.filter,
    variables: statement.variables,
    collation: statement.collation,
  });
  if (targets.length === 0 || !collection) {
    if (!statement.upsert) return { matched: 0, modified: 0 };
    const doc = checkStorable(update.upsert());
    target.catalog.ensureCollection(target.db, target.collection).insert(doc);
    return { matched: 0, modified: 0, upserted: doc, after: doc };
  }
  const result: UpdateResult = { matched: 0, modified: 0 };
  const current = currentTargets(collection, statement, operation);
  for (const scanned of targets) {
    const stored = await current(scanned);
    if (!stored) continue;
    const outcome = update.apply(stored);
    result.matched++;
    if (!result.before) {
      result.before = stored;
      result.after = outcome.doc;
    }
    if (!outcome.changed) continue;
    collection.replace(encodeKey(stored._id), checkStorable(outcome.doc));
    result.modified++;
  }
  return result;
}

export async function executeDelete(
  target: Target,
  filter: Document,
  operation: Operation,
  options: {
    limit: 0 | 1;
    variables?: Document;
    sort?: readonly SortField[];
    collation?: Collation;
  },
): Promise<Document[]> {
  const collection = target.catalog.collection(target.db, target.collection);
  if (!collection) return [];
  const victims = await runQuery(collection, filter, operation, options);
  const current = currentTargets(collection, { filter, ...options }, operation);
  const deleted: Document[] = [];
  for (const scanned of victims) {
    const stored = await current(scanned);
    if (stored && collection.delete(encodeKey(stored._id))) deleted.push(stored);
  }
  return deleted;
}

/**
 * Returns, for each scanned target in turn, the document as it is now, or undefined when it was
 * deleted or no longer matches. Yields between targets when the slice is used up; nothing
 * yields between this returning and the caller's synchronous write.
 */
function currentTargets(
  collection: Collection,
  selection: { filter: Document; variables?: Document; collation?: Collation },
  operation: Operation,
): (scanned: Document) => Promise<Document | undefined> {
  let matches: Matcher | undefined;
  return async (scanned) => {
    if (operation.due()) {
      await operation.yieldTurn();
      checkNotDropped(collection);
    }
    const stored = collection.get(encodeKey(scanned._id));
    if (!stored || stored === scanned) return stored;
    matches ??= compileFilter(selection.filter, selection.variables, selection.collation);
    return matches(stored) ? stored : undefined;
  };
}
