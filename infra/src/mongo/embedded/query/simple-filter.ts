/**
 * A fast path for the filters applications send most, top-level fields compared with a string,
 * number or boolean (`{_id: 'AAPL', rev: 3}`, `{_id: id, rev: {$lt: 4}}`): writes name the
 * document they change this way, and compiling a mingo query for each statement of a bulk
 * write cost more than the rest of the statement. The fast path decides only where the answer
 * cannot depend on anything subtle: the field missing or null, or a string, number or boolean.
 * Arrays (any element may match), embedded documents and other BSON types are left to the
 * full matcher (undefined), which then decides for that document; so are filters with anything
 * else (dotted paths, other operators, NaN operands, comparisons of strings) and collations.
 * The semantics are the server's, as query/leaf-operators.ts has them: values of different
 * types never compare, a missing field or null matches no string, number or boolean, and NaN
 * is neither greater nor smaller than a number.
 */
import type { Document } from 'bson';
import { isPlainObject } from '../engine/index-keys.ts';

type Operand = string | number | boolean;
type Comparison = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';

/** true or false where the fast path can tell; undefined: ask the full matcher. */
export type SimpleMatcher = (doc: Document) => boolean | undefined;

const COMPARISONS: Readonly<Record<string, Comparison>> = {
  $eq: 'eq',
  $gt: 'gt',
  $gte: 'gte',
  $lt: 'lt',
  $lte: 'lte',
};

const isOperand = (value: unknown): value is Operand =>
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && !Number.isNaN(value));

function compare(value: unknown, op: Comparison, operand: Operand): boolean | undefined {
  if (value === undefined || value === null) return false;
  const type = typeof value;
  if (type !== 'string' && type !== 'number' && type !== 'boolean') return undefined;
  if (type !== typeof operand) return false;
  if (op === 'eq') return value === operand;
  // Only numbers get here (see simpleMatcher); NaN is neither greater nor smaller.
  const number = value as number;
  switch (op) {
    case 'gt':
      return number > (operand as number);
    case 'gte':
      return number >= (operand as number);
    case 'lt':
      return number < (operand as number);
    case 'lte':
      return number <= (operand as number);
  }
}

/** The fast path for `filter`, or undefined when it is not that simple. */
export function simpleMatcher(filter: Document): SimpleMatcher | undefined {
  const tests: [string, Comparison, Operand][] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (field === '' || field.startsWith('$') || field.includes('.')) return undefined;
    if (isOperand(condition)) {
      tests.push([field, 'eq', condition]);
      continue;
    }
    if (!isPlainObject(condition)) return undefined;
    const operators = Object.entries(condition);
    // `{a: {}}` is equality with an empty document; `{a: {b: 1}}` with that document.
    if (operators.length === 0) return undefined;
    for (const [operator, operand] of operators) {
      const op = COMPARISONS[operator];
      if (!op || !isOperand(operand)) return undefined;
      if (op !== 'eq' && typeof operand !== 'number') return undefined;
      tests.push([field, op, operand]);
    }
  }
  return (doc) => {
    for (const [field, op, operand] of tests) {
      const decided = compare(Object.hasOwn(doc, field) ? doc[field] : undefined, op, operand);
      if (decided !== true) return decided;
    }
    return true;
  };
}
