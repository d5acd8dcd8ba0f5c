/**
 * insert (specifications source/crud, write commands): documents come from the command body
 * or, usually, from an OP_MSG document sequence. Each document is stored on its own; with
 * `ordered` (the default) the first failure stops the batch, otherwise the rest go on, and every
 * failure is reported in `writeErrors` with its index.
 */
import type { Document } from 'bson';
import type { Collection } from '../engine/collection.ts';
import { targetCollection } from './args.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { prepareForInsert } from './prepare-document.ts';
import { runWriteBatch } from './write-batch.ts';

async function insert(command: Document, context: CommandContext): Promise<Document> {
  const name = targetCollection(command, context.db);
  // Created once the batch passed its checks (as before the first insert), then reused.
  let collection: Collection | undefined;
  let n = 0;
  const failures = await runWriteBatch(command, 'documents', context.operation, (raw) => {
    // Looked up again after a yield: the collection may have been dropped meanwhile.
    if (collection?.dropped) collection = undefined;
    collection ??= context.server.catalog.ensureCollection(context.db, name);
    collection.insert(prepareForInsert(raw));
    n++;
  });
  return { n, ...failures, ok: 1 };
}

export const insertCommands: Readonly<Record<string, CommandHandler>> = { insert };
