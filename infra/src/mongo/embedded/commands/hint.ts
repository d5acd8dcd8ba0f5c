/**
 * `hint` names an index to use. The planner here picks its own plan, so a hint to a complete
 * index changes no result; but a hint naming no existing index is an error on the server, and
 * so it is here. A sparse or partial index holds only some documents, and on mongod a read
 * hinted to one sees only those: reads here get the same restriction added to their filter
 * (sparse: one of the key fields exists; partial: its filter expression), and so do the
 * documents an aggregation reads. Writes hinted to such an index are refused (238) rather
 * than run over everything.
 */
import type { Document } from 'bson';
import { fail } from '../errors.ts';
import type { Collection } from '../engine/collection.ts';
import { defaultIndexName, isPlainObject, type IndexSpec } from '../engine/index-keys.ts';

/**
 * Checks `hint`; with `filter` (a read) returns the filter restricted to the documents the
 * hinted index holds, without one refuses a hint to an index that does not hold them all.
 */
export function checkHint(
  collection: Collection | undefined,
  hint: unknown,
  filter?: Document,
): Document | undefined {
  if (hint === undefined || hint === null) return filter;
  if (isPlainObject(hint) && Object.keys(hint).length === 0) return filter;
  if (isPlainObject(hint) && '$natural' in hint) return filter;
  const name =
    typeof hint === 'string' ? hint : isPlainObject(hint) ? defaultIndexName(hint) : undefined;
  const spec = collection
    ?.indexSpecs()
    .find((index) =>
      typeof hint === 'string' ? index.name === name : defaultIndexName(index.key) === name,
    );
  if (!spec) throw fail('BadValue', 'hint provided does not correspond to an existing index');
  const held = heldBy(spec);
  if (!held) return filter;
  if (!filter) {
    throw fail(
      'NotImplemented',
      `a write hinted to the ${spec.sparse ? 'sparse' : 'partial'} index '${spec.name}' is not supported by the embedded MongoDB server`,
    );
  }
  return Object.keys(filter).length === 0 ? held : { $and: [filter, held] };
}

/** The documents a sparse or partial index holds, as a filter; undefined for a complete index. */
function heldBy(spec: IndexSpec): Document | undefined {
  if (spec.partialFilterExpression) return spec.partialFilterExpression;
  if (!spec.sparse) return undefined;
  const present = Object.keys(spec.key).map((path) => ({ [path]: { $exists: true } }));
  return present.length === 1 ? present[0] : { $or: present };
}
