/**
 * update and delete commands: each statement counted in `n` / `nModified` / `upserted`; the
 * statement loop, `ordered` and `writeErrors` are write-batch.ts's. Reply shapes follow
 * specifications source/crud (write command results).
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { asFilter } from '../query/matcher.ts';
import { parseSort } from '../query/sort.ts';
import { parseCollation } from '../query/collation.ts';
import { parseUpdate } from '../query/update.ts';
import { optionalArray, optionalBoolean, optionalDocument, targetCollection } from './args.ts';
import { evaluateVariables } from '../query/variables.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { checkHint } from './hint.ts';
import { runWriteBatch } from './write-batch.ts';
import { executeDelete, executeUpdate, type Target } from './write-ops.ts';

function statementDocument(raw: unknown, kind: string): Document {
  if (!isPlainObject(raw)) throw fail('TypeMismatch', `${kind} statements must be objects`);
  return raw;
}

async function update(command: Document, context: CommandContext): Promise<Document> {
  const name = targetCollection(command, context.db);
  const variables = evaluateVariables(optionalDocument(command, 'let'));
  const target: Target = { catalog: context.server.catalog, db: context.db, collection: name };
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const failures = await runWriteBatch(
    command,
    'updates',
    context.operation,
    async (raw, index) => {
      const statement = statementDocument(raw, 'update');
      const arrayFilters = optionalArray(statement, 'arrayFilters') as Document[] | undefined;
      checkHint(context.server.catalog.collection(context.db, name), statement.hint);
      const collation = parseCollation(statement.collation, 'update.updates.collation');
      const result = await executeUpdate(
        target,
        {
          filter: asFilter(statement.q, 'update.updates.q'),
          update: parseUpdate(statement.u, arrayFilters, collation),
          multi: optionalBoolean(statement, 'multi') ?? false,
          upsert: optionalBoolean(statement, 'upsert') ?? false,
          variables: evaluateVariables(optionalDocument(statement, 'c')) ?? variables,
          sort: parseSort(statement.sort, collation),
          collation,
        },
        context.operation,
      );
      n += result.matched;
      nModified += result.modified;
      if (result.upserted) {
        n += 1;
        const id: unknown = result.upserted._id;
        upserted.push({ index, _id: id });
      }
    },
  );
  return { n, nModified, ...(upserted.length > 0 ? { upserted } : {}), ...failures, ok: 1 };
}

async function deleteCommand(command: Document, context: CommandContext): Promise<Document> {
  const name = targetCollection(command, context.db);
  const variables = evaluateVariables(optionalDocument(command, 'let'));
  const target: Target = { catalog: context.server.catalog, db: context.db, collection: name };
  let n = 0;
  const failures = await runWriteBatch(command, 'deletes', context.operation, async (raw) => {
    const statement = statementDocument(raw, 'delete');
    const limit: unknown = statement.limit;
    if (limit !== 0 && limit !== 1) {
      throw fail(
        'FailedToParse',
        `The limit field in delete objects must be 0 or 1. Got ${String(limit)}`,
      );
    }
    checkHint(context.server.catalog.collection(context.db, name), statement.hint);
    const filter = asFilter(statement.q, 'delete.deletes.q');
    const collation = parseCollation(statement.collation, 'delete.deletes.collation');
    const options = { limit, variables, collation } as const;
    n += (await executeDelete(target, filter, context.operation, options)).length;
  });
  return { n, ...failures, ok: 1 };
}

export const updateCommands: Readonly<Record<string, CommandHandler>> = {
  update,
  delete: deleteCommand,
};
