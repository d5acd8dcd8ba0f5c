/**
 * Aggregation expression operators whose mingo versions differ from the server's:
 *  - comparisons ($eq, $ne, $gt, $gte, $lt, $lte, $cmp) compare any two values by BSON order
 *    (src/mongo/db/pipeline/expression.cpp ExpressionCompare): missing < null < numbers <
 *    strings..., so `{$lt: ['$x', 5]}` is true for a missing or null `x`, and an array is one
 *    value (mingo skipped operands of different types and searched arrays like a query does);
 *    under the command's collation, strings compare by it (query/collation.ts);
 *  - $range and $concatArrays refuse a result that would take more than 100 MB, as mongod's
 *    $range does (ExceededMemoryLimit, 146) instead of building it and running out of heap.
 * Each has mingo's expression-operator shape: (document, operand, options) → value.
 */
import { evalExpr } from 'mingo/core';
import * as expression from 'mingo/operators/expression';
import { fail } from '../errors.ts';
import { compareBson } from '../engine/bson-order.ts';
import { MEMORY_LIMIT_BYTES } from './pipeline/memory.ts';
import { collationOf } from './collation.ts';

type Options = Parameters<typeof evalExpr>[2];
type ExpressionOperator = (
  document: Record<string, unknown>,
  operand: unknown,
  options: Options,
) => unknown;

function operands(
  document: unknown,
  operand: unknown,
  options: Options,
  name: string,
): [unknown, unknown] {
  if (!Array.isArray(operand) || operand.length !== 2) {
    throw fail(
      'Location16020',
      `Expression ${name} takes exactly 2 arguments. ${String(Array.isArray(operand) ? operand.length : 1)} were passed in.`,
    );
  }
  const [a, b] = evalExpr(document, operand, options) as [unknown, unknown];
  return [a, b];
}

function comparison(name: string, holds: (order: number) => boolean): ExpressionOperator {
  return (document, operand, options) => {
    const [a, b] = operands(document, operand, options, name);
    return holds(compareBson(a, b, collationOf(options)?.compare));
  };
}

/** Bytes mongod reserves per array element (sizeof(Value)) and per array. */
const VALUE_BYTES = 16;
const ARRAY_BYTES = 24;

const $range: ExpressionOperator = (document, operand, options) => {
  if (Array.isArray(operand) && operand.length >= 2 && operand.length <= 3) {
    const [start, end, step = 1] = evalExpr(document, operand, options) as unknown[];
    if (
      typeof start === 'number' &&
      typeof end === 'number' &&
      typeof step === 'number' &&
      step !== 0
    ) {
      const steps = Math.floor((end - start) / step);
      const length = steps >= 0 ? 1 + steps : 0;
      const needed = ARRAY_BYTES + length * VALUE_BYTES;
      if (needed >= MEMORY_LIMIT_BYTES) {
        throw fail(
          'ExceededMemoryLimit',
          `$range would use too much memory (${String(needed)} bytes) and cannot spill to disk. Memory limit: ${String(MEMORY_LIMIT_BYTES)} bytes`,
        );
      }
    }
  }
  return expression.$range(document, operand, options);
};

const $concatArrays: ExpressionOperator = (document, operand, options) => {
  const args = evalExpr(document, operand, options);
  if (Array.isArray(args)) {
    let length = 0;
    for (const array of args as unknown[]) if (Array.isArray(array)) length += array.length;
    if (ARRAY_BYTES + length * VALUE_BYTES >= MEMORY_LIMIT_BYTES) {
      throw fail(
        'ExceededMemoryLimit',
        `$concatArrays would use too much memory and cannot spill to disk. Memory limit: ${String(MEMORY_LIMIT_BYTES)} bytes`,
      );
    }
  }
  // Already evaluated: hand mingo the values, quoted, so nothing is evaluated twice.
  return expression.$concatArrays(document, { $literal: args }, options);
};

export const expressionOverrides = {
  $eq: comparison('$eq', (order) => order === 0),
  $ne: comparison('$ne', (order) => order !== 0),
  $gt: comparison('$gt', (order) => order > 0),
  $gte: comparison('$gte', (order) => order >= 0),
  $lt: comparison('$lt', (order) => order < 0),
  $lte: comparison('$lte', (order) => order <= 0),
  $cmp: ((document, operand, options) => {
    const [a, b] = operands(document, operand, options, '$cmp');
    return Math.sign(compareBson(a, b, collationOf(options)?.compare));
  }) as ExpressionOperator,
  $range,
  $concatArrays,
};
