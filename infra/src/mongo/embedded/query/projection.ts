/**
 * Find projections: inclusion, exclusion, `$slice`, `$elemMatch` and expressions are computed by
 * mingo, then put back in the source document's field order (the server keeps it; mingo moves
 * `_id` last). The positional form (`{"items.$": 1}`: the first array element the query
 * matched) is done here, because mingo's version fails on it.
 */
import type { Document } from 'bson';
import { find } from 'mingo';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { mingoOptions } from '../engine/mingo-options.ts';
import { inSourceOrder } from './field-order.ts';
import { compileFilter } from './matcher.ts';
import { withMingo } from './mingo-errors.ts';
import { assertSupportedValues } from './supported-values.ts';

export type Projector = (docs: readonly Document[]) => Document[];

export const identityProjector: Projector = (docs) => [...docs];

/** Compiles `projection`; `filter` is what the positional `field.$` form matches against. */
export function compileProjection(projection: unknown, filter: Document): Projector {
  if (projection === undefined || projection === null) return identityProjector;
  if (!isPlainObject(projection)) {
    throw fail('TypeMismatch', "BSON field 'projection' is the wrong type, expected type 'object'");
  }
  if (Object.keys(projection).length === 0) return identityProjector;
  assertSupportedValues(projection, 'the projection');
  const positional = Object.keys(projection).filter((key) => key.endsWith('.$'));
  if (positional.length > 1)
    throw fail('BadValue', 'Cannot specify more than one positional projection per query.');
  const path = positional[0]?.slice(0, -2);
  // The positional field is included whole by mingo, then cut down to its first match here.
  const base: Document =
    path === undefined ? projection : { ...withoutKey(projection, `${path}.$`), [path]: 1 };
  // Validate eagerly so a bad projection fails even when nothing matches.
  withMingo(() => find([{}], {}, base, mingoOptions).all());
  const firstMatch = path === undefined ? undefined : positionalMatcher(path, filter);
  return (docs) =>
    withMingo(() => {
      const projected = find(docs as Document[], {}, base, mingoOptions).all() as Document[];
      return projected.map((out, i) => {
        const ordered = inSourceOrder(out, docs[i] as Document);
        if (path !== undefined && firstMatch) setPath(ordered, path, firstMatch(ordered));
        return ordered;
      });
    });
}

/** For `path.$`: a function returning `[first element matching the query's conditions on path]`. */
function positionalMatcher(path: string, filter: Document): (doc: Document) => unknown {
  const conditions = Object.entries(filter).filter(
    ([key]) => key === path || key.startsWith(`${path}.`),
  );
  if (conditions.length === 0) {
    throw fail(
      'BadValue',
      `Executor error during find command :: caused by :: positional operator '${path}.$' couldn't find a matching element in the array`,
    );
  }
  const matches = compileFilter(Object.fromEntries(conditions));
  return (doc) => {
    const array = getPath(doc, path);
    if (!Array.isArray(array)) return undefined;
    const match: unknown = array.find((element) => matches(nestedAt(path, [element])));
    return match === undefined ? undefined : [match];
  };
}

/** `{a: {b: value}}` for the path `a.b`. */
function nestedAt(path: string, value: unknown): Document {
  return path
    .split('.')
    .reduceRight<unknown>((inner, part) => ({ [part]: inner }), value) as Document;
}

function withoutKey(doc: Document, key: string): Document {
  return Object.fromEntries(Object.entries(doc).filter(([name]) => name !== key));
}

function getPath(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) value = isPlainObject(value) ? value[part] : undefined;
  return value;
}

function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let target: unknown = doc;
  for (const part of parts.slice(0, -1)) target = isPlainObject(target) ? target[part] : undefined;
  if (!isPlainObject(target)) return;
  const last = parts[parts.length - 1] as string;
  if (value === undefined) Reflect.deleteProperty(target, last);
  else target[last] = value;
}
