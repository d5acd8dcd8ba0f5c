/**
 * Memory budgets, as mongod enforces them (100 MB each): a blocking stage ($group, $sort, $facet,
 * $bucketAuto, $setWindowFields...) may hold that much before it fails with
 * QueryExceededMemoryLimitNoDiskUseAllowed (292), one array an accumulator builds ($push,
 * $addToSet...) that much before ExceededMemoryLimit (146), the documents one `$lookup` joins to
 * one input that much before 4568. The server cannot spill to disk, so `allowDiskUse: true`
 * changes nothing: past the budget the operation fails instead of taking the process down.
 *
 * Sizes are estimates of what the JavaScript values cost. A stored document is frozen and
 * shared, so holding it costs a reference; values an expression built are counted in full.
 */
import { fail, type ErrorName } from '../../errors.ts';
import { isPlainObject } from '../../engine/index-keys.ts';

/** mongod's internalQueryMaxBlockingSortMemoryUsageBytes and friends. */
export const MEMORY_LIMIT_BYTES = 100 * 1024 * 1024;

const REFERENCE_BYTES = 16;

/** Approximate bytes `value` keeps alive (16 for anything already stored). */
export function approximateSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 16 + value.length * 2;
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return 16;
  }
  if (value === null) return 16;
  if (typeof value !== 'object') return REFERENCE_BYTES;
  if (Object.isFrozen(value)) return REFERENCE_BYTES;
  if (Array.isArray(value)) {
    let size = 32;
    for (const element of value as unknown[]) size += approximateSize(element);
    return size;
  }
  if (!isPlainObject(value)) return 32;
  let size = 32;
  for (const key in value) size += 16 + key.length * 2 + approximateSize(value[key]);
  return size;
}

/** A running total against one limit; `add` throws the limit's error when it is passed. */
export class MemoryBudget {
  #used = 0;
  readonly #limit: number;
  readonly #error: () => Error;

  constructor(error: () => Error, limit = MEMORY_LIMIT_BYTES) {
    this.#error = error;
    this.#limit = limit;
  }

  /** Charges `bytes` (negative when something held is released). */
  add(bytes: number): void {
    this.#used += bytes;
    if (bytes > 0 && this.#used > this.#limit) throw this.#error();
  }

  get used(): number {
    return this.#used;
  }
}

/** The budget of a blocking stage: 292 with mongod's wording, plus why allowDiskUse cannot help. */
export function stageBudget(stage: string): MemoryBudget {
  return new MemoryBudget(() =>
    fail(
      'QueryExceededMemoryLimitNoDiskUseAllowed',
      `Exceeded memory limit for ${stage}, but didn't allow external sort (the embedded MongoDB server cannot spill to disk). Memory limit: ${String(MEMORY_LIMIT_BYTES)} bytes`,
    ),
  );
}

/** The budget of one array an operator builds ($push, $addToSet, $range...). */
export function arrayBudget(
  operator: string,
  code: ErrorName = 'ExceededMemoryLimit',
): MemoryBudget {
  return new MemoryBudget(() =>
    fail(
      code,
      `${operator} used too much memory and cannot spill to disk. Memory limit: ${String(MEMORY_LIMIT_BYTES)} bytes`,
    ),
  );
}
