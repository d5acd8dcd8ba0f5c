/**
 * Find projections (find, findAndModify `fields`), parsed and applied as the server does
 * (src/mongo/db/query/projection_parser.cpp, exec/projection_executor):
 *
 *  - every path, dotted (`"auth.hash": 0`) or nested (`{auth: {hash: 0}}`), goes into one tree;
 *    a path and its prefix collide (31249/31250);
 *  - the projection is an inclusion or an exclusion (mixing fails, 31253/31254); `_id` is
 *    included unless excluded; `$slice` alone is an exclusion (every other field stays),
 *    `$elemMatch` alone an inclusion;
 *  - through arrays a path applies to each element: an inclusion keeps only documents (and
 *    arrays) under it, an exclusion keeps everything but the excluded fields;
 *  - fields keep the document's order; computed fields (aggregation expressions, including
 *    non-numeric literals, which MongoDB ≥ 4.4 reads as expressions) come after the included
 *    ones, then `$elemMatch` results;
 *  - `path.$` keeps the array element the query matched (positional.ts).
 */
import type { Document } from 'bson';
import { evalExpr } from 'mingo/core';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { mingoOptions } from '../engine/mingo-options.ts';
import type { Collation } from './collation.ts';
import { compileFilter, type Matcher } from './matcher.ts';
import { pipelineContext } from './mingo-context.ts';
import { withMingo } from './mingo-errors.ts';
import { pathParts, setOwn } from './path.ts';
import { positionFinder, type PositionFinder } from './positional.ts';
import { assertSupportedValues } from './supported-values.ts';

export type Projector = (doc: Document) => Document;

export const identityProjector: Projector = (doc) => doc;

type Node =
  | { readonly kind: 'include' }
  | { readonly kind: 'exclude' }
  | { readonly kind: 'tree'; readonly children: Map<string, Node> }
  | { readonly kind: 'slice'; readonly skip?: number; readonly limit: number }
  | { readonly kind: 'elemMatch'; readonly matches: Matcher }
  | { readonly kind: 'positional' }
  | { readonly kind: 'expression'; readonly expression: unknown };

type Tree = Map<string, Node>;

interface Parsed {
  readonly tree: Tree;
  readonly inclusion: boolean;
  readonly positional?: string;
  readonly hasComputed: boolean;
}

/**
 * Compiles `projection`; `filter` is what the positional `field.$` form matches against, by
 * the command's `collation` (as `$elemMatch` conditions and expressions compare).
 */
export function compileProjection(
  projection: unknown,
  filter: Document,
  variables?: Document,
  collation?: Collation,
): Projector {
  if (projection === undefined || projection === null) return identityProjector;
  if (!isPlainObject(projection)) {
    throw fail('TypeMismatch', "BSON field 'projection' is the wrong type, expected type 'object'");
  }
  if (Object.keys(projection).length === 0) return identityProjector;
  assertSupportedValues(projection, 'the projection');
  const parsed = parseProjection(projection, filter, collation);
  const options: ExpressionOptions = {
    ...mingoOptions,
    context: pipelineContext,
    ...(variables ? { variables } : {}),
    ...(collation ? { collation } : {}),
  };
  const findPosition =
    parsed.positional === undefined ? undefined : positionFinder(filter, variables, collation);
  return (doc) => {
    const run: Run = {
      root: doc,
      options,
      findPosition,
      position: undefined,
      positionalPath: parsed.positional,
    };
    return parsed.inclusion ? include(doc, parsed.tree, run) : exclude(doc, parsed.tree);
  };
}

function parseProjection(
  projection: Document,
  filter: Document,
  collation: Collation | undefined,
): Parsed {
  const tree: Tree = new Map();
  // Set while visiting (closures), read after: a record keeps TypeScript from narrowing them.
  const seen: {
    type?: 'inclusion' | 'exclusion';
    positional?: string;
    idSpecified: boolean;
    elemMatch: boolean;
    slice: boolean;
    computed: boolean;
  } = { idSpecified: false, elemMatch: false, slice: false, computed: false };
  const requireType = (wanted: 'inclusion' | 'exclusion', field: string) => {
    if (seen.type !== undefined && seen.type !== wanted) {
      throw wanted === 'inclusion'
        ? fail('Location31253', `Cannot do inclusion on field ${field} in exclusion projection`)
        : fail('Location31254', `Cannot do exclusion on field ${field} in inclusion projection`);
    }
    seen.type = wanted;
  };
  const computed = (field: string, expression: unknown) => {
    if (seen.type === 'exclusion')
      throw fail('Location31252', 'Cannot use expression other than $meta in exclusion projection');
    seen.type = 'inclusion';
    seen.computed = true;
    addNode(tree, field, { kind: 'expression', expression });
  };

  const visit = (spec: Document, prefix: string) => {
    for (const [key, value] of Object.entries(spec)) {
      const field = prefix + key;
      if (field === '_id' || field.startsWith('_id.')) seen.idSpecified = true;
      const positionalAt = positionalOperator(field);
      if (isPlainObject(value)) {
        if (positionalAt !== undefined)
          throw fail('Location31271', 'positional projection cannot be used with an expression');
        const first = Object.keys(value)[0];
        if (first === '$slice') {
          addNode(tree, field, parseSlice(value.$slice));
          seen.slice = true;
        } else if (first === '$elemMatch') {
          if (!isPlainObject(value.$elemMatch)) {
            throw fail('Location31274', 'elemMatch: Invalid argument, object required');
          }
          if (seen.positional !== undefined)
            throw fail('Location31255', 'Cannot specify positional operator and $elemMatch.');
          if (field.includes('.'))
            throw fail('Location31275', 'Cannot use $elemMatch projection on a nested field.');
          addNode(tree, field, elemMatchNode(field, value.$elemMatch, collation));
          seen.elemMatch = true;
        } else if (first === '$meta') {
          throw fail(
            'NotImplemented',
            `$meta projection on '${field}' is not supported by the embedded MongoDB server`,
          );
        } else if (first?.startsWith('$')) {
          computed(field, value);
        } else if (first === undefined) {
          throw fail(
            'Location51270',
            `An empty sub-projection is not a valid value. Found empty object at path ${field}`,
          );
        } else {
          visit(value, `${field}.`);
        }
      } else if (typeof value === 'number' || typeof value === 'boolean') {
        if (value === 0 || value === false) {
          addNode(tree, field, { kind: 'exclude' });
          if (field !== '_id') requireType('exclusion', field);
        } else if (positionalAt === undefined) {
          addNode(tree, field, { kind: 'include' });
          requireType('inclusion', field);
        } else {
          seen.positional = addPositional(tree, field, positionalAt, seen, filter);
          requireType('inclusion', field);
        }
      } else {
        // A non-numeric, non-boolean value is an expression (a literal, or "$path").
        computed(field, value);
      }
    }
  };
  visit(projection, '');
  // find's defaults without an explicit kind: $slice alone excludes, $elemMatch alone includes.
  const inclusion =
    seen.type === undefined ? !seen.slice && seen.elemMatch : seen.type === 'inclusion';
  if (inclusion && !seen.idSpecified) addNode(tree, '_id', { kind: 'include' });
  return { tree, inclusion, positional: seen.positional, hasComputed: seen.computed };
}

/** Where `.$` starts in a field name (projection_parser findFirstPositionalOperator). */
function positionalOperator(field: string): number | undefined {
  const inside = field.indexOf('.$.');
  if (inside >= 0) return inside;
  if (field.endsWith('.$')) return field.length - 2;
  return field === '$' ? 0 : undefined;
}

function addPositional(
  tree: Tree,
  field: string,
  at: number,
  seen: { readonly positional?: string; readonly elemMatch: boolean },
  filter: Document,
): string {
  if (seen.positional !== undefined)
    throw fail('Location31276', 'Cannot specify more than one positional projection per query.');
  if (seen.elemMatch)
    throw fail('Location31256', 'Cannot specify positional operator and $elemMatch.');
  const matchField = field.split('.')[0] as string;
  if (!queryHasPath(filter, matchField)) {
    throw fail(
      'Location31277',
      `Positional projection '${field}' does not match the query document.`,
    );
  }
  if (field.endsWith('.$.')) throw fail('Location31270', "Path cannot end with '.$.'");
  if (positionalOperator(field.slice(at + 3)) !== undefined)
    throw fail('Location31287', `Cannot use positional operator twice: ${field}`);
  const path = field.slice(0, at);
  addNode(tree, path, { kind: 'positional' });
  return path;
}

/** projection_parser hasPositionalOperatorMatch: a query condition on a path under `field`. */
function queryHasPath(filter: Document, field: string): boolean {
  return Object.entries(filter).some(([key, value]) => {
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value))
      return value.some((clause) => isPlainObject(clause) && queryHasPath(clause, field));
    return key.split('.')[0] === field;
  });
}

function parseSlice(argument: unknown): Node {
  if (typeof argument === 'number') return { kind: 'slice', limit: Math.trunc(argument) };
  if (Array.isArray(argument)) {
    if (argument.length !== 2)
      throw fail('Location31272', '$slice array argument should be of form [skip, limit]');
    const [skip, limit] = argument as unknown[];
    if (typeof skip !== 'number')
      throw fail('Location31257', `$slice expects the skip argument to be a number`);
    if (typeof limit !== 'number')
      throw fail('Location31258', `$slice expects the limit argument to be a number`);
    if (limit <= 0)
      throw fail(
        'Location31259',
        `$slice limit must be positive, got ${String(Math.trunc(limit))}`,
      );
    return { kind: 'slice', skip: Math.trunc(skip), limit: Math.trunc(limit) };
  }
  throw fail('Location31273', '$slice only supports numbers and [skip, limit] arrays');
}

function elemMatchNode(field: string, condition: Document, collation?: Collation): Node {
  const matches = compileFilter({ [field]: { $elemMatch: condition } }, undefined, collation);
  return { kind: 'elemMatch', matches };
}

/** projection_parser addNodeAtPath: a path may not end where another continues, nor repeat. */
function addNode(tree: Tree, path: string, node: Node): void {
  const parts = pathParts(path);
  let level = tree;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const child = level.get(part);
    if (child === undefined) {
      const children: Tree = new Map();
      level.set(part, { kind: 'tree', children });
      level = children;
    } else if (child.kind === 'tree') {
      level = child.children;
    } else {
      throw fail(
        'Location31249',
        `Path collision at ${path} remaining portion ${parts.slice(i + 1).join('.')}`,
      );
    }
  }
  const last = parts[parts.length - 1] as string;
  if (level.has(last)) throw fail('Location31250', `Path collision at ${path}`);
  level.set(last, node);
}

type ExpressionOptions = Parameters<typeof evalExpr>[2];

interface Run {
  readonly root: Document;
  readonly options: ExpressionOptions;
  readonly findPosition: PositionFinder | undefined;
  readonly positionalPath: string | undefined;
  position: number | undefined;
}

function include(source: Record<string, unknown>, tree: Tree, run: Run): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const node = tree.get(key);
    if (node === undefined) continue;
    const value = source[key];
    switch (node.kind) {
      case 'include':
        setOwn(out, key, value);
        break;
      case 'tree': {
        const projected = includeValue(value, node.children, run);
        if (projected !== undefined) setOwn(out, key, projected);
        break;
      }
      case 'slice':
        setOwn(out, key, slice(value, node));
        break;
      case 'positional': {
        const kept = positionalElement(value, run);
        if (kept !== undefined) setOwn(out, key, kept);
        break;
      }
    }
  }
  for (const [key, node] of tree) {
    if (node.kind === 'expression') {
      const value = evaluate(node.expression, run);
      if (value !== undefined) setOwn(out, key, value);
    } else if (
      node.kind === 'tree' &&
      hasExpression(node.children) &&
      !Object.hasOwn(source, key)
    ) {
      setOwn(out, key, include({}, node.children, run));
    } else if (node.kind === 'elemMatch') {
      const value = source[key];
      if (Array.isArray(value)) {
        const first: unknown = value.find((element) => node.matches({ [key]: [element] }));
        if (first !== undefined) setOwn(out, key, [first]);
      }
    }
  }
  return out;
}

function includeValue(value: unknown, tree: Tree, run: Run): unknown {
  if (isPlainObject(value)) return include(value, tree, run);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const element of value as unknown[]) {
      const projected =
        isPlainObject(element) || Array.isArray(element)
          ? includeValue(element, tree, run)
          : undefined;
      if (projected !== undefined) out.push(projected);
    }
    return out;
  }
  return hasExpression(tree) ? include({}, tree, run) : undefined;
}

function hasExpression(tree: Tree): boolean {
  for (const node of tree.values()) {
    if (node.kind === 'expression') return true;
    if (node.kind === 'tree' && hasExpression(node.children)) return true;
  }
  return false;
}

function exclude(source: Record<string, unknown>, tree: Tree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const node = tree.get(key);
    const value = source[key];
    if (node === undefined) setOwn(out, key, value);
    else if (node.kind === 'tree') setOwn(out, key, excludeValue(value, node.children));
    else if (node.kind === 'slice') setOwn(out, key, slice(value, node));
  }
  return out;
}

function excludeValue(value: unknown, tree: Tree): unknown {
  if (isPlainObject(value)) return exclude(value, tree);
  if (Array.isArray(value))
    return (value as unknown[]).map((element) => excludeValue(element, tree));
  return value;
}

/** Find's `$slice`: the first n, the last -n, or [skip, limit] (a negative skip counts from the end). */
function slice(value: unknown, node: { readonly skip?: number; readonly limit: number }): unknown {
  if (!Array.isArray(value)) return value;
  if (node.skip === undefined) {
    return node.limit >= 0
      ? value.slice(0, node.limit)
      : value.slice(Math.max(0, value.length + node.limit));
  }
  const start =
    node.skip >= 0 ? Math.min(node.skip, value.length) : Math.max(0, value.length + node.skip);
  return value.slice(start, start + node.limit);
}

function positionalElement(value: unknown, run: Run): unknown {
  if (!Array.isArray(value)) return value;
  run.position ??= run.findPosition?.(run.root);
  const element: unknown = run.position === undefined ? undefined : value[run.position];
  if (element === undefined) {
    throw fail(
      'Location51246',
      `Executor error during find command :: caused by :: positional operator '${run.positionalPath ?? ''}.$' couldn't find a matching element in the array`,
    );
  }
  return [element];
}

/** A computed field's value; undefined (missing) leaves the field out, as on the server. */
function evaluate(expression: unknown, run: Run): unknown {
  return withMingo(() => evalExpr(run.root, expression, run.options));
}
