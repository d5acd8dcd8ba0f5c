/**
 * Update documents, in the three forms the server accepts: a replacement document, update
 * operators (`$set`, `$inc`, ...; applied by mingo), or an aggregation pipeline (`$set`,
 * `$project`, `$replaceRoot`...; applied by mingo). What mingo lacks is filled in here:
 * `$setOnInsert` (only when an upsert inserts), path conflict detection across operators, the
 * positional `$` (mingo needs the query for it), `_id` immutability and `_id` kept first.
 * Updates work on copies; the stored document is never touched.
 */
import { ObjectId, Timestamp, type Document } from 'bson';
import { updateMany } from 'mingo';
import { fail } from '../errors.ts';
import { formatKeyValue } from '../engine/format-key.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { encodeKey } from '../engine/key-encoding.ts';
import { mingoOptions } from '../engine/mingo-options.ts';
import { cloneDocument, withIdFirst } from './clone.ts';
import { pipelineContext, queryContext } from './mingo-context.ts';
import { withMingo } from './mingo-errors.ts';
import { queryRegexes } from './regex.ts';
import { assertSupportedValues } from './supported-values.ts';
import { compareFieldNames, orderCreatedFields } from './created-field-order.ts';
import { upsertSeed } from './upsert-seed.ts';
import { checkApplicable, checkOperands, checkUpdatablePath } from './update-checks.ts';

export type UpdateSpec =
  | { readonly kind: 'replacement'; readonly doc: Document }
  | { readonly kind: 'operators'; readonly ops: Readonly<Record<string, Document>> }
  | { readonly kind: 'pipeline'; readonly stages: readonly Document[] };

const OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$currentDate',
  '$push',
  '$addToSet',
  '$pop',
  '$pull',
  '$pullAll',
  '$bit',
  '$setOnInsert',
]);
const PIPELINE_STAGES = new Set([
  '$addFields',
  '$set',
  '$project',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
]);

export function parseUpdate(value: unknown): UpdateSpec {
  if (Array.isArray(value)) {
    for (const stage of value) {
      const name = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
      if (!name || Object.keys(stage as Document).length !== 1 || !PIPELINE_STAGES.has(name)) {
        throw fail(
          'InvalidOptions',
          `${name ?? 'A non-object stage'} is not allowed to be used within an update`,
        );
      }
    }
    assertSupportedValues(value, 'the update pipeline');
    return { kind: 'pipeline', stages: value as Document[] };
  }
  if (!isPlainObject(value))
    throw fail('FailedToParse', 'Update argument must be either an object or an array');
  const keys = Object.keys(value);
  assertSupportedValues(value, 'the update');
  if (keys.length === 0 || !(keys[0] as string).startsWith('$')) {
    const dollar = keys.find((k) => k.startsWith('$'));
    if (dollar) {
      throw fail(
        'DollarPrefixedFieldName',
        `The dollar ($) prefixed field '${dollar}' in '${dollar}' is not allowed in the context of an update's replacement document.`,
      );
    }
    return { kind: 'replacement', doc: value };
  }
  const paths: string[] = [];
  for (const [op, fields] of Object.entries(value)) {
    if (!OPERATORS.has(op)) {
      throw fail(
        'FailedToParse',
        `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!isPlainObject(fields)) {
      throw fail(
        'FailedToParse',
        `Modifiers operate on fields but we found type ${typeof fields} instead. For example: {$mod: {<field>: ...}} not {${op}: ${typeof fields}}`,
      );
    }
    paths.push(...Object.keys(fields));
    if (op === '$rename') paths.push(...Object.values(fields).map(String));
    for (const path of Object.keys(fields)) checkUpdatablePath(path);
  }
  checkConflicts(paths);
  checkOperands(value as Record<string, Document>);
  return { kind: 'operators', ops: inFieldOrder(value as Record<string, Document>) };
}

/** Each operator's fields in the order the server applies them (created-field-order.ts). */
function inFieldOrder(ops: Record<string, Document>): Record<string, Document> {
  const ordered: Record<string, Document> = {};
  for (const [op, fields] of Object.entries(ops)) {
    ordered[op] = Object.fromEntries(
      Object.entries(fields).sort(([a], [b]) => compareFieldNames(a, b)),
    );
  }
  return ordered;
}

/** Two operators may not touch the same path, nor one path and its parent. */
function checkConflicts(paths: readonly string[]): void {
  const sorted = paths.map((p) => p.replace(/\.\$(\[[^\]]*\])?(?=\.|$)/g, '')).sort();
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as string;
    const current = sorted[i] as string;
    if (current === previous || current.startsWith(previous + '.')) {
      throw fail(
        'ConflictingUpdateOperators',
        `Updating the path '${current}' would create a conflict at '${previous}'`,
      );
    }
  }
}

export interface UpdateContext {
  /** The matched query; the positional `$` needs it. */
  readonly filter: Document;
  readonly arrayFilters?: readonly Document[];
  readonly variables?: Document;
}

export interface UpdateOutcome {
  readonly doc: Document;
  readonly changed: boolean;
}

/**
 * Applies `spec` to one stored document, returning the new document (the original stays
 * intact). Documents are updated one at a time, so a multi-document update that fails part-way
 * has changed exactly the documents before the failing one, as on the server.
 */
export function applyUpdate(
  spec: UpdateSpec,
  original: Document,
  context: UpdateContext,
): UpdateOutcome {
  let doc: Document;
  if (spec.kind === 'replacement') {
    doc = replacementFor(original, spec.doc);
  } else {
    // mingo updates the array in place; a pipeline puts a new document in the slot.
    const slot = [cloneDocument(original)];
    let paths: string[] = [];
    if (spec.kind === 'operators') {
      const ops = withCurrentDates(withoutUnchangedId(withoutSetOnInsert(spec.ops), original));
      checkApplicable(ops, original);
      if (Object.keys(ops).length > 0) runMingo(slot, ops, context);
      paths = updatedPaths(ops);
    } else {
      runMingo(slot, spec.stages, context);
    }
    doc = keepId(orderCreatedFields(slot[0] as Document, original, paths), original._id);
  }
  return { doc, changed: encodeKey(doc) !== encodeKey(original) };
}

/**
 * Applies `spec` to each document in order, as applyUpdate would one at a time, but with one
 * mingo run for all of them (a run per document costs ten times more). When that run fails,
 * the documents are redone one by one to find the first that fails: the outcomes before it come
 * back with its error, so the caller stores exactly what the server would have.
 */
export function applyUpdates(
  spec: UpdateSpec,
  originals: readonly Document[],
  context: UpdateContext,
): { outcomes: UpdateOutcome[]; error?: Error } {
  try {
    return { outcomes: applyAtOnce(spec, originals, context) };
  } catch {
    const outcomes: UpdateOutcome[] = [];
    for (const original of originals) {
      try {
        outcomes.push(applyUpdate(spec, original, context));
      } catch (error) {
        return { outcomes, error: error as Error };
      }
    }
    return { outcomes };
  }
}

function applyAtOnce(
  spec: UpdateSpec,
  originals: readonly Document[],
  context: UpdateContext,
): UpdateOutcome[] {
  if (spec.kind !== 'operators' || originals.length < 2 || spec.ops.$set?._id !== undefined)
    return originals.map((original) => applyUpdate(spec, original, context));
  const ops = withCurrentDates(withoutSetOnInsert(spec.ops));
  for (const original of originals) checkApplicable(ops, original);
  const copies = originals.map(cloneDocument);
  if (Object.keys(ops).length > 0) runMingo(copies, ops, context);
  const paths = updatedPaths(ops);
  return copies.map((copy, i) => {
    const original = originals[i] as Document;
    const doc = keepId(orderCreatedFields(copy, original, paths), original._id);
    return { doc, changed: encodeKey(doc) !== encodeKey(original) };
  });
}

/** The document an upsert inserts when nothing matched the filter. */
export function upsertDocument(spec: UpdateSpec, context: UpdateContext): Document {
  const seed = upsertSeed(context.filter, spec.kind === 'replacement');
  let doc: Document;
  if (spec.kind === 'replacement') {
    doc = { ...seed, ...cloneDocument(spec.doc) };
  } else if (spec.kind === 'operators') {
    const ops = withCurrentDates(withSetOnInsertAsSet(spec.ops));
    checkApplicable(ops, seed);
    const slot = [cloneDocument(seed)];
    if (Object.keys(ops).length > 0) runMingo(slot, ops, context, seed);
    doc = orderCreatedFields(slot[0] as Document, seed, updatedPaths(ops));
  } else {
    const slot = [cloneDocument(seed)];
    runMingo(slot, spec.stages, context);
    doc = slot[0] as Document;
  }
  if (
    seed._id !== undefined &&
    doc._id !== undefined &&
    encodeKey(seed._id) !== encodeKey(doc._id)
  ) {
    throw fail(
      'ImmutableField',
      `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatKeyValue(doc._id)}`,
    );
  }
  return withIdFirst(doc, doc._id ?? new ObjectId());
}

/** Every path an update writes ($rename writes its destinations). */
function updatedPaths(ops: Readonly<Record<string, Document>>): string[] {
  return Object.entries(ops).flatMap(([op, fields]) =>
    op === '$rename' ? Object.values(fields).map(String) : Object.keys(fields),
  );
}

function runMingo(
  docs: Document[],
  modifier: Document | Document[],
  context: UpdateContext,
  seed?: Document,
): void {
  const pipeline = Array.isArray(modifier);
  const positional = !pipeline && usesPositional(modifier);
  // mingo re-tests the condition; pass it only when `$` needs it (it costs a match per document).
  const condition = positional ? (queryRegexes(seed ?? context.filter) as Document) : {};
  const arrayFilters = queryRegexes(context.arrayFilters ?? []) as Document[];
  withMingo(() =>
    updateMany(
      docs,
      condition,
      (pipeline ? queryRegexes(modifier) : withQueryRegexesInPull(modifier)) as never,
      { arrayFilters, cloneMode: 'copy' },
      {
        ...mingoOptions,
        // Conditions ($pull, arrayFilters, `$`) match as queries do; the small context is
        // enough for operators (the updater adds its own), pipelines need every stage.
        context: pipeline ? pipelineContext : queryContext,
        ...(context.variables ? { variables: context.variables } : {}),
      },
    ),
  );
}

/** `$pull` conditions are queries; every other operand is a value and keeps its regexes as is. */
function withQueryRegexesInPull(ops: Document): Document {
  return ops.$pull ? { ...ops, $pull: queryRegexes(ops.$pull) } : ops;
}

function usesPositional(ops: Document): boolean {
  return Object.values(ops).some((fields) =>
    Object.keys(fields as Document).some((path) => /(^|\.)\$(\.|$)/.test(path)),
  );
}

/** `$set` of `_id` to the value it has is allowed (a no-op); any other value is ImmutableField. */
function withoutUnchangedId(
  ops: Readonly<Record<string, Document>>,
  original: Document,
): Readonly<Record<string, Document>> {
  const set = ops.$set;
  if (!set || !('_id' in set)) return ops;
  if (encodeKey(set._id) !== encodeKey(original._id)) {
    throw fail(
      'ImmutableField',
      `Performing an update on the path '_id' would modify the immutable field '_id'`,
    );
  }
  const rest = { ...set };
  delete rest._id;
  return { ...ops, $set: rest };
}

/**
 * `$currentDate` as the `$set` of this instant: a Date, or with `{$type: 'timestamp'}` a BSON
 * Timestamp (mingo stores a number there).
 */
function withCurrentDates(ops: Readonly<Record<string, Document>>): Record<string, Document> {
  const { $currentDate, ...rest } = ops;
  if (!$currentDate) return rest;
  const now = new Date();
  const set: Document = { ...rest.$set };
  for (const [path, kind] of Object.entries($currentDate) as [string, unknown][]) {
    set[path] =
      isPlainObject(kind) && kind.$type === 'timestamp'
        ? new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 })
        : now;
  }
  return { ...rest, $set: inFieldOrder({ $set: set }).$set ?? {} };
}

function withoutSetOnInsert(ops: Readonly<Record<string, Document>>): Record<string, Document> {
  const rest = { ...ops };
  delete rest.$setOnInsert;
  return rest;
}

/** On insert, `$setOnInsert` fields are set like `$set` ones (conflicts were refused at parse). */
function withSetOnInsertAsSet(ops: Readonly<Record<string, Document>>): Record<string, Document> {
  const { $setOnInsert, ...rest } = ops;
  if (!$setOnInsert) return rest;
  return { ...rest, $set: inFieldOrder({ $set: { ...rest.$set, ...$setOnInsert } }).$set ?? {} };
}

function replacementFor(original: Document, replacement: Document): Document {
  if (replacement._id !== undefined && encodeKey(replacement._id) !== encodeKey(original._id)) {
    throw fail(
      'ImmutableField',
      `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatKeyValue(replacement._id)}`,
    );
  }
  return withIdFirst(cloneDocument(replacement), original._id);
}

/** Pipelines may drop `_id` ($replaceRoot, $project): the server keeps it; changing it is refused. */
function keepId(doc: Document, id: unknown): Document {
  if (doc._id !== undefined && encodeKey(doc._id) !== encodeKey(id)) {
    throw fail(
      'ImmutableField',
      `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatKeyValue(doc._id)}`,
    );
  }
  return Object.keys(doc)[0] === '_id' ? doc : withIdFirst(doc, id);
}
