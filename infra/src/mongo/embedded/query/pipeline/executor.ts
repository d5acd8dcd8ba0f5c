/**
 * Runs aggregation pipelines, stage by stage, on batches of documents (stream.ts), so every
 * stage gives other connections their turn and honours maxTimeMS (server/operation.ts):
 *
 *  - our own stages: $match (the server's query semantics), $sort (BSON order, sliced, top-k
 *    under a following $limit), $skip, $limit, $group and what is built on it ($bucket,
 *    $sortByCount, $count), $facet, $sample, $lookup, $graphLookup, $unionWith;
 *  - per-document stages mingo computes ($project, $addFields/$set, $unset, $replaceRoot,
 *    $replaceWith, $unwind, $redact): fed in chunks sized to take about a millisecond each, so
 *    a costly expression cannot hold the event loop for a whole batch;
 *  - any other stage ($bucketAuto, $setWindowFields, $densify, $fill...): its whole input,
 *    within the blocking-stage memory budget, given to mingo in one call.
 */
import type { Document } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { fail } from '../../errors.ts';
import { isPlainObject } from '../../engine/index-keys.ts';
import { compileFilter } from '../matcher.ts';
import { withMingo } from '../mingo-errors.ts';
import { queryRegexes } from '../regex.ts';
import { parseSort, sortInSlices } from '../sort.ts';
import { bucketStage, countStage, groupStage, sortByCountStage } from './group.ts';
import { graphLookupStage, lookupStage, unionWithStage } from './lookup.ts';
import { approximateSize, stageBudget } from './memory.ts';
import {
  BATCH_SIZE,
  collect,
  fromArray,
  mingoPipelineOptions,
  type Batch,
  type PipelineEnv,
  type Stream,
} from './stream.ts';

type StageRunner = (input: Stream, env: PipelineEnv) => Stream;

/** Stages mingo computes one document at a time. */
const PER_DOCUMENT = new Set([
  '$project',
  '$addFields',
  '$set',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
  '$unwind',
  '$redact',
]);

/** Stages a $facet sub-pipeline may not contain (document_source_facet.cpp). */
const NOT_IN_FACET = new Set(['$facet', '$out', '$merge', '$collStats', '$indexStats', '$geoNear']);

export function runPipeline(stages: readonly Document[], input: Stream, env: PipelineEnv): Stream {
  let stream = input;
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i] as Document;
    const name = Object.keys(stage)[0] as string;
    if (env.collation) refuseUncollated(name, stage[name]);
    const next = stages[i + 1];
    // A $sort followed by a $limit keeps only what the limit lets through (top-k).
    const limit =
      name === '$sort' && next && typeof next.$limit === 'number' ? next.$limit : undefined;
    stream = stageRunner(name, stage[name], limit)(stream, env);
  }
  return stream;
}

/**
 * Stages that follow a collation here: ours that compare ($match, $sort, $group and its
 * accumulators, $sortByCount, $facet, $lookup/$unionWith sub-pipelines), mingo's per-document
 * ones (their expressions compare through our operators, which read it) and those that compare
 * nothing. The others ($bucket, $graphLookup, $lookup by localField, mingo's whole-input
 * stages) compare binarily, so under another collation they are refused, not run differently.
 */
const COLLATION_AWARE = new Set([
  '$match',
  '$sort',
  '$skip',
  '$limit',
  '$group',
  '$sortByCount',
  '$count',
  '$facet',
  '$sample',
  '$lookup',
  '$unionWith',
  ...PER_DOCUMENT,
]);

function refuseUncollated(name: string, spec: unknown): void {
  const byField = name === '$lookup' && isPlainObject(spec) && 'localField' in spec;
  if (COLLATION_AWARE.has(name) && !byField) return;
  throw fail(
    'NotImplemented',
    `${byField ? '$lookup with localField/foreignField' : name} under a non-simple collation is not supported by the embedded MongoDB server`,
  );
}

/** The results of a whole pipeline over `docs`. */
export function aggregateDocuments(
  stages: readonly Document[],
  docs: readonly Document[],
  env: PipelineEnv,
): Promise<Document[]> {
  return collect(runPipeline(stages, fromArray(docs), env), env);
}

function stageRunner(name: string, spec: unknown, limitAfter?: number): StageRunner {
  switch (name) {
    case '$match':
      return matchStage(spec);
    case '$sort':
      return sortStage(spec, limitAfter);
    case '$skip':
      return skipStage(spec);
    case '$limit':
      return limitStage(spec);
    case '$group':
      return (input, env) => groupStage(input, env, spec);
    case '$bucket':
      return (input, env) => bucketStage(input, env, spec);
    case '$sortByCount':
      return (input, env) => sortByCountStage(input, env, spec);
    case '$count':
      return (input, env) => countStage(input, env, spec);
    case '$facet':
      return facetStage(spec);
    case '$sample':
      return sampleStage(spec);
    case '$lookup':
      return lookupStage(spec, runPipeline);
    case '$graphLookup':
      return graphLookupStage(spec);
    case '$unionWith':
      return unionWithStage(spec, runPipeline);
  }
  return PER_DOCUMENT.has(name) ? mingoPerDocument(name, spec) : mingoWhole(name, spec);
}

function matchStage(spec: unknown): StageRunner {
  if (!isPlainObject(spec))
    throw fail('Location15959', 'the match filter must be an expression in an object');
  return async function* (input, env) {
    const matches = compileFilter(spec, env.variables, env.collation);
    for await (const batch of input) {
      const out: Batch = [];
      for (const doc of batch) {
        if (env.operation.due()) await env.operation.yieldTurn();
        if (matches(doc)) out.push(doc);
      }
      if (out.length > 0) yield out;
    }
  };
}

function sortStage(spec: unknown, keep?: number): StageRunner {
  if (!parseSort(spec)) throw fail('Location15976', '$sort stage must have at least one sort key');
  return async function* (input, env) {
    const fields = parseSort(spec, env.collation) ?? [];
    const docs = await collect(input, env, stageBudget('$sort'), approximateSize);
    yield* fromArray(await sortInSlices(docs, fields, env.operation, keep));
  };
}

function wholeNumber(name: string, spec: unknown, min: number): number {
  if (typeof spec !== 'number' || !Number.isInteger(spec))
    throw fail('Location15957', `the ${name} must be specified as a number`);
  if (spec < min)
    throw fail('Location15958', `the ${name} must be ${min > 0 ? 'positive' : 'non-negative'}`);
  return spec;
}

function skipStage(spec: unknown): StageRunner {
  const skip = wholeNumber('skip', spec, 0);
  return async function* (input) {
    let left = skip;
    for await (const batch of input) {
      if (left >= batch.length) {
        left -= batch.length;
        continue;
      }
      yield left > 0 ? batch.slice(left) : batch;
      left = 0;
    }
  };
}

function limitStage(spec: unknown): StageRunner {
  const limit = wholeNumber('limit', spec, 1);
  return async function* (input) {
    let left = limit;
    for await (const batch of input) {
      if (batch.length >= left) {
        yield batch.slice(0, left);
        return;
      }
      left -= batch.length;
      yield batch;
    }
  };
}

/** $facet: every sub-pipeline over the same (buffered) input, one output document. */
function facetStage(spec: unknown): StageRunner {
  if (!isPlainObject(spec))
    throw fail('Location15947', 'the $facet specification must be an object');
  const facets = Object.entries(spec).map(([name, pipeline]) => {
    if (!Array.isArray(pipeline))
      throw fail(
        'Location40170',
        `arguments to $facet must be arrays, ${name} is type ${typeof pipeline}`,
      );
    for (const stage of pipeline as unknown[]) {
      const stageName = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
      if (stageName && NOT_IN_FACET.has(stageName))
        throw fail('Location40600', `${stageName} is not allowed to be used within a $facet stage`);
    }
    return [name, pipeline as Document[]] as const;
  });
  return async function* (input, env) {
    const docs = await collect(input, env, stageBudget('$facet'), approximateSize);
    const out: Document = {};
    for (const [name, pipeline] of facets)
      out[name] = await aggregateDocuments(pipeline, docs, env);
    yield [out];
  };
}

/** $sample: a uniform random sample (reservoir sampling, one pass), in random order. */
function sampleStage(spec: unknown): StageRunner {
  const size = isPlainObject(spec) ? spec.size : undefined;
  if (typeof size !== 'number' || size < 0)
    throw fail('Location28749', '$sample stage must specify a size');
  return async function* (input, env) {
    const budget = stageBudget('$sample');
    const reservoir: Document[] = [];
    let seen = 0;
    for await (const batch of input) {
      for (const doc of batch) {
        if (env.operation.due()) await env.operation.yieldTurn();
        seen++;
        if (reservoir.length < size) {
          budget.add(approximateSize(doc));
          reservoir.push(doc);
        } else {
          const slot = Math.floor(Math.random() * seen);
          if (slot < size) reservoir[slot] = doc;
        }
      }
    }
    for (let i = reservoir.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [reservoir[i], reservoir[j]] = [reservoir[j] as Document, reservoir[i] as Document];
    }
    yield* fromArray(reservoir);
  };
}

/** Milliseconds one chunk of a per-document mingo stage should take. */
const CHUNK_MS = 1;

/**
 * A per-document mingo stage, fed chunks sized from the time the previous chunk took, so a
 * stage whose expression costs a millisecond a document runs one document per chunk.
 */
function mingoPerDocument(name: string, spec: unknown): StageRunner {
  return async function* (input, env) {
    const aggregator = new Aggregator(
      [queryRegexes({ [name]: spec }) as Document],
      mingoPipelineOptions(env),
    );
    let chunk = 1;
    let out: Batch = [];
    for await (const batch of input) {
      for (let i = 0; i < batch.length;) {
        const piece = batch.slice(i, i + chunk);
        i += piece.length;
        const started = performance.now();
        for (const doc of withMingo(() => aggregator.run<Document>(piece))) out.push(doc);
        const spent = performance.now() - started;
        chunk = Math.max(
          1,
          Math.min(BATCH_SIZE, Math.floor((piece.length * CHUNK_MS) / Math.max(spent, 0.001))),
        );
        if (env.operation.due()) await env.operation.yieldTurn();
        if (out.length >= BATCH_SIZE) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length > 0) yield out;
  };
}

/** Any other stage: mingo over the whole (budgeted) input at once. */
function mingoWhole(name: string, spec: unknown): StageRunner {
  return async function* (input, env) {
    const docs = await collect(input, env, stageBudget(name), approximateSize);
    const aggregator = new Aggregator(
      [queryRegexes({ [name]: spec }) as Document],
      mingoPipelineOptions(env),
    );
    yield* fromArray(withMingo(() => aggregator.run<Document>(docs)));
  };
}
