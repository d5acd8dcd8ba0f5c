/**
 * The update and delete steps shared by the update, delete and findAndModify commands: select
 * the targets (through the planner), then update and store them one at a time. A failure
 * part-way (E11000 or a type error on the third document of a multi-update) throws, leaving the
 * documents before it updated and the rest untouched, as the server does: a multi-document write
 * is not a transaction. Like the server, the failed statement then reports only its error.
 */
import type { Document } from 'bson';
import type { Catalog } from '../engine/catalog.ts';
import { encodeKey } from '../engine/key-encoding.ts';
import { runQuery } from '../query/execute.ts';
import type { SortField } from '../query/sort.ts';
import { prepareUpdate, type UpdateSpec } from '../query/update.ts';
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

export function executeUpdate(target: Target, statement: UpdateStatement): UpdateResult {
  const collection = target.catalog.collection(target.db, target.collection);
  const targets = runQuery(collection, statement.filter, {
    sort: statement.sort,
    limit: statement.multi ? 0 : 1,
    variables: statement.variables,
  });
  const update = prepareUpdate(statement.update, {
    filter: statement.filter,
    variables: statement.variables,
  });
  if (targets.length === 0 || !collection) {
    if (!statement.upsert) return { matched: 0, modified: 0 };
    const doc = checkStorable(update.upsert());
    target.catalog.ensureCollection(target.db, target.collection).insert(doc);
    return { matched: 0, modified: 0, upserted: doc, after: doc };
  }
  const result: UpdateResult = { matched: 0, modified: 0 };
  for (const stored of targets) {
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

export function executeDelete(
  target: Target,
  filter: Document,
  limit: 0 | 1,
  variables?: Document,
  sort?: readonly SortField[],
): Document[] {
  const collection = target.catalog.collection(target.db, target.collection);
  if (!collection) return [];
  const victims = runQuery(collection, filter, { limit, variables, sort });
  for (const doc of victims) collection.delete(encodeKey(doc._id));
  return victims;
}
