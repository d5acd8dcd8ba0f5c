/**
 * find, getMore and killCursors: reads with filter, sort, projection, skip and limit, returned
 * in batches through a real cursor (specifications source/find_getmore_killcursors_commands).
 * `collation` applies to the filter and the sort (query/collation.ts).
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { asFilter } from '../query/matcher.ts';
import { compileProjection } from '../query/projection.ts';
import { runQuery } from '../query/execute.ts';
import { parseSort } from '../query/sort.ts';
import { parseCollation } from '../query/collation.ts';
import {
  optionalArray,
  optionalBoolean,
  optionalDocument,
  optionalInteger,
  optionalLimit,
  optionalString,
  required,
  targetCollection,
} from './args.ts';
import { evaluateVariables } from '../query/variables.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { checkHint } from './hint.ts';

/** Find options with behaviour we do not provide: refused rather than silently ignored. */
const UNSUPPORTED = [
  'tailable',
  'awaitData',
  'min',
  'max',
  'returnKey',
  'showRecordId',
  'oplogReplay',
];

export interface ParsedFind {
  readonly collection: string;
  readonly filter: Document;
  readonly docs: Document[];
}

export async function parseAndRunFind(
  command: Document,
  context: CommandContext,
  stats?: Parameters<typeof runQuery>[4],
): Promise<ParsedFind> {
  const name = targetCollection(command, context.db);
  for (const option of UNSUPPORTED) {
    if (command[option] !== undefined && command[option] !== false) {
      throw fail(
        'NotImplemented',
        `find option '${option}' is not supported by the embedded MongoDB server`,
      );
    }
  }
  const requested = asFilter(command.filter, 'find.filter');
  const collation = parseCollation(command.collation, 'find.collation');
  const sort = parseSort(command.sort, collation);
  const skip = optionalInteger(command, 'skip');
  const limit = optionalLimit(command);
  const variables = evaluateVariables(optionalDocument(command, 'let'));
  const collection = context.server.catalog.collection(context.db, name);
  const filter = checkHint(collection, command.hint, requested) ?? requested;
  const docs = await runQuery(
    collection,
    filter,
    context.operation,
    { sort, skip, limit, variables, collation },
    stats,
  );
  return { collection: name, filter: requested, docs };
}

async function find(command: Document, context: CommandContext): Promise<Document> {
  const { collection, filter, docs } = await parseAndRunFind(command, context);
  const collation = parseCollation(command.collation, 'find.collation');
  const project = compileProjection(command.projection, filter, undefined, collation);
  const batchSize = optionalInteger(command, 'batchSize');
  // A negative limit is the legacy spelling of "one batch only".
  const singleBatch =
    optionalBoolean(command, 'singleBatch') === true ||
    (typeof command.limit === 'number' && command.limit < 0);
  const cursor = context.server.cursors.open(`${context.db}.${collection}`, docs, project, {
    batchSize,
    singleBatch,
    noCursorTimeout: optionalBoolean(command, 'noCursorTimeout') === true,
  });
  return { cursor, ok: 1 };
}

function getMore(command: Document, context: CommandContext): Document {
  const id: unknown = command.getMore;
  if (
    typeof id !== 'number' &&
    typeof id !== 'bigint' &&
    (id as { _bsontype?: string } | null)?._bsontype !== 'Long'
  ) {
    throw fail(
      'TypeMismatch',
      "BSON field 'getMore.getMore' is the wrong type, expected type 'long'",
    );
  }
  const collection = required(command, 'collection', optionalString);
  const batchSize = optionalInteger(command, 'batchSize');
  const cursor = context.server.cursors.getMore(id, `${context.db}.${collection}`, batchSize);
  return { cursor, ok: 1 };
}

function killCursors(command: Document, context: CommandContext): Document {
  const collection = targetCollection(command, context.db);
  const ids = required(command, 'cursors', optionalArray);
  const { killed, notFound } = context.server.cursors.kill(`${context.db}.${collection}`, ids);
  return {
    cursorsKilled: killed,
    cursorsNotFound: notFound,
    cursorsAlive: [],
    cursorsUnknown: [],
    ok: 1,
  };
}

export const findCommands: Readonly<Record<string, CommandHandler>> = {
  find,
  getMore,
  killCursors,
};
