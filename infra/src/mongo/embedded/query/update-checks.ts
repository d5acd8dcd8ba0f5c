/**
 * Checks the server makes before applying update operators, which mingo skips silently (it
 * leaves the document unchanged and reports success): arithmetic on non-numbers, array
 * operators on non-arrays, and paths that cannot be created because a parent is a scalar.
 * Each raises the server's code, so a bad update fails instead of "matching, modifying nothing".
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { formatDocument, formatKeyValue } from '../engine/format-key.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { bsonTypeName } from './bson-type.ts';

/** Operators that create their path when missing (so every parent must be able to hold it). */
const CREATING = new Set([
  '$set',
  '$setOnInsert',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$push',
  '$addToSet',
  '$currentDate',
  '$bit',
]);

/**
 * Paths the server refuses to update (field_checker.cpp isUpdatable, storage validation): empty
 * parts, and `$`-prefixed parts other than the positional `$`, `$[]` and `$[id]`.
 */
export function checkUpdatablePath(path: string): void {
  if (path === '') throw fail('EmptyFieldName', 'An empty update path is not valid.');
  for (const part of path.split('.')) {
    if (part === '') {
      throw fail(
        'EmptyFieldName',
        `The update path '${path}' contains an empty field name, which is not allowed.`,
      );
    }
    if (part.startsWith('$') && !/^\$(\[\w*\])?$/.test(part)) {
      throw fail(
        'DollarPrefixedFieldName',
        `The dollar ($) prefixed field '${part}' in '${path}' is not valid for storage.`,
      );
    }
  }
}

/**
 * Every `$[id]` in the paths has its array filter and every array filter is used, as the server
 * checks before updating anything (update_object_node.cpp, update_driver.cpp).
 */
export function checkArrayFilters(paths: readonly string[], arrayFilters: readonly Document[]) {
  const declared = new Set(arrayFilters.map((filter) => Object.keys(filter)[0]?.split('.')[0]));
  const used = new Set<string>();
  for (const path of paths) {
    for (const [, id] of path.matchAll(/\$\[(\w+)\]/g)) {
      if (!declared.has(id)) {
        throw fail(
          'BadValue',
          `No array filter found for identifier '${String(id)}' in path '${path}'`,
        );
      }
      used.add(id as string);
    }
  }
  for (const id of declared) {
    if (id !== undefined && !used.has(id)) {
      throw fail(
        'FailedToParse',
        `The array filter for identifier '${id}' was not used in the update`,
      );
    }
  }
}

/** Operand checks that do not depend on the document (run once per statement). */
export function checkOperands(ops: Readonly<Record<string, Document>>): void {
  for (const [op, verb] of [
    ['$inc', 'increment'],
    ['$mul', 'multiply'],
  ] as const) {
    for (const [path, operand] of Object.entries(ops[op] ?? {})) {
      if (typeof operand !== 'number') {
        throw fail(
          'TypeMismatch',
          `Cannot ${verb} with non-numeric argument: {${path}: ${formatKeyValue(operand)}}`,
        );
      }
    }
  }
}

/** Throws what applying `ops` to `doc` would violate on the server. */
export function checkApplicable(ops: Readonly<Record<string, Document>>, doc: Document): void {
  for (const [op, fields] of Object.entries(ops)) {
    const paths = op === '$rename' ? Object.values(fields).map(String) : Object.keys(fields);
    for (const path of paths) {
      if (path.split('.').some((part) => part.startsWith('$'))) continue; // positional: mingo resolves
      const leaf =
        CREATING.has(op) || op === '$rename' ? creatableLeaf(doc, path) : existingLeaf(doc, path);
      checkLeaf(op, path, leaf, doc);
    }
  }
}

function checkLeaf(op: string, path: string, leaf: unknown, doc: Document): void {
  if (leaf === undefined) return;
  const field = path.split('.').at(-1) ?? path;
  switch (op) {
    case '$inc':
    case '$mul':
      if (typeof leaf !== 'number') {
        throw fail(
          'TypeMismatch',
          `Cannot apply ${op} to a value of non-numeric type. ${formatDocument({ _id: doc._id })} has the field '${field}' of non-numeric type ${bsonTypeName(leaf)}`,
        );
      }
      return;
    case '$push':
      if (!Array.isArray(leaf)) {
        throw fail(
          'BadValue',
          `The field '${path}' must be an array but is of type ${bsonTypeName(leaf)} in document ${formatDocument({ _id: doc._id })}`,
        );
      }
      return;
    case '$addToSet':
      if (!Array.isArray(leaf)) {
        throw fail(
          'BadValue',
          `Cannot apply $addToSet to non-array field. Field named '${field}' has non-array type ${bsonTypeName(leaf)}`,
        );
      }
      return;
    case '$pull':
    case '$pullAll':
      if (!Array.isArray(leaf)) throw fail('BadValue', `Cannot apply ${op} to a non-array value`);
      return;
    case '$pop':
      if (!Array.isArray(leaf)) {
        throw fail(
          'TypeMismatch',
          `Path '${path}' contains an element of non-array type '${bsonTypeName(leaf)}'`,
        );
      }
      return;
  }
}

/** The current value at `path`, or undefined; throws PathNotViable if a parent is a scalar. */
function creatableLeaf(doc: Document, path: string): unknown {
  const parts = path.split('.');
  let current: unknown = doc;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const next = child(current, part);
    if (next === undefined) {
      // A field cannot be created in an array (`a.b` when `a` is [..]): the server refuses.
      if (Array.isArray(current) && !/^\d+$/.test(part)) {
        throw fail(
          'PathNotViable',
          `Cannot create field '${part}' in element {${parts[i - 1] ?? ''}: ${formatKeyValue(current)}}`,
        );
      }
      return undefined;
    }
    if (i < parts.length - 1 && !isContainer(next)) {
      throw fail(
        'PathNotViable',
        `Cannot create field '${parts[i + 1] ?? ''}' in element {${part}: ${formatKeyValue(next)}}`,
      );
    }
    current = next;
  }
  return current;
}

/** The current value at `path`, or undefined when any part is missing or not a container. */
function existingLeaf(doc: Document, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    current = child(current, part);
    if (current === undefined) return undefined;
  }
  return current;
}

function child(container: unknown, part: string): unknown {
  if (Array.isArray(container)) return /^\d+$/.test(part) ? container[Number(part)] : undefined;
  return isPlainObject(container) ? container[part] : undefined;
}

function isContainer(value: unknown): boolean {
  return Array.isArray(value) || isPlainObject(value);
}
