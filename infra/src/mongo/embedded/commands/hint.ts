/**
 * `hint` names an index to use. The planner here picks its own plan, so a hint changes no
 * result; but a hint naming no existing index is an error on the server, and so it is here.
 */
import { fail } from '../errors.ts';
import type { Collection } from '../engine/collection.ts';
import { defaultIndexName, isPlainObject } from '../engine/index-keys.ts';

export function checkHint(collection: Collection | undefined, hint: unknown): void {
  if (hint === undefined || hint === null) return;
  if (isPlainObject(hint) && Object.keys(hint).length === 0) return;
  if (isPlainObject(hint) && '$natural' in hint) return;
  const name =
    typeof hint === 'string' ? hint : isPlainObject(hint) ? defaultIndexName(hint) : undefined;
  const known = collection
    ?.indexSpecs()
    .some((spec) =>
      typeof hint === 'string' ? spec.name === name : defaultIndexName(spec.key) === name,
    );
  if (!known) throw fail('BadValue', 'hint provided does not correspond to an existing index');
}
