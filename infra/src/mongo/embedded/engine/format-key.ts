/**
 * Renders key values the way the server prints them inside E11000 messages
 * (`dup key: { email: "a@b.c" }`, `{ _id: ObjectId('…') }`), so logs and error text read alike.
 */
import { bsonTypeOf } from './bson-order.ts';

export function formatKeyValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Date) return `new Date(${String(value.getTime())})`;
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value)) return `[ ${value.map(formatKeyValue).join(', ')} ]`;
  switch (bsonTypeOf(value)) {
    case 'ObjectId':
      return `ObjectId('${(value as { toHexString(): string }).toHexString()}')`;
    case undefined:
      return formatDocument(value as Record<string, unknown>);
    default:
      return (value as { toString(): string }).toString();
  }
}

export function formatDocument(doc: Readonly<Record<string, unknown>>): string {
  const fields = Object.entries(doc).map(([key, value]) => `${key}: ${formatKeyValue(value)}`);
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}
