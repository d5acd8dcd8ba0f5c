/**
 * Values the query engine cannot treat correctly are refused up front instead of being stored
 * and later compared or summed wrongly. mingo works on JS numbers, so:
 *  - Decimal128 is refused everywhere (documents, filters, updates, pipelines): its comparisons
 *    and arithmetic would silently be string or float operations;
 *  - int64 values are accepted when exactly representable as a double (|n| <= 2^53, which the
 *    wire decoder already turned into numbers) and refused beyond, where precision would be lost.
 */
import { fail } from '../errors.ts';
import { bsonTypeOf } from '../engine/bson-order.ts';

export function assertSupportedValues(value: unknown, where: string): void {
  if (
    typeof value !== 'object' ||
    value === null ||
    value instanceof Date ||
    value instanceof RegExp
  )
    return;
  if (Array.isArray(value)) {
    for (const element of value) assertSupportedValues(element, where);
    return;
  }
  const type = bsonTypeOf(value);
  if (type === undefined) {
    for (const key in value) assertSupportedValues((value as Record<string, unknown>)[key], where);
    return;
  }
  if (type === 'Decimal128') {
    throw fail(
      'NotImplemented',
      `Decimal128 values are not supported by the embedded MongoDB server (found in ${where}); store prices as doubles or use a real MongoDB (MONGO_URL)`,
    );
  }
  if (type === 'Long') {
    throw fail(
      'NotImplemented',
      `int64 value ${(value as { toString(): string }).toString()} in ${where} is beyond ±2^53, which the embedded MongoDB server cannot compare or add exactly; use a real MongoDB (MONGO_URL)`,
    );
  }
  if (type === 'Code' && (value as { scope?: unknown }).scope) {
    throw fail(
      'NotImplemented',
      `JavaScript code with scope (in ${where}) is not supported by the embedded MongoDB server`,
    );
  }
}
