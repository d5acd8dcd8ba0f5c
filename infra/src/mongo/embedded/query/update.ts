/**
 * Update documents, in the three forms the server accepts: a replacement document, update
 * operators (`$set`, `$inc`, ...: parsed into one tree and applied by update-tree.ts, as the
 * server does), or an aggregation pipeline (`$set`, `$project`, `$replaceRoot`...; applied by
 * mingo). An update is parsed once per statement, with its array filters, so every error the
 * server finds before touching a document is raised before any is touched; then it is applied
 * to one stored document at a time, never changing the stored one.
 */
import { ObjectId, type Document } from 'bson';
import { updateMany } from 'mingo';
import { fail } from '../errors.ts';
import { formatKeyValue } from '../engine/format-key.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { encodeKey, sameKey } from '../engine/key-encoding.ts';
import { mingoOptions } from '../engine/mingo-options.ts';
import { cloneDocument, withIdFirst } from './clone.ts';
import type { Collation } from './collation.ts';
import { compileFilter, type Matcher } from './matcher.ts';
import { pipelineContext } from './mingo-context.ts';
import { withMingo } from './mingo-errors.ts';
import { positionFinder, type PositionFinder } from './positional.ts';
import { queryRegexes } from './regex.ts';
import { assertSupportedValues } from './supported-values.ts';
import { upsertSeed } from './upsert-seed.ts';
import { applyUpdateTree, parseUpdateTree, type UpdateTree } from './update-tree.ts';

export type UpdateSpec =
  | { readonly kind: 'replacement'; readonly doc: Document }
  | {
      readonly kind: 'operators';
      readonly tree: UpdateTree;
      readonly arrayFilters: ReadonlyMap<string, Matcher>;
    }
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

/** Parses an update and its statement's array filters; throws what the server refuses up front. */
/**
 * Update operators that compare strings themselves (beyond the statement's filter) and would
 * follow its collation on mongod; this server's versions compare binarily, so under another
 * collation they are refused rather than run with the wrong equality.
 */
const COLLATED_OPERATORS = ['$min', '$max', '$addToSet', '$pull', '$pullAll'];

function refuseUnderCollation(value: unknown, arrayFilters: readonly Document[]): void {
  const refuse = (what: string) =>
    fail(
      'NotImplemented',
      `${what} under a non-simple collation is not supported by the embedded MongoDB server (only the statement's filter and positional $ follow the collation)`,
    );
  if (Array.isArray(value)) throw refuse('a pipeline update');
  if (arrayFilters.length > 0) throw refuse('arrayFilters');
  if (!isPlainObject(value)) return;
  for (const op of COLLATED_OPERATORS) if (op in value) throw refuse(op);
  const pushes = value.$push;
  if (isPlainObject(pushes)) {
    for (const each of Object.values(pushes))
      if (isPlainObject(each) && '$sort' in each) throw refuse('$push with $sort');
  }
}

export function parseUpdate(
  value: unknown,
  arrayFilters: readonly Document[] = [],
  collation?: Collation,
): UpdateSpec {
  if (collation) refuseUnderCollation(value, arrayFilters);
  if (Array.isArray(value)) {
    if (arrayFilters.length > 0)
      throw fail('FailedToParse', 'arrayFilters may not be specified for pipeline-style updates');
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
        `The dollar ($) prefixed field '${dollar}' in '${dollar}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
      );
    }
    if (arrayFilters.length > 0)
      throw fail('FailedToParse', 'arrayFilters may not be specified for replacement updates');
    return { kind: 'replacement', doc: value };
  }
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
  }
  const filters = parseArrayFilters(arrayFilters);
  const tree = parseUpdateTree(value as Record<string, Document>, new Set(filters.keys()));
  return { kind: 'operators', tree, arrayFilters: filters };
}

/**
 * Array filters (update_request / parsed_update.cpp): each a query on one identifier, which
 * must start with a lowercase letter and be alphanumeric, and appear in one filter only.
 */
function parseArrayFilters(arrayFilters: readonly Document[]): Map<string, Matcher> {
  const matchers = new Map<string, Matcher>();
  for (const filter of arrayFilters) {
    if (!isPlainObject(filter)) throw fail('TypeMismatch', 'each array filter must be an object');
    const ids = new Set<string>();
    collectIdentifiers(filter, ids);
    const [id, other] = [...ids];
    if (id === undefined) {
      throw fail(
        'FailedToParse',
        'Error parsing array filter :: caused by :: Cannot use an expression without a top-level field name in arrayFilters',
      );
    }
    if (other !== undefined) {
      throw fail(
        'FailedToParse',
        `Error parsing array filter :: caused by :: Expected a single top-level field name, found '${id}' and '${other}'`,
      );
    }
    if (!/^[a-z][a-zA-Z0-9]*$/.test(id)) {
      throw fail(
        'BadValue',
        `Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '${id}'`,
      );
    }
    if (matchers.has(id)) {
      throw fail(
        'FailedToParse',
        `Found multiple array filters with the same top-level field name ${id}`,
      );
    }
    matchers.set(id, compileFilter(filter));
  }
  return matchers;
}

function collectIdentifiers(filter: Document, out: Set<string>): void {
  for (const [key, value] of Object.entries(filter)) {
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      for (const clause of value) if (isPlainObject(clause)) collectIdentifiers(clause, out);
    } else if (!key.startsWith('$')) {
      out.add(key.split('.')[0] as string);
    }
  }
}

export interface UpdateContext {
  /** The statement's query: upserts seed from it, the positional `$` is a position it matched. */
  readonly filter: Document;
  readonly variables?: Document;
  /** The statement's collation, which the positional `$` matches by. */
  readonly collation?: Collation;
}

export interface UpdateOutcome {
  readonly doc: Document;
  readonly changed: boolean;
}

/** One statement's update, ready to apply to each target document and to build its upsert. */
export interface PreparedUpdate {
  apply(original: Document): UpdateOutcome;
  upsert(): Document;
}

export function prepareUpdate(spec: UpdateSpec, context: UpdateContext): PreparedUpdate {
  let findPosition: PositionFinder | undefined;
  const now = new Date();
  return {
    apply: (original) => {
      if (spec.kind === 'replacement') return outcome(original, replacementFor(original, spec.doc));
      if (spec.kind === 'pipeline')
        return outcome(original, keepId(runPipeline(original, spec.stages, context), original._id));
      let matchedField: string | undefined;
      if (spec.tree.positional) {
        findPosition ??= positionFinder(context.filter, context.variables, context.collation);
        const position = findPosition(original);
        matchedField = position === undefined ? undefined : String(position);
      }
      const doc = applyUpdateTree(spec.tree, original, {
        matchedField,
        arrayFilters: spec.arrayFilters,
        inserting: false,
        now,
      });
      if (doc !== original) checkIdUnchanged(spec.tree, doc, original);
      return { doc, changed: doc !== original };
    },
    upsert: () => upsertDocument(spec, context, now),
  };
}

function outcome(original: Document, doc: Document): UpdateOutcome {
  return { doc, changed: !sameKey(doc, original) };
}

function checkIdUnchanged(tree: UpdateTree, doc: Document, original: Document): void {
  if (encodeKey(doc._id) === encodeKey(original._id)) return;
  const path = tree.paths.find((p) => p === '_id' || p.startsWith('_id.')) ?? '_id';
  throw fail(
    'ImmutableField',
    `Performing an update on the path '${path}' would modify the immutable field '_id'`,
  );
}

/** The document an upsert inserts when nothing matched the filter. */
function upsertDocument(spec: UpdateSpec, context: UpdateContext, now: Date): Document {
  const seed = upsertSeed(context.filter, spec.kind === 'replacement');
  let doc: Document;
  if (spec.kind === 'replacement') {
    doc = { ...seed, ...cloneDocument(spec.doc) };
  } else if (spec.kind === 'operators') {
    doc = applyUpdateTree(spec.tree, seed, {
      arrayFilters: spec.arrayFilters,
      inserting: true,
      now,
    });
  } else {
    doc = runPipeline(seed, spec.stages, context);
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
  return withIdFirst(doc, doc._id === undefined ? new ObjectId() : doc._id);
}

/** A pipeline-style update, run by mingo on a copy of the document. */
function runPipeline(doc: Document, stages: readonly Document[], context: UpdateContext): Document {
  const slot = [cloneDocument(doc)];
  withMingo(() =>
    updateMany(
      slot,
      {},
      queryRegexes(stages) as never,
      { cloneMode: 'copy' },
      {
        ...mingoOptions,
        context: pipelineContext,
        ...(context.variables ? { variables: context.variables } : {}),
      },
    ),
  );
  return slot[0] as Document;
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
