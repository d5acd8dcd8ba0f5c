/**
 * insert (specifications source/crud, write commands): documents come from the command body
 * or, usually, from an OP_MSG document sequence. Each document is stored on its own; with
 * `ordered` (the default) the first failure stops the batch, otherwise the rest go on, and every
 * failure is reported in `writeErrors` with its index.
 */
import type { Document } from 'bson';
import { fail, MongoCommandError } from '../errors.ts';
import { Limits } from '../wire/constants.ts';
import { optionalArray, optionalBoolean, required, targetCollection } from './args.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { prepareForInsert } from './prepare-document.ts';

export function checkBatchSize(count: number): void {
  if (count < 1 || count > Limits.maxWriteBatchSize) {
    throw fail(
      'InvalidLength',
      `Write batch sizes must be between 1 and ${Limits.maxWriteBatchSize}. Got ${count} operations.`,
    );
  }
}

function insert(command: Document, context: CommandContext): Document {
  const name = targetCollection(command, context.db);
  const documents = required(command, 'documents', optionalArray);
  checkBatchSize(documents.length);
  const ordered = optionalBoolean(command, 'ordered') ?? true;
  const collection = context.server.catalog.ensureCollection(context.db, name);
  let n = 0;
  const writeErrors: Document[] = [];
  for (const [index, raw] of documents.entries()) {
    try {
      collection.insert(prepareForInsert(raw));
      n++;
    } catch (error) {
      if (!(error instanceof MongoCommandError)) throw error;
      writeErrors.push(error.toWriteError(index));
      if (ordered) break;
    }
  }
  return { n, ...(writeErrors.length > 0 ? { writeErrors } : {}), ok: 1 };
}

export const insertCommands: Readonly<Record<string, CommandHandler>> = { insert };
