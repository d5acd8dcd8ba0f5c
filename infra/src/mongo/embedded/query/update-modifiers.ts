/**
 * The update operators as the server implements them (one class per operator under
 * src/mongo/db/update/: set_node, unset_node, arithmetic_node, compare_node, current_date_node,
 * push_node, addtoset_node, pop_node, pull_node, pullall_node, bit_node, rename_node):
 * operands checked once when the update is parsed (`init`), then applied to the value found at
 * one concrete path, which may be missing. Each application returns the new value, REMOVE
 * (the field goes away) or NOOP (nothing changes; counted as not modified).
 */
import { Timestamp, type Document } from 'bson';
import { fail } from '../errors.ts';
import { compareBson } from '../engine/bson-order.ts';
import { formatDocument, formatKeyValue } from '../engine/format-key.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { encodeKey, sameKey } from '../engine/key-encoding.ts';
import { bsonTypeName } from './bson-type.ts';
import { compileFilter, type Matcher } from './matcher.ts';
import { arrayPosition, pathParts, valueAt } from './path.ts';

export const NOOP: unique symbol = Symbol('noop');
export const REMOVE: unique symbol = Symbol('remove');
export type Outcome = typeof NOOP | typeof REMOVE | { readonly value: unknown };

export interface LeafTarget {
  /** The concrete dotted path being updated (`rules.1.low`), for messages. */
  readonly path: string;
  /** The whole document as it was before the update. */
  readonly doc: Document;
  /** The field name of the innermost array on the way to this path, if any. */
  readonly arrayField: string | undefined;
  readonly now: Date;
}

export interface Modifier {
  readonly op: string;
  /** Whether a missing path is created ($set, $inc, ...); other operators leave it missing. */
  readonly creates: boolean;
  /** `current` is undefined when the path is missing. */
  apply(current: unknown, target: LeafTarget): Outcome;
}

const set = (value: unknown): Outcome => ({ value });

/** Equal as stored values: same BSON value, and for documents the same fields in the same order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === typeof b && Number.isNaN(a) && Number.isNaN(b);
  }
  return sameKey(a, b);
}

function idOf(doc: Document): string {
  return formatDocument({ _id: doc._id });
}

function lastPart(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

function setModifier(op: '$set' | '$setOnInsert', operand: unknown): Modifier {
  return {
    op,
    creates: true,
    apply: (current) =>
      current !== undefined && sameValue(current, operand) ? NOOP : set(operand),
  };
}

const unsetModifier: Modifier = {
  op: '$unset',
  creates: false,
  apply: (current) => (current === undefined ? NOOP : REMOVE),
};

function arithmeticModifier(op: '$inc' | '$mul', operand: unknown, path: string): Modifier {
  if (typeof operand !== 'number') {
    throw fail(
      'TypeMismatch',
      `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${formatKeyValue(operand)}}`,
    );
  }
  return {
    op,
    creates: true,
    apply: (current, target) => {
      if (current === undefined) return set(op === '$inc' ? operand : 0);
      if (typeof current !== 'number') {
        throw fail(
          'TypeMismatch',
          `Cannot apply ${op} to a value of non-numeric type. ${idOf(target.doc)} has the field '${lastPart(target.path)}' of non-numeric type ${bsonTypeName(current)}`,
        );
      }
      const result = op === '$inc' ? current + operand : current * operand;
      return Object.is(result, current) ? NOOP : set(result);
    },
  };
}

function compareModifier(op: '$min' | '$max', operand: unknown): Modifier {
  return {
    op,
    creates: true,
    apply: (current) => {
      if (current === undefined) return set(operand);
      const order = compareBson(operand, current);
      return (op === '$min' ? order < 0 : order > 0) ? set(operand) : NOOP;
    },
  };
}

function currentDateModifier(operand: unknown, path: string): Modifier {
  let timestamp = false;
  if (isPlainObject(operand)) {
    const type = operand.$type;
    if (Object.keys(operand).length !== 1 || (type !== 'date' && type !== 'timestamp')) {
      throw fail(
        'BadValue',
        "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}",
      );
    }
    timestamp = type === 'timestamp';
  } else if (typeof operand !== 'boolean') {
    throw fail(
      'BadValue',
      `${path} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`,
    );
  }
  return {
    op: '$currentDate',
    creates: true,
    apply: (_current, target) =>
      set(
        timestamp
          ? new Timestamp({ t: Math.floor(target.now.getTime() / 1000), i: 1 })
          : new Date(target.now.getTime()),
      ),
  };
}

/** A whole-number clause ($slice, $position, $pop): integral doubles count, as on the server. */
function integerClause(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

interface PushSpec {
  readonly values: readonly unknown[];
  readonly position?: number;
  readonly slice?: number;
  readonly sort?: (a: unknown, b: unknown) => number;
}

function parsePush(operand: unknown): PushSpec {
  if (!isPlainObject(operand) || !('$each' in operand)) return { values: [operand] };
  const clauses = new Set(['$each', '$slice', '$sort', '$position']);
  for (const clause of Object.keys(operand)) {
    if (!clauses.has(clause)) throw fail('BadValue', `Unrecognized clause in $push: ${clause}`);
  }
  const each = operand.$each;
  if (!Array.isArray(each)) {
    throw fail(
      'BadValue',
      `The argument to $each in $push must be an array but it was of type: ${bsonTypeName(each)}`,
    );
  }
  const spec: { values: unknown[]; position?: number; slice?: number; sort?: PushSpec['sort'] } = {
    values: each as unknown[],
  };
  if (operand.$slice !== undefined) {
    spec.slice = integerClause(operand.$slice);
    if (spec.slice === undefined) {
      throw fail(
        'BadValue',
        `The value for $slice must be an integer value but was given type: ${bsonTypeName(operand.$slice)}`,
      );
    }
  }
  if (operand.$position !== undefined) {
    spec.position = integerClause(operand.$position);
    if (spec.position === undefined) {
      throw fail(
        'BadValue',
        `The value for $position must be an integer value, not of type: ${bsonTypeName(operand.$position)}`,
      );
    }
  }
  if (operand.$sort !== undefined) spec.sort = pushSortOrder(operand.$sort);
  return spec;
}

/** push_sorter.h PatternElementCmp: whole elements for 1/-1, else the pattern's fields (null when missing). */
function pushSortOrder(pattern: unknown): (a: unknown, b: unknown) => number {
  if (pattern === 1 || pattern === -1) return (a, b) => compareBson(a, b) * pattern;
  if (!isPlainObject(pattern)) {
    throw fail(
      'BadValue',
      'The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields',
    );
  }
  const fields = Object.entries(pattern);
  if (fields.length === 0)
    throw fail('BadValue', 'The $sort pattern is empty when it should be a set of fields.');
  const keys = fields.map(([path, direction]) => {
    if (direction !== 1 && direction !== -1)
      throw fail('BadValue', 'The $sort element value must be either 1 or -1');
    if (path.split('.').some((part) => part === '')) {
      throw fail('BadValue', `The $sort field is a dotted field but has an empty part: ${path}`);
    }
    return { parts: pathParts(path), direction };
  });
  const keyOf = (element: unknown, parts: readonly string[]) =>
    isPlainObject(element) ? (valueAt(element, parts) ?? null) : null;
  return (a, b) => {
    for (const { parts, direction } of keys) {
      const order = compareBson(keyOf(a, parts), keyOf(b, parts));
      if (order !== 0) return order * direction;
    }
    return 0;
  };
}

function pushModifier(operand: unknown): Modifier {
  const spec = parsePush(operand);
  const push = (array: readonly unknown[]): unknown[] => {
    const out = [...array];
    const size = out.length;
    const position = spec.position;
    let at = size;
    if (position !== undefined) {
      if (position >= 0) at = Math.min(position, size);
      else at = -position < size ? size + position : 0;
    }
    out.splice(at, 0, ...spec.values);
    if (spec.sort) out.sort(spec.sort);
    if (spec.slice !== undefined && out.length > Math.abs(spec.slice)) {
      return spec.slice >= 0 ? out.slice(0, spec.slice) : out.slice(out.length + spec.slice);
    }
    return out;
  };
  return {
    op: '$push',
    creates: true,
    apply: (current, target) => {
      if (current === undefined) return set(push([]));
      if (!Array.isArray(current)) {
        throw fail(
          'BadValue',
          `The field '${target.path}' must be an array but is of type ${bsonTypeName(current)} in document ${idOf(target.doc)}`,
        );
      }
      const next = push(current);
      return sameValue(next, current) ? NOOP : set(next);
    },
  };
}

function addToSetModifier(operand: unknown): Modifier {
  let values: unknown[] = [operand];
  if (isPlainObject(operand) && '$each' in operand) {
    const extra = Object.keys(operand).filter((key) => key !== '$each');
    if (extra.length > 0) {
      throw fail(
        'BadValue',
        `Found unexpected fields after $each in $addToSet: ${formatDocument(operand)}`,
      );
    }
    if (!Array.isArray(operand.$each)) {
      throw fail(
        'TypeMismatch',
        `The argument to $each in $addToSet must be an array but it was of type ${bsonTypeName(operand.$each)}`,
      );
    }
    values = operand.$each as unknown[];
  }
  const unique = new Map<string, unknown>();
  for (const value of values)
    if (!unique.has(encodeKey(value))) unique.set(encodeKey(value), value);
  return {
    op: '$addToSet',
    creates: true,
    apply: (current, target) => {
      if (current === undefined) return set([...unique.values()]);
      if (!Array.isArray(current)) {
        throw fail(
          'BadValue',
          `Cannot apply $addToSet to non-array field. Field named '${lastPart(target.path)}' has non-array type ${bsonTypeName(current)}`,
        );
      }
      const present = new Set((current as unknown[]).map((value) => encodeKey(value)));
      const added = [...unique].filter(([key]) => !present.has(key)).map(([, value]) => value);
      return added.length === 0 ? NOOP : set([...(current as unknown[]), ...added]);
    },
  };
}

function popModifier(operand: unknown, path: string): Modifier {
  const direction = integerClause(operand);
  if (direction === undefined)
    throw fail('FailedToParse', `Expected a number in: ${path}: ${formatKeyValue(operand)}`);
  if (direction !== 1 && direction !== -1)
    throw fail('FailedToParse', `$pop expects 1 or -1, found: ${String(direction)}`);
  return {
    op: '$pop',
    creates: false,
    apply: (current, target) => {
      if (current === undefined) return NOOP;
      if (!Array.isArray(current)) {
        throw fail(
          'TypeMismatch',
          `Path '${target.path}' contains an element of non-array type '${bsonTypeName(current)}'`,
        );
      }
      if (current.length === 0) return NOOP;
      return set(direction === 1 ? current.slice(0, -1) : current.slice(1));
    },
  };
}

/** Query operators that take a path (parsePathAcceptingKeyword); $and/$or/$nor/$expr do not. */
const LOGICAL_KEYWORDS = new Set(['$and', '$or', '$nor', '$expr', '$where', '$text', '$comment']);

/**
 * pull_node.cpp: a document whose first field is not a path operator is a query the element
 * (a document) must match; an operator document or a regex is matched against the element
 * itself; anything else is compared for equality.
 */
function pullMatcher(operand: unknown): (element: unknown) => boolean {
  if (isPlainObject(operand)) {
    const first = Object.keys(operand)[0];
    if (first === undefined || !first.startsWith('$') || LOGICAL_KEYWORDS.has(first)) {
      const matches = compileFilter(operand);
      return (element) => isPlainObject(element) && matches(element);
    }
    return wrapped({ element: operand });
  }
  if (
    operand instanceof RegExp ||
    (operand as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp'
  )
    return wrapped({ element: operand });
  const key = encodeKey(operand);
  return (element) => encodeKey(element) === key;
}

function wrapped(filter: Document): (element: unknown) => boolean {
  const matches: Matcher = compileFilter(filter);
  return (element) => matches({ element });
}

function cullingModifier(
  op: '$pull' | '$pullAll',
  matches: (element: unknown) => boolean,
): Modifier {
  return {
    op,
    creates: false,
    apply: (current) => {
      if (current === undefined) return NOOP;
      if (!Array.isArray(current))
        throw fail('BadValue', `Cannot apply ${op} to a non-array value`);
      const kept = (current as unknown[]).filter((element) => !matches(element));
      return kept.length === current.length ? NOOP : set(kept);
    },
  };
}

function pullAllModifier(operand: unknown): Modifier {
  if (!Array.isArray(operand)) {
    throw fail(
      'BadValue',
      `$pullAll requires an array argument but was given a ${bsonTypeName(operand)}`,
    );
  }
  const keys = new Set((operand as unknown[]).map((value) => encodeKey(value)));
  return cullingModifier('$pullAll', (element) => keys.has(encodeKey(element)));
}

function bitModifier(operand: unknown): Modifier {
  if (!isPlainObject(operand)) {
    throw fail(
      'BadValue',
      `The $bit modifier is not compatible with a ${bsonTypeName(operand)}. You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}`,
    );
  }
  const operations = Object.entries(operand).map(([name, value]) => {
    if (name !== 'and' && name !== 'or' && name !== 'xor') {
      throw fail(
        'BadValue',
        `The $bit modifier only supports 'and', 'or', and 'xor', not '${name}' which is an unknown operator: {${name}: ${formatKeyValue(value)}}`,
      );
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw fail(
        'BadValue',
        `The $bit modifier field must be an Integer(32/64 bit); a '${bsonTypeName(value)}' is not supported here: {${name}: ${formatKeyValue(value)}}`,
      );
    }
    return { name, value: BigInt(value) };
  });
  if (operations.length === 0) {
    throw fail(
      'BadValue',
      'You must pass in at least one bitwise operation. The format is: {$bit: {field: {and/or/xor: #}}',
    );
  }
  return {
    op: '$bit',
    creates: true,
    apply: (current, target) => {
      if (current !== undefined && (typeof current !== 'number' || !Number.isInteger(current))) {
        throw fail(
          'BadValue',
          `Cannot apply $bit to a value of non-integral type.${idOf(target.doc)} has the field ${lastPart(target.path)} of non-integer type ${bsonTypeName(current)}`,
        );
      }
      let result = BigInt(current ?? 0);
      for (const { name, value } of operations) {
        result = name === 'and' ? result & value : name === 'or' ? result | value : result ^ value;
      }
      const next = Number(BigInt.asIntN(64, result));
      return current !== undefined && next === current ? NOOP : set(next);
    },
  };
}

/**
 * `$rename` at its destination: reads the source from the original document (no other update
 * may touch it: the source path is reserved in the update tree) and sets it here; the source's
 * own node removes it. Renaming into or out of an array element is refused, as on the server.
 */
function renameModifier(from: string, to: string): Modifier {
  const fromParts = pathParts(from);
  return {
    op: '$rename',
    creates: true,
    apply: (_current, target) => {
      const source = renameSource(target.doc, fromParts, from);
      if (source === undefined) return NOOP;
      if (target.arrayField !== undefined) {
        throw fail(
          'BadValue',
          `The destination field cannot be an array element, '${to}' in doc with _id: ${formatKeyValue(target.doc._id)} has an array field called '${target.arrayField}'`,
        );
      }
      return set(source);
    },
  };
}

/**
 * The value `$rename` moves, or undefined when the source is missing (a no-op). A source
 * reached through a scalar is PathNotViable, through an array element BadValue
 * (rename_node.cpp, path_support.cpp findLongestPrefix).
 */
function renameSource(doc: Document, parts: readonly string[], from: string): unknown {
  let current: unknown = doc;
  let arrayField: string | undefined;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const position = Array.isArray(current) ? arrayPosition(part) : -1;
    if (position >= 0) {
      arrayField = parts[i - 1];
      current = (current as unknown[])[position];
    } else if (isPlainObject(current)) {
      current = current[part];
    } else {
      throw fail(
        'PathNotViable',
        `cannot use the part (${parts[i - 1] ?? part} of ${from}) to traverse the element ({${parts[i - 1] ?? ''}: ${formatKeyValue(current)}})`,
      );
    }
    if (current === undefined) return undefined;
  }
  if (arrayField !== undefined) {
    throw fail(
      'BadValue',
      `The source field cannot be an array element, '${from}' in doc with _id: ${formatKeyValue(doc._id)} has an array field called '${arrayField}'`,
    );
  }
  return current;
}

/** The reserved source of a `$rename`: removes the field once the destination has it. */
export function renameSourceModifier(from: string): Modifier {
  const fromParts = pathParts(from);
  return {
    op: '$rename',
    creates: false,
    apply: (current, target) =>
      current === undefined || renameSource(target.doc, fromParts, from) === undefined
        ? NOOP
        : REMOVE,
  };
}

/** Builds the modifier for `op` at `path` from its operand (the server's `init` checks). */
export function makeModifier(op: string, path: string, operand: unknown): Modifier {
  switch (op) {
    case '$set':
    case '$setOnInsert':
      return setModifier(op, operand);
    case '$unset':
      return unsetModifier;
    case '$inc':
    case '$mul':
      return arithmeticModifier(op, operand, path);
    case '$min':
    case '$max':
      return compareModifier(op, operand);
    case '$currentDate':
      return currentDateModifier(operand, path);
    case '$push':
      return pushModifier(operand);
    case '$addToSet':
      return addToSetModifier(operand);
    case '$pop':
      return popModifier(operand, path);
    case '$pull':
      return cullingModifier('$pull', pullMatcher(operand));
    case '$pullAll':
      return pullAllModifier(operand);
    case '$bit':
      return bitModifier(operand);
    case '$rename':
      if (typeof operand !== 'string') {
        throw fail(
          'BadValue',
          `The 'to' field for $rename must be a string: ${path}: ${formatKeyValue(operand)}`,
        );
      }
      return renameModifier(path, operand);
    default:
      throw fail('FailedToParse', `Unknown modifier: ${op}`);
  }
}
