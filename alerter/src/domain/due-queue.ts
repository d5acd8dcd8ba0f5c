/**
 * Rules waiting for a moment (market time, ms): the currently-true WHILE_TRUE and ONCE_PER_DAY
 * rules by the end of their cooldown or the start of the next trading day, and rules by their
 * expiry. A binary min-heap: a tick only looks at the top, O(1) when nothing is due.
 *
 * Entries are never searched for: a rule that leaves the queue changes its token, and an entry
 * whose token no longer matches is dropped when it reaches the top (lazy deletion), or by
 * `compact` when stale entries pile up (a rule flapping across its threshold).
 */
export interface DueEntry {
  readonly at: number;
  readonly slot: number;
  readonly token: number;
}

export class DueQueue {
  readonly #heap: DueEntry[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(entry: DueEntry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      const above = heap[parent];
      if (!above || above.at <= entry.at) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = entry;
  }

  /** The earliest entry due at or before `now`, removed; undefined when none is. */
  popDue(now: number): DueEntry | undefined {
    const top = this.#heap[0];
    if (!top || top.at > now) return undefined;
    const last = this.#heap.pop();
    if (last && this.#heap.length > 0) this.#siftDown(last);
    return top;
  }

  /** Drops the entries `live` rejects (stale tokens), when they outnumber the live ones. */
  compact(live: (entry: DueEntry) => boolean): void {
    const kept = this.#heap.filter(live);
    this.#heap.length = 0;
    for (const entry of kept) this.push(entry);
  }

  #siftDown(entry: DueEntry): void {
    const heap = this.#heap;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const leftEntry = heap[left];
      const rightEntry = heap[right];
      const child =
        rightEntry && leftEntry && rightEntry.at < leftEntry.at ? rightEntry : leftEntry;
      if (!child || child.at >= entry.at) break;
      heap[i] = child;
      i = child === rightEntry ? right : left;
    }
    heap[i] = entry;
  }
}
