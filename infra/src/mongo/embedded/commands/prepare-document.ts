/**
 * Checks every stored document passes before it is stored: a valid `_id` (generated as an
 * ObjectId when absent, always first), at most 100 levels of nesting, only values the engine
 * handles exactly, and at most 16 MiB: the server's storage limits.
 */
import { BSON, ObjectId, type Document } from 'bson';
import { fail } from '../errors.ts';
import { bsonTypeOf } from '../engine/bson-order.ts';
import { isPlainObject } from '../engine/index-keys.ts';
import { nestsDeeperThan } from '../engine/nesting-depth.ts';
import { Limits } from '../wire/constants.ts';
import { withIdFirst } from '../query/clone.ts';
import { assertSupportedValues } from '../query/supported-values.ts';

export function prepareForInsert(raw: unknown): Document {
  if (!isPlainObject(raw)) throw fail('TypeMismatch', 'documents to insert must be objects');
  const doc = withIdFirst(raw, raw._id === undefined ? new ObjectId() : raw._id);
  return checkStorable(doc);
}

export function checkStorable(doc: Document): Document {
  const id: unknown = doc._id;
  if (Array.isArray(id)) throw fail('BadValue', "can't use an array for _id");
  if (id instanceof RegExp || bsonTypeOf(id) === 'BSONRegExp')
    throw fail('BadValue', "can't use a regex for _id");
  if (isPlainObject(id) && Object.keys(id).some((key) => key.startsWith('$'))) {
    throw fail(
      'DollarPrefixedFieldName',
      `_id fields may not contain '$'-prefixed fields: ${Object.keys(id).join(', ')}`,
    );
  }
  if (nestsDeeperThan(doc, Limits.maxStoredDepth)) {
    throw fail(
      'Overflow',
      `Document exceeds maximum nesting depth of ${String(Limits.maxStoredDepth)}`,
    );
  }
  assertSupportedValues(doc, 'the document');
  const size = BSON.calculateObjectSize(doc);
  if (size > Limits.maxBsonObjectSize) {
    throw fail(
      'BSONObjectTooLarge',
      `object to insert too large. size in bytes: ${size}, max size: ${Limits.maxBsonObjectSize}`,
    );
  }
  return doc;
}
