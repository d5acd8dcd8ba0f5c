/**
 * Update operators as one tree, parsed and applied the way the server does it
 * (src/mongo/db/update/update_object_node.cpp, update_array_node.cpp):
 *
 *  - Parsing puts every operator's paths into one tree: an object node per path part, an array
 *    node above `$[]`/`$[id]` parts, a leaf (the operator) at the end. Two leaves on one path,
 *    or a leaf on a path another path continues below, is ConflictingUpdateOperators (40);
 *    two different fields under one array element (`rules.$.low` and `rules.$.updatedAt`,
 *    which mongoose timestamps send) are not a conflict.
 *  - Applying walks the tree and the document together, visiting each node's children in field
 *    name order, so the fields an update creates are appended in that order whichever operator
 *    created them. The positional `$` is the array position the query matched; `$[]` applies to
 *    every element and `$[id]` to those its array filter matches; when several of them (or a
 *    position and `$`) reach one element, their subtrees are merged, and two leaves meeting
 *    there is "Update created a conflict" (40).
 *
 * Documents are never changed in place: a changed container is copied once and every untouched
 * subtree is shared with the original (stored documents are frozen).
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import { formatDocument, formatKeyValue } from '../engine/format-key.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import type { Matcher } from './matcher.ts';
import { arrayPosition, pathParts, setOwn } from './path.ts';
import {
  makeModifier,
  NOOP,
  REMOVE,
  renameSourceModifier,
  type LeafTarget,
  type Modifier,
} from './update-modifiers.ts';

interface ObjectNode {
  readonly kind: 'object';
  readonly children: Map<string, UpdateNode>;
  positional?: UpdateNode;
}

interface ArrayNode {
  readonly kind: 'array';
  /** By array filter identifier; '' is `$[]` (every element). */
  readonly children: Map<string, UpdateNode>;
}

interface LeafNode {
  readonly kind: 'leaf';
  readonly modifier: Modifier;
  /** Leaves of `$setOnInsert` act only when an upsert inserts. */
  readonly onInsertOnly: boolean;
}

type UpdateNode = ObjectNode | ArrayNode | LeafNode;

export interface UpdateTree {
  readonly root: ObjectNode;
  /** Whether some path uses the positional `$` (the caller must find the matched position). */
  readonly positional: boolean;
  /** The paths written, as given ($rename: both ends), for immutable-field messages. */
  readonly paths: readonly string[];
}

const isPositional = (part: string) => part === '$';

/**
 * The order children are visited in, hence the order created fields are appended in: by name,
 * numeric names numerically (update_object_node.cpp, MongoDB ≥ 5.0).
 */
function compareFieldNames(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
const isArrayFilter = (part: string) =>
  part.length >= 3 && part.startsWith('$[') && part.endsWith(']');

/** Parses `{$op: {path: operand}}` into one tree; `arrayFilterIds` are the statement's filters. */
export function parseUpdateTree(
  update: Readonly<Record<string, Document>>,
  arrayFilterIds: ReadonlySet<string>,
): UpdateTree {
  const root: ObjectNode = { kind: 'object', children: new Map() };
  const used = new Set<string>();
  const paths: string[] = [];
  let positional = false;
  const add = (path: string, leaf: LeafNode) => {
    positional = addPath(root, path, leaf, arrayFilterIds, used) || positional;
    paths.push(path);
  };
  for (const [op, fields] of Object.entries(update)) {
    for (const [path, operand] of Object.entries(fields)) {
      if (op === '$rename') {
        add(path, { kind: 'leaf', modifier: renameSourceModifier(path), onInsertOnly: false });
        const modifier = makeModifier(op, path, operand);
        checkRename(path, operand as string);
        add(operand as string, { kind: 'leaf', modifier, onInsertOnly: false });
      } else {
        const modifier = makeModifier(op, path, operand);
        add(path, { kind: 'leaf', modifier, onInsertOnly: op === '$setOnInsert' });
      }
    }
  }
  for (const id of arrayFilterIds) {
    if (!used.has(id)) {
      throw fail(
        'FailedToParse',
        `The array filter for identifier '${id}' was not used in the update ${formatDocument(update)}`,
      );
    }
  }
  return { root, positional, paths };
}

/** update_object_node.cpp parseAndMerge: path checks, then the path's nodes, then the leaf. */
function addPath(
  root: ObjectNode,
  path: string,
  leaf: LeafNode,
  arrayFilterIds: ReadonlySet<string>,
  used: Set<string>,
): boolean {
  const parts = checkUpdatablePath(path);
  const positions = parts.flatMap((part, i) => (isPositional(part) ? [i] : []));
  if (positions.length > 1)
    throw fail('BadValue', `Too many positional (i.e. '$') elements found in path '${path}'`);
  if (positions[0] === 0) {
    throw fail(
      'BadValue',
      `Cannot have positional (i.e. '$') element in the first position in path '${path}'`,
    );
  }
  const names = parts.map((part, i) => {
    if (!isArrayFilter(part)) return part;
    if (i === 0) {
      throw fail(
        'BadValue',
        `Cannot have array filter identifier (i.e. '$[<id>]') element in the first position in path '${path}'`,
      );
    }
    const id = part.slice(2, -1);
    if (id !== '' && !arrayFilterIds.has(id)) {
      throw fail('BadValue', `No array filter found for identifier '${id}' in path '${path}'`);
    }
    if (id !== '') used.add(id);
    return id;
  });
  let current: ObjectNode | ArrayNode = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const name = names[i] as string;
    const wantArray = isArrayFilter(parts[i + 1] as string);
    const child = getChild(current, name);
    if (child) {
      if (child.kind === 'leaf' || child.kind !== (wantArray ? 'array' : 'object'))
        throw conflict(path, parts, i);
      current = child;
    } else {
      const created: ObjectNode | ArrayNode = wantArray
        ? { kind: 'array', children: new Map() }
        : { kind: 'object', children: new Map() };
      setChild(current, name, created);
      current = created;
    }
  }
  const last = names[names.length - 1] as string;
  if (getChild(current, last)) throw conflict(path, parts, parts.length - 1);
  setChild(current, last, leaf);
  return positions.length > 0;
}

function conflict(path: string, parts: readonly string[], upTo: number) {
  return fail(
    'ConflictingUpdateOperators',
    `Updating the path '${path}' would create a conflict at '${parts.slice(0, upTo + 1).join('.')}'`,
  );
}

function getChild(node: ObjectNode | ArrayNode, name: string): UpdateNode | undefined {
  if (node.kind === 'object' && isPositional(name)) return node.positional;
  return node.children.get(name);
}

function setChild(node: ObjectNode | ArrayNode, name: string, child: UpdateNode): void {
  if (node.kind === 'object' && isPositional(name)) node.positional = child;
  else node.children.set(name, child);
}

/** field_checker.cpp isUpdatable: no empty path and no empty part. */
export function checkUpdatablePath(path: string): readonly string[] {
  if (path === '') throw fail('EmptyFieldName', 'An empty update path is not valid.');
  const parts = pathParts(path);
  if (parts.includes('')) {
    throw fail(
      'EmptyFieldName',
      `The update path '${path}' contains an empty field name, which is not allowed.`,
    );
  }
  return parts;
}

/** rename_node.cpp init: distinct, unrelated, static paths. */
function checkRename(from: string, to: string): void {
  checkUpdatablePath(to);
  const spec = `${from}: ${formatKeyValue(to)}`;
  if (from === to)
    throw fail('BadValue', `The source and target field for $rename must differ: ${spec}`);
  if (to.startsWith(`${from}.`) || from.startsWith(`${to}.`)) {
    throw fail(
      'BadValue',
      `The source and target field for $rename must not be on the same path: ${spec}`,
    );
  }
  for (const [label, path] of [
    ['source', from],
    ['destination', to],
  ] as const) {
    if (pathParts(path).some((part) => isPositional(part) || isArrayFilter(part))) {
      throw fail('BadValue', `The ${label} field for $rename may not be dynamic: ${path}`);
    }
  }
}

export interface ApplyOptions {
  /** The array position the query matched, for `$` (as a field name: "2"). */
  readonly matchedField?: string;
  readonly arrayFilters: ReadonlyMap<string, Matcher>;
  /** An upsert inserting: `$setOnInsert` applies. */
  readonly inserting: boolean;
  readonly now: Date;
}

/** The updated document (the original itself when nothing changed). */
export function applyUpdateTree(tree: UpdateTree, doc: Document, options: ApplyOptions): Document {
  return applyObjectNode(tree.root, doc, { doc, options }, { path: [] }) as Document;
}

interface Walk {
  readonly doc: Document;
  readonly options: ApplyOptions;
}

/** Where the walk stands in the document. */
interface At {
  /** The concrete path so far (`$` and `$[id]` resolved to positions). */
  readonly path: readonly string[];
  /** Why a missing field here cannot be created: its parent is a scalar, or an array. */
  readonly blocked?: string;
  /** The field name of the innermost array crossed. */
  readonly arrayField?: string;
}

const below = (at: At, field: string, blocked?: string, arrayField = at.arrayField): At => ({
  path: [...at.path, field],
  blocked,
  arrayField,
});

function applyNode(node: UpdateNode, value: unknown, walk: Walk, at: At): unknown {
  switch (node.kind) {
    case 'leaf':
      return applyLeaf(node, value, walk, at);
    case 'object':
      return applyObjectNode(node, value, walk, at);
    case 'array':
      return applyArrayNode(node, value, walk, at);
  }
}

function applyLeaf(leaf: LeafNode, value: unknown, walk: Walk, at: At): unknown {
  if (leaf.onInsertOnly && !walk.options.inserting) return value;
  if (value === undefined) {
    if (!leaf.modifier.creates) return value;
    if (at.blocked !== undefined) throw fail('PathNotViable', at.blocked);
  }
  const target: LeafTarget = {
    path: at.path.join('.'),
    doc: walk.doc,
    arrayField: at.arrayField,
    now: walk.options.now,
  };
  const outcome = leaf.modifier.apply(value, target);
  if (outcome === NOOP) return value;
  if (outcome === REMOVE) return REMOVE;
  const [top = ''] = at.path;
  if (at.path.length === 1 && top.startsWith('$')) {
    throw fail(
      'DollarPrefixedFieldName',
      `The dollar ($) prefixed field '${top}' in '${top}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
    );
  }
  return outcome.value;
}

/** The children to visit, in field-name order, with `$` placed (and merged) at its position. */
function orderedChildren(node: ObjectNode, walk: Walk, at: At): [string, UpdateNode][] {
  const entries = [...node.children];
  if (node.positional) {
    const matched = walk.options.matchedField;
    if (matched === undefined) {
      throw fail(
        'BadValue',
        'The positional operator did not find the match needed from the query.',
      );
    }
    const same = node.children.get(matched);
    const positional = same
      ? mergeNodes(node.positional, same, [...at.path, matched])
      : node.positional;
    const others = entries.filter(([name]) => name !== matched);
    others.push([matched, positional]);
    return others.sort(([a], [b]) => compareFieldNames(a, b));
  }
  return entries.length > 1 ? entries.sort(([a], [b]) => compareFieldNames(a, b)) : entries;
}

function cannotCreate(field: string, at: At, value: unknown): string {
  return `Cannot create field '${field}' in element {${at.path[at.path.length - 1] ?? ''}: ${formatKeyValue(value)}}`;
}

function applyObjectNode(node: ObjectNode, value: unknown, walk: Walk, at: At): unknown {
  const children = orderedChildren(node, walk, at);
  if (isPlainObject(value) || value === undefined) {
    // A missing object is built only if a child creates something (all of the path or none).
    const source: Record<string, unknown> = value ?? {};
    let out: Record<string, unknown> | undefined;
    for (const [field, child] of children) {
      const current = Object.hasOwn(source, field) ? source[field] : undefined;
      const next = applyNode(
        child,
        current,
        walk,
        below(at, field, value === undefined ? at.blocked : undefined),
      );
      if (next === current || (next === REMOVE && current === undefined)) continue;
      out ??= { ...source };
      if (next === REMOVE) Reflect.deleteProperty(out, field);
      else setOwn(out, field, next);
    }
    return out ?? value;
  }
  if (Array.isArray(value)) {
    const array = value as unknown[];
    const name = at.path[at.path.length - 1];
    let out: unknown[] | undefined;
    for (const [field, child] of children) {
      const position = arrayPosition(field);
      const current = position >= 0 ? array[position] : undefined;
      const blocked = position >= 0 ? undefined : cannotCreate(field, at, array);
      const next = applyNode(child, current, walk, below(at, field, blocked, name));
      if (next === current || (next === REMOVE && current === undefined)) continue;
      out ??= [...array];
      if (next === REMOVE) out[position] = null;
      else setPosition(out, position, next);
    }
    return out ?? value;
  }
  // A scalar: nothing below it exists, and nothing can be created there.
  for (const [field, child] of children) {
    applyNode(child, undefined, walk, below(at, field, cannotCreate(field, at, value)));
  }
  return value;
}

/** pathsupport::createPathAt pads with nulls, up to a limit. */
const MAX_PADDING = 1_500_000;

function setPosition(array: unknown[], position: number, value: unknown): void {
  if (position - array.length > MAX_PADDING)
    throw fail('CannotBackfillArray', `can't backfill more than ${String(MAX_PADDING)} elements`);
  while (array.length < position) array.push(null);
  array[position] = value;
}

function applyArrayNode(node: ArrayNode, value: unknown, walk: Walk, at: At): unknown {
  if (value === undefined) {
    throw fail(
      'BadValue',
      `The path '${at.path.join('.')}' must exist in the document in order to apply array updates.`,
    );
  }
  if (!Array.isArray(value)) {
    throw fail(
      'BadValue',
      `Cannot apply array updates to non-array element ${at.path[at.path.length - 1] ?? ''}: ${formatKeyValue(value)}`,
    );
  }
  const array = value as unknown[];
  const name = at.path[at.path.length - 1];
  let out: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const element = array[i];
    const elementAt = below(at, String(i), undefined, name);
    let update: UpdateNode | undefined;
    for (const [id, child] of node.children) {
      if (id !== '' && !(walk.options.arrayFilters.get(id)?.({ [id]: element }) ?? false)) continue;
      update = update ? mergeNodes(update, child, elementAt.path) : child;
    }
    if (!update) continue;
    const next = applyNode(update, element, walk, elementAt);
    if (next === element) continue;
    out ??= [...array];
    out[i] = next === REMOVE ? null : next;
  }
  return out ?? value;
}

/** update_node.cpp createUpdateNodeByMerging: internal nodes merge, leaves cannot meet. */
function mergeNodes(left: UpdateNode, right: UpdateNode, path: readonly string[]): UpdateNode {
  if (left.kind === 'object' && right.kind === 'object') {
    const children = mergeChildren(left.children, right.children, path);
    const merged: ObjectNode = { kind: 'object', children };
    if (left.positional && right.positional)
      merged.positional = mergeNodes(left.positional, right.positional, [...path, '$']);
    else if (left.positional ?? right.positional)
      merged.positional = left.positional ?? right.positional;
    return merged;
  }
  if (left.kind === 'array' && right.kind === 'array') {
    return { kind: 'array', children: mergeChildren(left.children, right.children, path) };
  }
  throw fail('ConflictingUpdateOperators', `Update created a conflict at '${path.join('.')}'`);
}

function mergeChildren(
  left: ReadonlyMap<string, UpdateNode>,
  right: ReadonlyMap<string, UpdateNode>,
  path: readonly string[],
): Map<string, UpdateNode> {
  const merged = new Map(left);
  for (const [name, node] of right) {
    const other = merged.get(name);
    merged.set(name, other ? mergeNodes(other, node, [...path, name]) : node);
  }
  return merged;
}
