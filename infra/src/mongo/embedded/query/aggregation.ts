/**
 * mingo's aggregation engine with one change: `$project` keeps the source document's field
 * order (see field-order.ts), as the server's does. Built once; every aggregate uses it.
 */
import type { Document } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { Context } from 'mingo/core';
import type { Iterator } from 'mingo/lazy';
import * as accumulator from 'mingo/operators/accumulator';
import * as expression from 'mingo/operators/expression';
import * as pipeline from 'mingo/operators/pipeline';
import * as projection from 'mingo/operators/projection';
import * as query from 'mingo/operators/query';
import * as window from 'mingo/operators/window';
import { mingoOptions } from '../engine/mingo-options.ts';
import { inSourceOrder } from './field-order.ts';

type PipelineOperator = typeof pipeline.$project;

/** `$project` is one output per input, in order, so outputs can be paired with their inputs. */
const $project: PipelineOperator = (collection, expr, options) => {
  const inputs: Record<string, unknown>[] = [];
  const tapped: Iterator = collection.map((doc) => {
    inputs.push(doc as Record<string, unknown>);
    return doc;
  });
  return pipeline
    .$project(tapped, expr, options)
    .map((out) => inSourceOrder(out as Record<string, unknown>, inputs.shift() ?? {}));
};

/** The `$name` exports of an operator module (leaving out `default` and CommonJS interop keys). */
function operators<T extends object>(module: T): T {
  return Object.fromEntries(Object.entries(module).filter(([name]) => name.startsWith('$'))) as T;
}

const context = Context.init({
  accumulator: operators(accumulator),
  expression: operators(expression),
  pipeline: { ...operators(pipeline), $project },
  projection: operators(projection),
  query: operators(query),
  window: operators(window),
});

export const PIPELINE_STAGES: ReadonlySet<string> = new Set(Object.keys(operators(pipeline)));

export function runPipeline(
  stages: Document[],
  input: readonly Document[],
  options: { variables?: Document; collection: (name: string) => Document[] },
): Document[] {
  const aggregator = new Aggregator(stages, {
    ...mingoOptions,
    context,
    ...(options.variables ? { variables: options.variables } : {}),
    collectionResolver: options.collection,
  });
  return aggregator.run<Document>(input as Document[]);
}
