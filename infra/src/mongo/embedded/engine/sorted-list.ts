/**
 * An ordered collection with O(log n) search and cheap inserts: items live in sorted chunks of
 * bounded size (the idea behind Python's sortedcontainers), so an insert moves at most one
 * chunk's worth of elements instead of shifting a million-entry array. Backs sorted indexes.
 */
export class SortedList<T> {
  readonly #compare: (a: T, b: T) => number;
  /** Chunks split at twice this length; 512 keeps splices short and the chunk directory small. */
  readonly #chunkSize: number;
  #chunks: T[][] = [];
  #size = 0;
  #version = 0;

  constructor(compare: (a: T, b: T) => number, chunkSize = 512) {
    this.#compare = compare;
    this.#chunkSize = chunkSize;
  }

  get size(): number {
    return this.#size;
  }

  /** Changes with every insert and delete: an iteration that outlived a change must re-seek. */
  get version(): number {
    return this.#version;
  }

  insert(item: T): void {
    this.#size++;
    this.#version++;
    if (this.#chunks.length === 0) {
      this.#chunks.push([item]);
      return;
    }
    const compare = this.#compare;
    let chunkIndex = this.#firstChunk((last) => compare(last, item) >= 0);
    if (chunkIndex === this.#chunks.length) chunkIndex--;
    const chunk = this.#chunks[chunkIndex] as T[];
    chunk.splice(
      firstIndex(chunk, (x) => compare(x, item) >= 0),
      0,
      item,
    );
    if (chunk.length > 2 * this.#chunkSize) {
      this.#chunks.splice(chunkIndex + 1, 0, chunk.splice(this.#chunkSize));
    }
  }

  /** Removes the item comparing equal to `item`; returns whether there was one. */
  delete(item: T): boolean {
    const compare = this.#compare;
    const chunkIndex = this.#firstChunk((last) => compare(last, item) >= 0);
    const chunk = this.#chunks[chunkIndex];
    if (!chunk) return false;
    const index = firstIndex(chunk, (x) => compare(x, item) >= 0);
    if (index === chunk.length || compare(chunk[index] as T, item) !== 0) return false;
    chunk.splice(index, 1);
    if (chunk.length === 0) this.#chunks.splice(chunkIndex, 1);
    this.#size--;
    this.#version++;
    return true;
  }

  /**
   * Yields items in order from the first one for which `atOrAfterStart` holds. The predicate must
   * be monotone (false for a prefix of the order, true afterwards), as a lower bound is.
   */
  *from(atOrAfterStart: (item: T) => boolean): Generator<T> {
    let chunkIndex = this.#firstChunk(atOrAfterStart);
    const first = this.#chunks[chunkIndex];
    if (!first) return;
    let index = firstIndex(first, atOrAfterStart);
    for (; chunkIndex < this.#chunks.length; chunkIndex++, index = 0) {
      const chunk = this.#chunks[chunkIndex] as T[];
      for (; index < chunk.length; index++) yield chunk[index] as T;
    }
  }

  /**
   * Yields items in reverse order from the last one for which `atOrBeforeEnd` holds (a monotone
   * predicate: true for a prefix of the order, false afterwards), as an upper bound is.
   */
  *until(atOrBeforeEnd: (item: T) => boolean): Generator<T> {
    const beyond = (item: T) => !atOrBeforeEnd(item);
    let chunkIndex = this.#firstChunk(beyond);
    let index: number;
    if (chunkIndex === this.#chunks.length) {
      chunkIndex--;
      index = (this.#chunks[chunkIndex]?.length ?? 0) - 1;
    } else {
      index = firstIndex(this.#chunks[chunkIndex] as T[], beyond) - 1;
    }
    for (; chunkIndex >= 0; chunkIndex--, index = (this.#chunks[chunkIndex - 1]?.length ?? 0) - 1) {
      const chunk = this.#chunks[chunkIndex] as T[];
      for (; index >= 0; index--) yield chunk[index] as T;
    }
  }

  *[Symbol.iterator](): Generator<T> {
    for (const chunk of this.#chunks) yield* chunk;
  }

  clear(): void {
    this.#chunks = [];
    this.#size = 0;
    this.#version++;
  }

  /** Items after `item` (strictly), in order; for resuming an iteration after a change. */
  after(item: T): Generator<T> {
    return this.from((x) => this.#compare(x, item) > 0);
  }

  /** Items before `item` (strictly), in reverse order. */
  before(item: T): Generator<T> {
    return this.until((x) => this.#compare(x, item) < 0);
  }

  /** Index of the first chunk whose last item satisfies the monotone predicate. */
  #firstChunk(predicate: (last: T) => boolean): number {
    let low = 0;
    let high = this.#chunks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const chunk = this.#chunks[mid] as T[];
      if (predicate(chunk[chunk.length - 1] as T)) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}

/** Index of the first element satisfying a monotone predicate (array length if none). */
function firstIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (predicate(items[mid] as T)) high = mid;
    else low = mid + 1;
  }
  return low;
}
