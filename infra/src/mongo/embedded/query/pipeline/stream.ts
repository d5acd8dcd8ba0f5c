/**
 * What pipeline stages pass each other: batches of documents, pulled one batch at a time, so a
 * stage's loop can give other connections a turn between documents (server/operation.ts) and a
 * `$limit` stops everything upstream as soon as it has enough.
 */
import type { Document } from 'bson';
import type { Catalog } from '../../engine/catalog.ts';
import type { Operation } from '../../server/operation.ts';
import { mingoOptions } from '../../engine/mingo-options.ts';
import { pipelineContext } from '../mingo-context.ts';
import type { MemoryBudget } from './memory.ts';
import type { Collation } from '../collation.ts';

export type Batch = Document[];
/** Pulled with `for await`; a stage with nothing to wait for may hand over a plain iterable. */
export type Stream = AsyncIterable<Batch> | Iterable<Batch>;

/** Documents per batch handed from stage to stage. */
export const BATCH_SIZE = 256;

/** Everything a stage may need besides its input. */
export interface PipelineEnv {
  readonly operation: Operation;
  /** The command's `let`, already evaluated, and `$lookup`'s own on top. */
  readonly variables: Document;
  readonly catalog: Catalog;
  readonly db: string;
  /** The command's collation: strings compare by it in every stage (none: binarily). */
  readonly collation?: Collation;
}

/** mingo's options for expressions and stages it runs for us, with the pipeline's variables. */
export function mingoPipelineOptions(env: PipelineEnv) {
  return {
    ...mingoOptions,
    context: pipelineContext,
    variables: env.variables,
    ...(env.collation ? { collation: env.collation } : {}),
  };
}

export function* fromArray(docs: readonly Document[]): Generator<Batch> {
  for (let start = 0; start < docs.length; start += BATCH_SIZE) {
    yield docs.slice(start, start + BATCH_SIZE);
  }
}

/** Every document of a stream, in order; `budget` (if any) is charged for each. */
export async function collect(
  input: Stream,
  env: PipelineEnv,
  budget?: MemoryBudget,
  size?: (doc: Document) => number,
): Promise<Document[]> {
  const docs: Document[] = [];
  for await (const batch of input) {
    for (const doc of batch) {
      if (env.operation.due()) await env.operation.yieldTurn();
      if (budget && size) budget.add(size(doc));
      docs.push(doc);
    }
  }
  return docs;
}

/**
 * A stage applying `step` to each document (zero, one or several outputs each), yielding to
 * other connections between documents.
 */
export function perDocument(
  step: (doc: Document) => Document[] | Promise<Document[]>,
): (input: Stream, env: PipelineEnv) => Stream {
  return async function* (input, env) {
    let out: Batch = [];
    for await (const batch of input) {
      for (const doc of batch) {
        if (env.operation.due()) await env.operation.yieldTurn();
        const pending = step(doc);
        const produced = pending instanceof Promise ? await pending : pending;
        for (const result of produced) out.push(result);
        if (out.length >= BATCH_SIZE) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length > 0) yield out;
  };
}
