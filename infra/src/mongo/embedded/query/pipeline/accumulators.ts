/**
 * $group accumulators, computed incrementally per group as the server does
 * (src/mongo/db/pipeline/accumulator_*.cpp), rather than by collecting every document of a group
 * first: memory stays what the results need, and the results follow the server's rules:
 * $push and $addToSet skip missing values; $min, $max, $avg and $stdDev* skip null and missing;
 * $first/$last give null for missing; $top/$bottom give one value, $topN/$bottomN/$firstN/... an
 * array. Accumulators this file does not define ($median, $percentile, $covariance*...) are
 * computed by mingo over the group's documents, which are then kept (and counted) for them.
 */
import type { Document } from 'bson';
import { evalExpr } from 'mingo/core';
import * as mingoAccumulators from 'mingo/operators/accumulator';
import { fail } from '../../errors.ts';
import { compareBson } from '../../engine/bson-order.ts';
import { isPlainObject } from '../../engine/index-keys.ts';
import { encodeKey } from '../../engine/key-encoding.ts';
import { withMingo } from '../mingo-errors.ts';
import { setOwn } from '../path.ts';
import { parseSort, sortComparator } from '../sort.ts';
import { collationOf } from '../collation.ts';
import { approximateSize, arrayBudget, type MemoryBudget } from './memory.ts';

type Options = Parameters<typeof evalExpr>[2];

/** One accumulator's state for one group. */
export interface Accumulator {
  add(doc: Document): void;
  result(): unknown;
}

/** Makes a fresh accumulator for each group; `groupKey` is that group's `_id`. */
export type AccumulatorFactory = (groupKey: unknown) => Accumulator;

interface Build {
  readonly operand: unknown;
  readonly options: Options;
  /** The stage's budget: every value an accumulator keeps is charged to it. */
  readonly budget: MemoryBudget;
  readonly name: string;
}

const evaluate = (doc: Document, expression: unknown, options: Options): unknown =>
  withMingo(() => evalExpr(doc, expression, options));

const isNumber = (value: unknown): value is number => typeof value === 'number';

function sum(b: Build): AccumulatorFactory {
  return () => {
    let total = 0;
    return {
      add: (doc) => {
        const value = evaluate(doc, b.operand, b.options);
        if (isNumber(value)) total += value;
      },
      result: () => total,
    };
  };
}

function avg(b: Build): AccumulatorFactory {
  return () => {
    let total = 0;
    let count = 0;
    return {
      add: (doc) => {
        const value = evaluate(doc, b.operand, b.options);
        if (isNumber(value)) {
          total += value;
          count++;
        }
      },
      result: () => (count === 0 ? null : total / count),
    };
  };
}

/** Keeps one value, charging the stage for the one kept (and crediting the one dropped). */
function keeper(budget: MemoryBudget): { keep(value: unknown): void; readonly value: unknown } {
  let kept: unknown;
  let size = 0;
  return {
    keep(value) {
      const next = approximateSize(value);
      budget.add(next - size);
      size = next;
      kept = value;
    },
    get value() {
      return kept;
    },
  };
}

function extreme(b: Build, sign: 1 | -1): AccumulatorFactory {
  return () => {
    const best = keeper(b.budget);
    return {
      add: (doc) => {
        const value = evaluate(doc, b.operand, b.options);
        if (value === undefined || value === null) return;
        const order = compareBson(value, best.value, collationOf(b.options)?.compare);
        if (best.value === undefined || order * sign > 0) best.keep(value);
      },
      result: () => best.value ?? null,
    };
  };
}

function firstOrLast(b: Build, last: boolean): AccumulatorFactory {
  return () => {
    let seen = false;
    const kept = keeper(b.budget);
    return {
      add: (doc) => {
        if (seen && !last) return;
        seen = true;
        kept.keep(evaluate(doc, b.operand, b.options) ?? null);
      },
      result: () => kept.value,
    };
  };
}

function push(b: Build): AccumulatorFactory {
  return () => {
    const values: unknown[] = [];
    const own = arrayBudget(b.name);
    return {
      add: (doc) => {
        const value = evaluate(doc, b.operand, b.options);
        if (value === undefined) return;
        const size = approximateSize(value);
        own.add(size);
        b.budget.add(size);
        values.push(value);
      },
      result: () => values,
    };
  };
}

function addToSet(b: Build): AccumulatorFactory {
  return () => {
    const values = new Map<string, unknown>();
    const own = arrayBudget(b.name);
    return {
      add: (doc) => {
        const value = evaluate(doc, b.operand, b.options);
        if (value === undefined) return;
        const key = encodeKey(value, collationOf(b.options)?.key);
        if (values.has(key)) return;
        const size = approximateSize(value) + key.length * 2;
        own.add(size);
        b.budget.add(size);
        values.set(key, value);
      },
      result: () => [...values.values()],
    };
  };
}

function count(b: Build): AccumulatorFactory {
  if (!isPlainObject(b.operand) || Object.keys(b.operand).length > 0)
    throw fail('Location4544702', '$count takes no arguments, i.e. $count:{}');
  return () => {
    let n = 0;
    return {
      add: () => {
        n++;
      },
      result: () => n,
    };
  };
}

function mergeObjects(b: Build): AccumulatorFactory {
  return () => {
    const merged: Record<string, unknown> = {};
    return {
      add: (doc) => {
        const value = evaluate(doc, b.operand, b.options);
        if (value === undefined || value === null) return;
        if (!isPlainObject(value)) {
          throw fail(
            'Location40400',
            `$mergeObjects requires object inputs, but input ${JSON.stringify(value)} is of type ${typeof value}`,
          );
        }
        for (const key of Object.keys(value)) {
          if (value[key] === undefined) continue;
          if (!Object.hasOwn(merged, key)) b.budget.add(approximateSize(value[key]));
          setOwn(merged, key, value[key]);
        }
      },
      result: () => merged,
    };
  };
}

/** Welford's running variance: exact and stable in one pass. */
function stdDev(b: Build, sample: boolean): AccumulatorFactory {
  return () => {
    let n = 0;
    let mean = 0;
    let squares = 0;
    return {
      add: (doc) => {
        const value = evaluate(doc, b.operand, b.options);
        if (!isNumber(value)) return;
        n++;
        const delta = value - mean;
        mean += delta / n;
        squares += delta * (value - mean);
      },
      result: () => {
        const divisor = sample ? n - 1 : n;
        return divisor <= 0 ? null : Math.sqrt(squares / divisor);
      },
    };
  };
}

/** {input, n} (firstN, lastN, maxN, minN) or {sortBy, output[, n]} (top, bottom, topN, bottomN). */
function operandObject(b: Build, fields: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(b.operand))
    throw fail('Location5787801', `specification must be an object; found ${typeof b.operand}`);
  for (const field of Object.keys(b.operand)) {
    if (!fields.includes(field))
      throw fail('Location5787901', `Unknown argument for '${b.name}' accumulator: ${field}`);
  }
  return b.operand;
}

function nOf(b: Build, spec: Record<string, unknown>, groupKey: unknown): number {
  const n = evaluate({ _id: groupKey }, spec.n, b.options);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw fail('Location5787908', `'n' must be greater than 0, found ${String(n)}`);
  return n;
}

function firstOrLastN(b: Build, last: boolean): AccumulatorFactory {
  const spec = operandObject(b, ['input', 'n']);
  return (groupKey) => {
    const n = nOf(b, spec, groupKey);
    const values: unknown[] = [];
    return {
      add: (doc) => {
        if (!last && values.length >= n) return;
        const value = evaluate(doc, spec.input, b.options) ?? null;
        b.budget.add(approximateSize(value));
        values.push(value);
        if (last && values.length > n) values.shift();
      },
      result: () => values,
    };
  };
}

function extremeN(b: Build, sign: 1 | -1): AccumulatorFactory {
  const spec = operandObject(b, ['input', 'n']);
  return (groupKey) => {
    const n = nOf(b, spec, groupKey);
    let values: unknown[] = [];
    return {
      add: (doc) => {
        const value = evaluate(doc, spec.input, b.options);
        if (value === undefined || value === null) return;
        b.budget.add(approximateSize(value));
        values.push(value);
        if (values.length > 2 * n) values = best(values, n, sign, b.options);
      },
      result: () => best(values, n, sign, b.options),
    };
  };
}

function best(values: unknown[], n: number, sign: 1 | -1, options: Options): unknown[] {
  const strings = collationOf(options)?.compare;
  return values.sort((a, b) => compareBson(b, a, strings) * sign).slice(0, n);
}

/** $top/$bottom(N): the output of the first (last) documents in `sortBy` order. */
function ranked(b: Build, bottom: boolean, many: boolean): AccumulatorFactory {
  const spec = operandObject(b, many ? ['n', 'sortBy', 'output'] : ['sortBy', 'output']);
  const sort = parseSort(spec.sortBy, collationOf(b.options));
  if (!sort) throw fail('Location5788604', `${b.name} requires a sortBy specification`);
  const compare = sortComparator(sort);
  return (groupKey) => {
    const n = many ? nOf(b, spec, groupKey) : 1;
    let kept: { doc: Document; output: unknown }[] = [];
    const order = (x: { doc: Document }, y: { doc: Document }) =>
      bottom ? compare(y.doc, x.doc) : compare(x.doc, y.doc);
    return {
      add: (doc) => {
        const output = evaluate(doc, spec.output, b.options) ?? null;
        b.budget.add(approximateSize(output));
        kept.push({ doc, output });
        if (kept.length > 2 * n) kept = kept.sort(order).slice(0, n);
      },
      result: () => {
        const outputs = kept
          .sort(order)
          .slice(0, n)
          .map((entry) => entry.output);
        return many ? outputs : (outputs[0] ?? null);
      },
    };
  };
}

/** Any other accumulator: mingo's, over the group's documents. */
function delegated(b: Build, operator: string): AccumulatorFactory {
  const implementation = (mingoAccumulators as Record<string, unknown>)[operator];
  if (typeof implementation !== 'function')
    throw fail('Location15952', `unknown group operator '${operator}'`);
  const run = implementation as (docs: Document[], operand: unknown, options: Options) => unknown;
  return () => {
    const docs: Document[] = [];
    return {
      add: (doc) => {
        b.budget.add(approximateSize(doc));
        docs.push(doc);
      },
      result: () => withMingo(() => run(docs, b.operand, b.options)),
    };
  };
}

const BUILDERS: Readonly<Record<string, (b: Build) => AccumulatorFactory>> = {
  $sum: sum,
  $avg: avg,
  $min: (b) => extreme(b, -1),
  $max: (b) => extreme(b, 1),
  $first: (b) => firstOrLast(b, false),
  $last: (b) => firstOrLast(b, true),
  $push: push,
  $addToSet: addToSet,
  $count: count,
  $mergeObjects: mergeObjects,
  $stdDevPop: (b) => stdDev(b, false),
  $stdDevSamp: (b) => stdDev(b, true),
  $firstN: (b) => firstOrLastN(b, false),
  $lastN: (b) => firstOrLastN(b, true),
  $maxN: (b) => extremeN(b, 1),
  $minN: (b) => extremeN(b, -1),
  $top: (b) => ranked(b, false, false),
  $bottom: (b) => ranked(b, true, false),
  $topN: (b) => ranked(b, false, true),
  $bottomN: (b) => ranked(b, true, true),
};

/** The factory for one output field of a $group: `{field: {$op: operand}}`. */
export function accumulatorFor(
  field: string,
  spec: unknown,
  options: Options,
  budget: MemoryBudget,
): AccumulatorFactory {
  if (field.includes('.'))
    throw fail('Location40235', `The field name '${field}' cannot contain '.'`);
  if (!isPlainObject(spec) || Object.keys(spec).length !== 1)
    throw fail('Location40238', `The field '${field}' must specify one accumulator`);
  const operator = Object.keys(spec)[0] as string;
  if (operator === '$accumulator') {
    throw fail(
      'NotImplemented',
      '$accumulator is not supported by the embedded MongoDB server (it runs no JavaScript)',
    );
  }
  const build: Build = { operand: spec[operator], options, budget, name: operator };
  return (BUILDERS[operator] ?? ((b: Build) => delegated(b, operator)))(build);
}
