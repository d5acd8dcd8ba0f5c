/**
 * findAndModify: update, replace or remove one document (the first by `sort`) and return it as
 * it was or, with `new`, as it became; `upsert` inserts when nothing matched. The reply's
 * `lastErrorObject` tells updatedExisting/upserted as on the server (specifications source/crud
 * findOneAndUpdate/Replace/Delete). Runs without yielding, so concurrent `$inc`s never lose a step.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { asFilter } from '../query/matcher.ts';
import { compileProjection } from '../query/projection.ts';
import { parseSort } from '../query/sort.ts';
import { parseCollation } from '../query/collation.ts';
import { parseUpdate } from '../query/update.ts';
import { optionalArray, optionalBoolean, optionalDocument, targetCollection } from './args.ts';
import { evaluateVariables } from '../query/variables.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { checkHint } from './hint.ts';
import { executeDelete, executeUpdate } from './write-ops.ts';

async function findAndModify(command: Document, context: CommandContext): Promise<Document> {
  const name = targetCollection(command, context.db);
  const filter = asFilter(command.query, 'findAndModify.query');
  const collation = parseCollation(command.collation, 'findAndModify.collation');
  const sort = parseSort(command.sort, collation);
  const remove = optionalBoolean(command, 'remove') ?? false;
  const returnNew = optionalBoolean(command, 'new') ?? false;
  const upsert = optionalBoolean(command, 'upsert') ?? false;
  const variables = evaluateVariables(optionalDocument(command, 'let'));
  const hasUpdate = command.update !== undefined && command.update !== null;
  if (remove && hasUpdate)
    throw fail('FailedToParse', 'Cannot specify both an update and remove=true');
  if (remove && upsert)
    throw fail('FailedToParse', 'Cannot specify both upsert=true and remove=true ');
  if (remove && returnNew) {
    throw fail(
      'FailedToParse',
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  }
  if (!remove && !hasUpdate)
    throw fail('FailedToParse', 'Either an update or remove=true must be specified');
  const project = compileProjection(command.fields, filter, undefined, collation);
  const target = { catalog: context.server.catalog, db: context.db, collection: name };
  checkHint(context.server.catalog.collection(context.db, name), command.hint);
  const shown = (doc: Document | undefined) => (doc ? project(doc) : null);

  if (remove) {
    const [removed] = await executeDelete(target, filter, context.operation, {
      limit: 1,
      variables,
      sort,
      collation,
    });
    return { lastErrorObject: { n: removed ? 1 : 0 }, value: shown(removed), ok: 1 };
  }
  const result = await executeUpdate(
    target,
    {
      filter,
      update: parseUpdate(
        command.update,
        optionalArray(command, 'arrayFilters') as Document[] | undefined,
        collation,
      ),
      multi: false,
      upsert,
      variables,
      sort,
      collation,
    },
    context.operation,
  );
  const upsertedId: unknown = result.upserted?._id;
  const lastErrorObject = result.upserted
    ? { n: 1, updatedExisting: false, upserted: upsertedId }
    : { n: result.matched, updatedExisting: result.matched > 0 };
  const value = returnNew ? result.after : result.upserted ? undefined : result.before;
  return { lastErrorObject, value: shown(value), ok: 1 };
}

export const findAndModifyCommands: Readonly<Record<string, CommandHandler>> = {
  findAndModify,
  findandmodify: findAndModify,
};
