/** count and distinct: the two read commands that answer with a value instead of a cursor. */
import type { Document } from 'bson';
import { compareBson } from '../engine/bson-order.ts';
import { encodeKey } from '../engine/key-encoding.ts';
import { runQuery } from '../query/execute.ts';
import { asFilter } from '../query/matcher.ts';
import { parseCollation } from '../query/collation.ts';
import { distinctValuesAt, pathParts } from '../query/path.ts';
import {
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

async function count(command: Document, context: CommandContext): Promise<Document> {
  const name = targetCollection(command, context.db);
  const query = asFilter(command.query, 'count.query');
  const skip = optionalInteger(command, 'skip') ?? 0;
  const limit = optionalLimit(command) ?? 0;
  const collection = context.server.catalog.collection(context.db, name);
  const filter = checkHint(collection, command.hint, query) ?? query;
  const collation = parseCollation(command.collation, 'count.collation');
  if (Object.keys(filter).length === 0) {
    // estimatedDocumentCount: the size of the map, no scan.
    const total = Math.max(0, (collection?.docs.size ?? 0) - skip);
    return { n: limit > 0 ? Math.min(total, limit) : total, ok: 1 };
  }
  const matched = await runQuery(collection, filter, context.operation, {
    skip,
    limit,
    collation,
  });
  return { n: matched.length, ok: 1 };
}

/**
 * Distinct values at `key` among matching documents; array values count element by element.
 * Under a collation, values it calls equal are one (the first found stands for them).
 */
async function distinct(command: Document, context: CommandContext): Promise<Document> {
  const name = targetCollection(command, context.db);
  const key = required(command, 'key', optionalString);
  const query = asFilter(command.query, 'distinct.query');
  const collection = context.server.catalog.collection(context.db, name);
  const filter = checkHint(collection, command.hint, query) ?? query;
  const values = new Map<string, unknown>();
  const parts = pathParts(key);
  const found: unknown[] = [];
  const variables = evaluateVariables(optionalDocument(command, 'let'));
  const collation = parseCollation(command.collation, 'distinct.collation');
  const matched = await runQuery(collection, filter, context.operation, { variables, collation });
  for (const doc of matched) {
    if (context.operation.due()) await context.operation.yieldTurn();
    found.length = 0;
    distinctValuesAt(doc, parts, found);
    for (const value of found) {
      const encoded = encodeKey(value, collation?.key);
      if (!values.has(encoded)) values.set(encoded, value);
    }
  }
  const sorted = [...values.values()].sort((a, b) => compareBson(a, b, collation?.compare));
  return { values: sorted, ok: 1 };
}

export const countDistinctCommands: Readonly<Record<string, CommandHandler>> = { count, distinct };
