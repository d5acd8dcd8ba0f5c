/**
 * aggregate: pipelines run by query/pipeline/executor.ts over the collection's documents. A
 * leading `$match` goes through the planner first, so indexed pipelines do not scan; `$lookup`,
 * `$graphLookup` and `$unionWith` read sibling collections of the same database through it too;
 * a final `$out` replaces its target collection through the engine (journaled, indexed). `let`
 * values are evaluated once. Stages that would need server internals are refused with
 * NotImplemented.
 */
import { Long, UUID, type Document } from 'bson';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { runQuery } from '../query/execute.ts';
import { PIPELINE_STAGES } from '../query/mingo-context.ts';
import { aggregateDocuments } from '../query/pipeline/executor.ts';
import { evaluateVariables } from '../query/variables.ts';
import { assertSupportedValues } from '../query/supported-values.ts';
import { optionalDocument, optionalInteger, required, optionalArray } from './args.ts';
import type { CommandContext, CommandHandler } from './context.ts';
import { checkHint } from './hint.ts';
import { prepareForInsert } from './prepare-document.ts';
import { checkCollectionName } from '../engine/namespace.ts';
import { Collection } from '../engine/collection.ts';
import { discardChanges } from '../engine/change-log.ts';
import { identityProjector } from '../query/projection.ts';
import { parseCollation } from '../query/collation.ts';

const REFUSED_STAGES = new Set([
  '$merge',
  '$collStats',
  '$indexStats',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$changeStream',
  '$planCacheStats',
  '$search',
  '$searchMeta',
  '$vectorSearch',
  '$geoNear',
]);

async function aggregate(command: Document, context: CommandContext): Promise<Document> {
  const source: unknown = command.aggregate;
  if (typeof source !== 'string') {
    throw fail(
      'NotImplemented',
      'database-level aggregate ({aggregate: 1}) is not supported by the embedded MongoDB server',
    );
  }
  const name = checkCollectionName(context.db, source);
  const pipeline = required(command, 'pipeline', optionalArray);
  const cursorOptions = optionalDocument(command, 'cursor');
  if (!cursorOptions && command.explain === undefined) {
    throw fail(
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  if (command.explain)
    throw fail(
      'NotImplemented',
      'aggregate explain is not supported by the embedded MongoDB server',
    );
  const stages = pipeline.map((stage, i) => checkStage(stage, i, pipeline.length));
  assertSupportedValues(stages, 'the pipeline');
  const variables = evaluateVariables(optionalDocument(command, 'let'));
  const { catalog } = context.server;
  const collection = catalog.collection(context.db, name);

  const out = outTarget(stages[stages.length - 1], context.db);
  const body = out ? stages.slice(0, -1) : stages;
  // A leading $match is answered by the planner (indexes), the rest by mingo.
  const first = body[0];
  const leadingMatch =
    first && '$match' in first && isPlainObject(first.$match) ? first.$match : undefined;
  // The hint governs what the pipeline reads: a sparse or partial index narrows it.
  const query = checkHint(collection, command.hint, leadingMatch ?? {}) ?? {};
  const collation = parseCollation(command.collation, 'aggregate.collation');
  const input = await runQuery(collection, query, context.operation, { variables, collation });
  const rest = leadingMatch ? body.slice(1) : body;
  const results =
    rest.length === 0
      ? input
      : await aggregateDocuments(rest, input, {
          operation: context.operation,
          variables: variables ?? {},
          catalog,
          db: context.db,
          collation,
        });

  if (out) {
    writeOut(context, out, results);
    return { cursor: { id: Long.ZERO, ns: `${context.db}.${name}`, firstBatch: [] }, ok: 1 };
  }
  const batchSize = cursorOptions ? optionalInteger(cursorOptions, 'batchSize') : undefined;
  const cursor = context.server.cursors.open(`${context.db}.${name}`, results, identityProjector, {
    batchSize,
  });
  return { cursor, ok: 1 };
}

function checkStage(stage: unknown, index: number, count: number): Document {
  if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
    throw fail(
      'Location40323',
      'A pipeline stage specification object must contain exactly one field.',
    );
  }
  const name = Object.keys(stage)[0] as string;
  if (REFUSED_STAGES.has(name))
    throw fail('NotImplemented', `${name} is not supported by the embedded MongoDB server`);
  if (!PIPELINE_STAGES.has(name))
    throw fail('Location40324', `Unrecognized pipeline stage name: '${name}'`);
  if (name === '$out' && index !== count - 1)
    throw fail('Location40601', '$out can only be the final stage in the pipeline');
  return stage;
}

function outTarget(
  stage: Document | undefined,
  db: string,
): { db: string; coll: string } | undefined {
  if (!stage || !('$out' in stage)) return undefined;
  const spec: unknown = stage.$out;
  if (typeof spec === 'string') return { db, coll: checkCollectionName(db, spec) };
  if (isPlainObject(spec) && typeof spec.coll === 'string') {
    const targetDb = typeof spec.db === 'string' ? spec.db : db;
    return { db: targetDb, coll: checkCollectionName(targetDb, spec.coll) };
  }
  throw fail(
    'Location16990',
    "$out only supports a string or object argument, with 'db' and 'coll' fields",
  );
}

/**
 * $out replaces the target's documents, keeping its indexes, atomically as on the server: the
 * result is first loaded into a scratch collection (unlogged) so a duplicate key fails the
 * command before the target is touched.
 */
function writeOut(
  context: CommandContext,
  out: { db: string; coll: string },
  results: readonly Document[],
): void {
  const docs = results.map(prepareForInsert);
  const { catalog } = context.server;
  const existing = catalog.collection(out.db, out.coll);
  const indexes = existing?.indexSpecs().slice(1) ?? [];
  const scratch = new Collection(out.db, out.coll, {}, new UUID(), discardChanges);
  for (const spec of indexes) scratch.createIndex(spec);
  for (const doc of docs) scratch.insert(doc);
  if (existing) catalog.dropCollection(out.db, out.coll);
  const target = catalog.createCollection(out.db, out.coll, existing?.options ?? {});
  for (const spec of indexes) target.createIndex(spec);
  for (const doc of scratch.docs.values()) target.insert(doc);
}

export const aggregateCommands: Readonly<Record<string, CommandHandler>> = { aggregate };
