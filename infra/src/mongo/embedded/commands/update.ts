/**
 * update and delete commands: a list of statements, each reported in `n` / `nModified` /
 * `upserted`, failures in `writeErrors` with the statement's index; `ordered` stops at the
 * first failure. Reply shapes follow specifications source/crud (write command results).
 */
import type { Document } from 'bson';
import { fail, MongoCommandError } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { asFilter } from '../query/matcher.ts';
import { parseSort } from '../query/sort.ts';
import { parseUpdate } from '../query/update.ts';
import {
  optionalArray,
  optionalBoolean,
  optionalDocument,
  required,
  targetCollection,
} from './args.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { checkHint } from './hint.ts';
import { checkBatchSize } from './insert.ts';
import { executeDelete, executeUpdate, type Target } from './write-ops.ts';

function statementDocument(raw: unknown, kind: string): Document {
  if (!isPlainObject(raw)) throw fail('TypeMismatch', `${kind} statements must be objects`);
  return raw;
}

function update(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const statements = required(command, 'updates', optionalArray);
  checkBatchSize(statements.length);
  const ordered = optionalBoolean(command, 'ordered') ?? true;
  const variables = optionalDocument(command, 'let');
  const target: Target = { catalog: context.server.catalog, db: context.db, collection: name };
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const writeErrors: Document[] = [];
  for (const [index, raw] of statements.entries()) {
    try {
      const statement = statementDocument(raw, 'update');
      const arrayFilters = optionalArray(statement, 'arrayFilters') as Document[] | undefined;
      checkHint(context.server.catalog.collection(context.db, name), statement.hint);
      const result = executeUpdate(target, {
        filter: asFilter(statement.q, 'update.updates.q'),
        update: parseUpdate(statement.u),
        multi: optionalBoolean(statement, 'multi') ?? false,
        upsert: optionalBoolean(statement, 'upsert') ?? false,
        arrayFilters,
        variables: optionalDocument(statement, 'c') ?? variables,
        sort: parseSort(statement.sort),
      });
      n += result.matched;
      nModified += result.modified;
      if (result.upserted) {
        n += 1;
        const id: unknown = result.upserted._id;
        upserted.push({ index, _id: id });
      }
    } catch (error) {
      if (!(error instanceof MongoCommandError)) throw error;
      writeErrors.push(error.toWriteError(index));
      if (ordered) break;
    }
  }
  return {
    n,
    nModified,
    ...(upserted.length > 0 ? { upserted } : {}),
    ...(writeErrors.length > 0 ? { writeErrors } : {}),
    ok: 1,
  };
}

function deleteCommand(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const statements = required(command, 'deletes', optionalArray);
  checkBatchSize(statements.length);
  const ordered = optionalBoolean(command, 'ordered') ?? true;
  const variables = optionalDocument(command, 'let');
  const target: Target = { catalog: context.server.catalog, db: context.db, collection: name };
  let n = 0;
  const writeErrors: Document[] = [];
  for (const [index, raw] of statements.entries()) {
    try {
      const statement = statementDocument(raw, 'delete');
      const limit: unknown = statement.limit;
      if (limit !== 0 && limit !== 1) {
        throw fail(
          'FailedToParse',
          `The limit field in delete objects must be 0 or 1. Got ${String(limit)}`,
        );
      }
      checkHint(context.server.catalog.collection(context.db, name), statement.hint);
      n += executeDelete(
        target,
        asFilter(statement.q, 'delete.deletes.q'),
        limit,
        variables,
      ).length;
    } catch (error) {
      if (!(error instanceof MongoCommandError)) throw error;
      writeErrors.push(error.toWriteError(index));
      if (ordered) break;
    }
  }
  return { n, ...(writeErrors.length > 0 ? { writeErrors } : {}), ok: 1 };
}

export const updateCommands: Readonly<Record<string, CommandHandler>> = {
  update,
  delete: deleteCommand,
};
