/**
 * The operator sets queries and pipelines run with: mingo's, with the operators whose
 * semantics differ from the server's replaced (`$type` and the leaf operators in queries,
 * `$project` keeping field order in pipelines). mingo copies the context on every compile, so queries get a small one
 * (query and expression operators: `$expr` needs the latter); that copy was a third of a
 * find's server time with every operator family in it.
 */
import { Context } from 'mingo/core';
import type { Iterator } from 'mingo/lazy';
import * as accumulator from 'mingo/operators/accumulator';
import * as expression from 'mingo/operators/expression';
import * as pipeline from 'mingo/operators/pipeline';
import * as projection from 'mingo/operators/projection';
import * as query from 'mingo/operators/query';
import * as window from 'mingo/operators/window';
import { $type } from './bson-type.ts';
import { leafOperators } from './leaf-operators.ts';
import { inSourceOrder } from './field-order.ts';
import { expressionOverrides } from './expression-operators.ts';

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

const queryOperators = { ...operators(query), $type, ...leafOperators } as typeof query;

type ExpressionOperators = NonNullable<
  NonNullable<Parameters<typeof Context.init>[0]>['expression']
>;

/** mingo's expression operators, with the server's semantics where they differ. */
const expressionOperators: ExpressionOperators = {
  ...operators(expression),
  ...expressionOverrides,
};

export const queryContext = Context.init({
  // Accumulators too: `$expr: {$gt: [{$sum: '$items.qty'}, 5]}` uses $sum as an expression.
  accumulator: operators(accumulator),
  expression: expressionOperators,
  query: queryOperators,
});

export const pipelineContext = Context.init({
  accumulator: operators(accumulator),
  expression: expressionOperators,
  pipeline: { ...operators(pipeline), $project },
  projection: operators(projection),
  query: queryOperators,
  window: operators(window),
});

export const PIPELINE_STAGES: ReadonlySet<string> = new Set(Object.keys(operators(pipeline)));
