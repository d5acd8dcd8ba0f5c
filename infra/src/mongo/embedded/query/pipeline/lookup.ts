/**
 * The stages that read another collection of the same database: $lookup, $graphLookup and
 * $unionWith. Their reads go through the planner like any query, so they use the foreign
 * collection's indexes: `localField`/`foreignField` is an `$in` on the foreign field, a
 * `pipeline` starting with `$match: {$expr: {$eq: ['$field', '$$var']}}` becomes an equality
 * on `field` as well (the `$expr` implies it, so the result is unchanged), and each level of a
 * $graphLookup is one `$in` query. Reads yield like any other (server/operation.ts).
 */
import type { Document } from 'bson';
import { evalExpr } from 'mingo/core';
import { fail } from '../../errors.ts';
import { isPlainObject } from '../../engine/index-keys.ts';
import { encodeKey } from '../../engine/key-encoding.ts';
import { runQuery } from '../execute.ts';
import { withMingo } from '../mingo-errors.ts';
import { pathParts, setOwn } from '../path.ts';
import { approximateSize, MemoryBudget, MEMORY_LIMIT_BYTES, stageBudget } from './memory.ts';
import {
  collect,
  fromArray,
  mingoPipelineOptions,
  perDocument,
  type PipelineEnv,
  type Stream,
} from './stream.ts';

/** Runs a pipeline over a stream (the executor, passed in to keep the modules acyclic). */
export type RunPipeline = (stages: readonly Document[], input: Stream, env: PipelineEnv) => Stream;

/**
 * The documents of `from` a pipeline yields, its leading `$match` answered by the planner.
 */
async function fromCollection(
  from: string,
  pipeline: readonly Document[],
  env: PipelineEnv,
  run: RunPipeline,
  extraFilter?: Document,
): Promise<Stream> {
  const collection = env.catalog.collection(env.db, from);
  const [first] = pipeline;
  const leading = first && isPlainObject(first.$match) ? first.$match : undefined;
  const rest = leading ? pipeline.slice(1) : pipeline;
  const clauses = [
    ...(extraFilter ? [extraFilter] : []),
    ...(leading ? [leading, ...indexableEqualities(leading, env.variables)] : []),
  ];
  const filter =
    clauses.length === 0 ? {} : clauses.length === 1 ? (clauses[0] as Document) : { $and: clauses };
  const docs = await runQuery(collection, filter, env.operation, {
    variables: env.variables,
    collation: env.collation,
  });
  return rest.length === 0 ? fromArray(docs) : run(rest, fromArray(docs), env);
}

/**
 * `{field: value}` for each `$expr: {$eq: ['$field', '$$var' or a constant]}` of a match
 * (at its top or in a top-level `$and`), when the value can drive an index lookup. The `$expr`
 * implies the equality, so adding it changes no result and lets the planner use an index.
 */
function indexableEqualities(match: Document, variables: Document): Document[] {
  const out: Document[] = [];
  const visitExpr = (expression: unknown) => {
    if (!isPlainObject(expression)) return;
    if (Array.isArray(expression.$and))
      for (const part of expression.$and as unknown[]) visitExpr(part);
    const operands = expression.$eq;
    if (!Array.isArray(operands) || operands.length !== 2) return;
    const [a, b] = operands as unknown[];
    const field = fieldOf(a) ?? fieldOf(b);
    const other = fieldOf(a) === undefined ? a : b;
    if (field === undefined) return;
    const value = constantOf(other, variables);
    if (isIndexable(value)) out.push({ [field]: value });
  };
  visitExpr(match.$expr);
  if (Array.isArray(match.$and)) {
    for (const clause of match.$and as unknown[])
      if (isPlainObject(clause)) visitExpr(clause.$expr);
  }
  return out;
}

function fieldOf(operand: unknown): string | undefined {
  return typeof operand === 'string' && operand.startsWith('$') && !operand.startsWith('$$')
    ? operand.slice(1)
    : undefined;
}

function constantOf(operand: unknown, variables: Document): unknown {
  if (typeof operand === 'string' && operand.startsWith('$$')) {
    const name = operand.slice(2);
    return name.includes('.') ? undefined : variables[name];
  }
  return typeof operand === 'string' && operand.startsWith('$') ? undefined : operand;
}

function isIndexable(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return !Number.isNaN(value);
  return (
    value instanceof Date || (value as { _bsontype?: string } | null)?._bsontype === 'ObjectId'
  );
}

/** The values at a path, arrays expanded at every level, as $lookup reads localField. */
function valuesAt(value: unknown, parts: readonly string[], out: unknown[], i = 0): void {
  if (Array.isArray(value)) {
    for (const element of value as unknown[]) valuesAt(element, parts, out, i);
    return;
  }
  if (i === parts.length) {
    if (value !== undefined) out.push(value);
    return;
  }
  if (isPlainObject(value)) valuesAt(value[parts[i] as string], parts, out, i + 1);
}

/** `doc` with `path` set to `value`, parents created (or replaced when not documents). */
function withField(doc: Document, path: string, value: unknown): Document {
  const parts = pathParts(path);
  const set = (target: unknown, i: number): Document => {
    const copy: Document = isPlainObject(target) ? { ...target } : {};
    const part = parts[i] as string;
    setOwn(copy, part, i === parts.length - 1 ? value : set(copy[part], i + 1));
    return copy;
  };
  return set(doc, 0);
}

function joinBudget(from: string): MemoryBudget {
  return new MemoryBudget(() =>
    fail(
      'Location4568',
      `Total size of documents in ${from} matching pipeline's $lookup stage exceeds ${String(MEMORY_LIMIT_BYTES)} bytes`,
    ),
  );
}

const LOOKUP_FIELDS = new Set(['from', 'as', 'localField', 'foreignField', 'let', 'pipeline']);

export function lookupStage(
  spec: unknown,
  run: RunPipeline,
): (input: Stream, env: PipelineEnv) => Stream {
  if (!isPlainObject(spec))
    throw fail('FailedToParse', 'the $lookup specification must be an Object');
  for (const field of Object.keys(spec)) {
    if (!LOOKUP_FIELDS.has(field))
      throw fail('FailedToParse', `unknown argument to $lookup: ${field}`);
  }
  const { from, as, localField, foreignField } = spec;
  if (typeof from !== 'string')
    throw fail('FailedToParse', "$lookup requires 'from' to be a collection name string");
  if (typeof as !== 'string' || as === '')
    throw fail('FailedToParse', "must specify 'as' field for a $lookup");
  const pipeline = spec.pipeline === undefined ? undefined : (spec.pipeline as unknown);
  if (pipeline !== undefined && !Array.isArray(pipeline))
    throw fail('FailedToParse', "'pipeline' option must be specified as an array");
  const equality = localField !== undefined || foreignField !== undefined;
  if (equality && (typeof localField !== 'string' || typeof foreignField !== 'string')) {
    throw fail(
      'FailedToParse',
      "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified",
    );
  }
  if (!equality && pipeline === undefined) {
    throw fail(
      'FailedToParse',
      "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified",
    );
  }
  if (spec.let !== undefined && !isPlainObject(spec.let))
    throw fail('FailedToParse', "$lookup argument 'let' must be an object");
  const letSpec = (spec.let ?? {}) as Document;
  const stages = (pipeline ?? []) as Document[];
  const localParts = typeof localField === 'string' ? pathParts(localField) : undefined;
  return (input, env) =>
    perDocument(async (doc) => {
      const options = mingoPipelineOptions(env);
      const variables: Document = { ...env.variables };
      for (const [name, expression] of Object.entries(letSpec)) {
        variables[name] = withMingo(() => evalExpr(doc, expression, options));
      }
      let match: Document | undefined;
      if (localParts && typeof foreignField === 'string') {
        const values: unknown[] = [];
        valuesAt(doc, localParts, values);
        if (values.length === 0) values.push(null);
        // Regular expressions in the local field are values to compare, not patterns.
        match = values.some((v) => v instanceof RegExp)
          ? { $or: values.map((v) => ({ [foreignField]: { $eq: v } })) }
          : { [foreignField]: { $in: values } };
      }
      const joined = await fromCollection(from, stages, { ...env, variables }, run, match);
      const results = await collect(joined, env, joinBudget(from), approximateSize);
      return [withField(doc, as, results)];
    })(input, env);
}

export function graphLookupStage(spec: unknown): (input: Stream, env: PipelineEnv) => Stream {
  if (!isPlainObject(spec))
    throw fail('FailedToParse', 'the $graphLookup specification must be an Object');
  const { from, as, startWith, connectFromField, connectToField, depthField } = spec;
  if (typeof from !== 'string' || typeof as !== 'string' || startWith === undefined)
    throw fail('FailedToParse', "$graphLookup requires 'from', 'as' and 'startWith'");
  if (typeof connectFromField !== 'string' || typeof connectToField !== 'string')
    throw fail('FailedToParse', "$graphLookup requires 'connectFromField' and 'connectToField'");
  const maxDepth = spec.maxDepth === undefined ? Infinity : spec.maxDepth;
  if (typeof maxDepth !== 'number' || maxDepth < 0)
    throw fail('Location40101', "$graphLookup's 'maxDepth' must be a non-negative number");
  const restrict = isPlainObject(spec.restrictSearchWithMatch)
    ? spec.restrictSearchWithMatch
    : undefined;
  const fromParts = pathParts(connectFromField);
  return (input, env) =>
    perDocument(async (doc) => {
      const start: unknown = withMingo(() => evalExpr(doc, startWith, mingoPipelineOptions(env)));
      let frontier: unknown[] = (Array.isArray(start) ? (start as unknown[]) : [start]).filter(
        (v) => v !== undefined,
      );
      const queried = new Set(frontier.map((value) => encodeKey(value)));
      const found = new Map<string, Document>();
      const budget = stageBudget('$graphLookup');
      const collection = env.catalog.collection(env.db, from);
      for (let depth = 0; frontier.length > 0 && depth <= maxDepth; depth++) {
        const level: Document = { [connectToField]: { $in: frontier } };
        const filter = restrict ? { $and: [level, restrict] } : level;
        const next: unknown[] = [];
        for (const match of await runQuery(collection, filter, env.operation)) {
          const id = encodeKey(match._id);
          if (found.has(id)) continue;
          const result =
            typeof depthField === 'string' ? withField(match, depthField, depth) : match;
          budget.add(approximateSize(result));
          found.set(id, result);
          const values: unknown[] = [];
          valuesAt(match, fromParts, values);
          for (const value of values) {
            const key = encodeKey(value);
            if (queried.has(key)) continue;
            queried.add(key);
            next.push(value);
          }
        }
        frontier = next;
      }
      return [withField(doc, as, [...found.values()])];
    })(input, env);
}

export function unionWithStage(
  spec: unknown,
  run: RunPipeline,
): (input: Stream, env: PipelineEnv) => Stream {
  const coll = typeof spec === 'string' ? spec : isPlainObject(spec) ? spec.coll : undefined;
  const pipeline = isPlainObject(spec) ? (spec.pipeline ?? []) : [];
  if (typeof coll !== 'string')
    throw fail(
      'FailedToParse',
      "the $unionWith stage specification must be an object or string, with a 'coll' field",
    );
  if (!Array.isArray(pipeline))
    throw fail('TypeMismatch', "$unionWith 'pipeline' must be an array");
  return async function* (input, env) {
    yield* input;
    yield* await fromCollection(coll, pipeline as Document[], env, run);
  };
}
