/**
 * Find projections (inclusion, exclusion, $slice, $elemMatch, positional `$`, expressions) are
 * computed by mingo; the result is then put back in the source document's field order, because
 * the server keeps document order (mingo appends `_id` last) and clients may depend on it.
 */
import type { Document } from 'bson';
import { find } from 'mingo';
import { fail } from '../errors.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { mingoOptions } from '../engine/mingo-options.ts';
import { assertSupportedValues } from './supported-values.ts';
import { withMingo } from './mingo-errors.ts';

export type Projector = (docs: readonly Document[]) => Document[];

export const identityProjector: Projector = (docs) => [...docs];

/** Compiles `projection`; `filter` is needed only by the positional `field.$` form. */
export function compileProjection(projection: unknown, filter: Document): Projector {
  if (projection === undefined || projection === null) return identityProjector;
  if (!isPlainObject(projection))
    throw fail('TypeMismatch', "BSON field 'projection' is the wrong type, expected type 'object'");
  if (Object.keys(projection).length === 0) return identityProjector;
  assertSupportedValues(projection, 'the projection');
  const positional = Object.keys(projection).some((key) => key.endsWith('.$'));
  const condition = positional ? filter : {};
  // Validate eagerly so a bad projection fails even when nothing matches.
  withMingo(() => find([{}], {}, projection, mingoOptions).all());
  return (docs) =>
    withMingo(() => {
      const projected = find(
        docs as Document[],
        condition,
        projection,
        mingoOptions,
      ).all() as Document[];
      return projected.map((out, i) => inSourceOrder(out, docs[i] as Document));
    });
}

/** `projected` with its fields in the order they have in `source` (new fields last), recursively. */
function inSourceOrder(
  projected: Record<string, unknown>,
  source: Record<string, unknown>,
): Document {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (!(key in projected)) continue;
    const value = projected[key];
    const original = source[key];
    out[key] =
      isPlainObject(value) && isPlainObject(original) ? inSourceOrder(value, original) : value;
  }
  for (const key of Object.keys(projected)) if (!(key in out)) out[key] = projected[key];
  return out;
}
