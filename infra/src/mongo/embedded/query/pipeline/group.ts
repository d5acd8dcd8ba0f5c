/**
 * The grouping stages: $group, and those the server defines through it (document_source_*.cpp):
 * $bucket (a $group on the boundary each value falls in, then a $sort on it), $sortByCount
 * ($group with a count, then $sort by it) and $count ($group counting, projected).
 *
 * Groups are keyed by the canonical encoding of `_id` (key-encoding.ts): 1, 1.0 and
 * NumberLong(1) are one group, `{a: 1, b: 2}` and `{b: 2, a: 1}` two, as on the server; a
 * missing `_id` value groups as null and missing fields vanish from an `_id` document. The
 * stage's memory (keys and accumulated values) is budgeted (memory.ts).
 */
import type { Document } from 'bson';
import { evalExpr } from 'mingo/core';
import { fail } from '../../errors.ts';
import { compareBson, typeRank } from '../../engine/bson-order.ts';
import { isPlainObject } from '../../engine/index-keys.ts';
import { encodeKey } from '../../engine/key-encoding.ts';
import { withMingo } from '../mingo-errors.ts';
import { setOwn } from '../path.ts';
import { accumulatorFor, type Accumulator, type AccumulatorFactory } from './accumulators.ts';
import { approximateSize, stageBudget, type MemoryBudget } from './memory.ts';
import { fromArray, mingoPipelineOptions, type PipelineEnv, type Stream } from './stream.ts';

type Options = ReturnType<typeof mingoPipelineOptions>;

interface GroupSpec {
  /** The group key of a document. */
  readonly key: (doc: Document, options: Options) => unknown;
  readonly fields: readonly (readonly [
    string,
    (options: Options, budget: MemoryBudget) => AccumulatorFactory,
  ])[];
}

/** An expression's value with missing fields dropped, as the server builds `_id` documents. */
function withoutMissing(value: unknown): unknown {
  if (value === undefined) return null;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (value[key] !== undefined) setOwn(out, key, withoutMissing(value[key]));
  }
  return out;
}

function expressionKey(expression: unknown): GroupSpec['key'] {
  return (doc, options) => withoutMissing(withMingo(() => evalExpr(doc, expression, options)));
}

function parseGroup(spec: unknown): GroupSpec {
  if (!isPlainObject(spec))
    throw fail('Location15947', "a group's fields must be specified in an object");
  if (!('_id' in spec)) throw fail('Location15955', 'a group specification must include an _id');
  const fields = Object.entries(spec)
    .filter(([field]) => field !== '_id')
    .map(
      ([field, accumulator]) =>
        [
          field,
          (options: Options, budget: MemoryBudget) =>
            accumulatorFor(field, accumulator, options, budget),
        ] as const,
    );
  return { key: expressionKey(spec._id), fields };
}

/** Runs a group over the whole input; resolves to the groups in first-seen order. */
async function groupAll(
  input: Stream,
  env: PipelineEnv,
  spec: GroupSpec,
  stage: string,
): Promise<Document[]> {
  const options = mingoPipelineOptions(env);
  const budget = stageBudget(stage);
  const factories = spec.fields.map(([field, make]) => [field, make(options, budget)] as const);
  const groups = new Map<string, { key: unknown; accumulators: Accumulator[] }>();
  for await (const batch of input) {
    for (const doc of batch) {
      if (env.operation.due()) await env.operation.yieldTurn();
      const key = spec.key(doc, options);
      const encoded = encodeKey(key, env.collation?.key);
      let group = groups.get(encoded);
      if (!group) {
        budget.add(approximateSize(key) + encoded.length * 2 + 64 * (factories.length + 1));
        group = { key, accumulators: factories.map(([, factory]) => factory(key)) };
        groups.set(encoded, group);
      }
      for (const accumulator of group.accumulators) accumulator.add(doc);
    }
  }
  const results: Document[] = [];
  for (const { key, accumulators } of groups.values()) {
    if (env.operation.due()) await env.operation.yieldTurn();
    const out: Document = { _id: key };
    factories.forEach(([field], i) => {
      setOwn(out, field, (accumulators[i] as Accumulator).result());
    });
    results.push(out);
  }
  return results;
}

export async function* groupStage(input: Stream, env: PipelineEnv, spec: unknown): Stream {
  yield* fromArray(await groupAll(input, env, parseGroup(spec), '$group'));
}

/** Sorts group results by `_id` (or another field) and streams them. */
function sortedBy(results: Document[], field: string, direction: 1 | -1): Stream {
  return fromArray(results.sort((a, b) => compareBson(a[field], b[field]) * direction));
}

/** $sortByCount: `{_id: expression, count: {$sum: 1}}`, most frequent first. */
export async function* sortByCountStage(
  input: Stream,
  env: PipelineEnv,
  expression: unknown,
): Stream {
  if (
    !(typeof expression === 'string' && expression.startsWith('$')) &&
    !isPlainObject(expression)
  ) {
    throw fail(
      'Location40148',
      'the sortByCount field must be defined as a $-prefixed path or an expression',
    );
  }
  const spec = parseGroup({ _id: expression, count: { $sum: 1 } });
  yield* sortedBy(await groupAll(input, env, spec, '$sortByCount'), 'count', -1);
}

/** $count: one document `{name: n}`, or none for an empty input. */
export async function* countStage(input: Stream, env: PipelineEnv, name: unknown): Stream {
  if (typeof name !== 'string' || name === '')
    throw fail('Location40156', 'the count field must be a non-empty string');
  if (name.startsWith('$'))
    throw fail('Location40158', 'the count field cannot be a $-prefixed path');
  if (name.includes('.')) throw fail('Location40160', "the count field cannot contain '.'");
  const spec = parseGroup({ _id: null, [name]: { $sum: 1 } });
  for (const group of await groupAll(input, env, spec, '$count')) {
    const counted: Document = {};
    setOwn(counted, name, group[name]);
    yield [counted];
  }
}

/**
 * $bucket (document_source_bucket.cpp): each value of `groupBy` falls in the bucket whose
 * lower boundary it reaches and whose upper boundary it stays below (a value equal to an
 * inner boundary starts the upper bucket), or in `default`; only buckets with documents come
 * out, sorted by `_id` (the lower boundary, or the default value).
 */
export async function* bucketStage(input: Stream, env: PipelineEnv, spec: unknown): Stream {
  if (!isPlainObject(spec))
    throw fail(
      'Location40201',
      `Argument to $bucket stage must be an object, but found type: ${typeof spec}.`,
    );
  for (const field of Object.keys(spec)) {
    if (!['groupBy', 'boundaries', 'default', 'output'].includes(field))
      throw fail('Location40197', `Unrecognized option to $bucket: ${field}.`);
  }
  const { groupBy, boundaries } = spec;
  if (groupBy === undefined || boundaries === undefined)
    throw fail('Location40198', "$bucket requires 'groupBy' and 'boundaries' to be specified.");
  if (!Array.isArray(boundaries))
    throw fail('Location40200', "The $bucket 'boundaries' field must be an array");
  const bounds = boundaries as unknown[];
  if (bounds.length < 2) {
    throw fail(
      'Location40192',
      `The $bucket 'boundaries' field must have at least 2 values, but found ${String(bounds.length)} value(s).`,
    );
  }
  for (let i = 1; i < bounds.length; i++) {
    if (typeRank(bounds[i - 1]) !== typeRank(bounds[i])) {
      throw fail(
        'Location40193',
        "All values in the the 'boundaries' option to $bucket must have the same type.",
      );
    }
    if (compareBson(bounds[i - 1], bounds[i]) >= 0) {
      throw fail(
        'Location40194',
        `The 'boundaries' option to $bucket must be sorted, but elements ${String(i - 1)} and ${String(i)} are not in ascending order`,
      );
    }
  }
  const hasDefault = 'default' in spec;
  const fallback: unknown = spec.default;
  if (
    hasDefault &&
    compareBson(fallback, bounds[0]) >= 0 &&
    compareBson(fallback, bounds[bounds.length - 1]) < 0
  ) {
    throw fail(
      'Location40199',
      "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.",
    );
  }
  if (!(typeof groupBy === 'string' && groupBy.startsWith('$')) && !isPlainObject(groupBy)) {
    throw fail(
      'Location40202',
      "The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression",
    );
  }
  const output = spec.output ?? { count: { $sum: 1 } };
  if (!isPlainObject(output))
    throw fail('Location40196', "The $bucket 'output' field must be an object");
  const value = expressionKey(groupBy);
  const key: GroupSpec['key'] = (doc, options) => {
    const v = value(doc, options);
    const index = bucketOf(bounds, v);
    if (index >= 0) return bounds[index];
    if (!hasDefault) {
      throw fail(
        'Location40066',
        '$switch could not find a matching branch for an input, and no default was specified.',
      );
    }
    return fallback;
  };
  const fields = parseGroup({ _id: null, ...output }).fields;
  yield* sortedBy(await groupAll(input, env, { key, fields }, '$bucket'), '_id', 1);
}

/** The index of the bucket `[bounds[i], bounds[i + 1])` holding `value`, or -1. */
function bucketOf(bounds: readonly unknown[], value: unknown): number {
  if (compareBson(value, bounds[0]) < 0 || compareBson(value, bounds[bounds.length - 1]) >= 0)
    return -1;
  let low = 0;
  let high = bounds.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (compareBson(value, bounds[middle]) >= 0) low = middle;
    else high = middle;
  }
  return low;
}
