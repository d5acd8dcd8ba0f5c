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
import { applyUpdates, upsertDocument, type UpdateSpec } from '../query/update.ts';
import { checkArrayFilters } from '../query/update-checks.ts';
import { checkStorable } from './prepare-document.ts';

export interface Target {
  readonly catalog: Catalog;
  readonly db: string;
  readonly collection: string;
}

export interface UpdateStatement {
  readonly filter: Document;
  readonly update: UpdateSpec;
  readonly multi: boolean;
  readonly upsert: boolean;
  readonly arrayFilters?: readonly Document[];
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
  if (statement.update.kind === 'operators') {
    const paths = Object.values(statement.update.ops).flatMap((fields) => Object.keys(fields));
    checkArrayFilters(paths, statement.arrayFilters ?? []);
  }
  const context = {
    filter: statement.filter,
    arrayFilters: statement.arrayFilters,
    variables: statement.variables,
  };
  if (targets.length === 0 || !collection) {
    if (!statement.upsert) return { matched: 0, modified: 0 };
    const doc = checkStorable(upsertDocument(statement.update, context));
    target.catalog.ensureCollection(target.db, target.collection).insert(doc);
    return { matched: 0, modified: 0, upserted: doc, after: doc };
  }
  const { outcomes, error } = applyUpdates(statement.update, targets, context);
  const result: UpdateResult = { matched: 0, modified: 0 };
  for (const [i, outcome] of outcomes.entries()) {
    const stored = targets[i] as Document;
    result.matched++;
    if (!result.before) {
      result.before = stored;
      result.after = outcome.doc;
    }
    if (!outcome.changed) continue;
    collection.replace(encodeKey(stored._id), checkStorable(outcome.doc));
    result.modified++;
  }
  if (error !== undefined) throw error;
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
