/**
 * The update and delete steps shared by the update, delete and findAndModify commands: select
 * the targets (through the planner), compute new documents, then store them one by one. A
 * failure part-way (say E11000 on the third document of a multi-update) keeps what was already
 * written and reports it, as the server does: a multi-document write is not a transaction.
 */
import type { Document } from 'bson';
import { MongoCommandError } from '../errors.ts';
import type { Catalog } from '../engine/catalog.ts';
import { encodeKey } from '../engine/key-encoding.ts';
import { runQuery } from '../query/execute.ts';
import type { SortField } from '../query/sort.ts';
import { applyUpdate, upsertDocument, type UpdateSpec } from '../query/update.ts';
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
  /** Set when the statement failed after `matched`/`modified` were already counted. */
  error?: MongoCommandError;
}

export function executeUpdate(target: Target, statement: UpdateStatement): UpdateResult {
  const collection = target.catalog.collection(target.db, target.collection);
  const targets = runQuery(collection, statement.filter, {
    sort: statement.sort,
    limit: statement.multi ? 0 : 1,
    variables: statement.variables,
  });
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
  const outcomes = applyUpdate(statement.update, targets, context);
  const result: UpdateResult = {
    matched: targets.length,
    modified: 0,
    before: targets[0],
    after: outcomes[0]?.doc,
  };
  for (const [i, outcome] of outcomes.entries()) {
    if (!outcome.changed) continue;
    try {
      collection.replace(encodeKey((targets[i] as Document)._id), checkStorable(outcome.doc));
      result.modified++;
    } catch (error) {
      if (!(error instanceof MongoCommandError)) throw error;
      result.error = error;
      return result;
    }
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
