/**
 * The thresholds of one signal of one ticker, sorted: "which rules have a level between the
 * previous and the new value" is two searches and a walk over what lies between, O(log n + k).
 *
 * Ticks move a price a little at a time, so each search starts from where the previous one
 * ended and gallops outwards (1, 2, 4... entries) before bisecting: a tick that crosses nothing
 * costs a handful of comparisons however many rules the ticker has. Entries are (level, slot),
 * a rule having one entry per level it cares about; rule changes insert and remove entries in
 * place (a splice: rules change far less often than prices).
 */
export class SortedLevels {
  readonly #values: number[] = [];
  readonly #slots: number[] = [];
  /** `#cursor` is the first position whose level is >= `#cursorValue` (NaN: no hint). */
  #cursorValue = Number.NaN;
  #cursor = 0;

  get size(): number {
    return this.#values.length;
  }

  /** Adds many entries at once (loading a partition): one sort instead of n splices. */
  static from(entries: readonly (readonly [level: number, slot: number])[]): SortedLevels {
    const sorted = [...entries].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const levels = new SortedLevels();
    for (const [level, slot] of sorted) {
      levels.#values.push(level);
      levels.#slots.push(slot);
    }
    return levels;
  }

  insert(level: number, slot: number): void {
    const at = this.#firstAtLeast(level, 0);
    this.#values.splice(at, 0, level);
    this.#slots.splice(at, 0, slot);
    this.#cursorValue = Number.NaN;
  }

  /** Removes the entry (level, slot); false if it is not there. */
  remove(level: number, slot: number): boolean {
    for (let i = this.#firstAtLeast(level, 0); this.#values[i] === level; i++) {
      if (this.#slots[i] !== slot) continue;
      this.#values.splice(i, 1);
      this.#slots.splice(i, 1);
      this.#cursorValue = Number.NaN;
      return true;
    }
    return false;
  }

  /**
   * Calls `visit(slot)` for every entry whose level lies in [min(from, to), max(from, to)]
   * (both ends included: whether touching a level changes anything is the rule's business).
   */
  between(from: number, to: number, visit: (slot: number) => void): void {
    const low = Math.min(from, to);
    const high = Math.max(from, to);
    const hint = this.#cursorValue === from ? this.#cursor : this.#firstAtLeast(from, 0);
    const start = this.#firstAtLeast(low, hint);
    const end = this.#firstAbove(high, hint);
    for (let i = start; i < end; i++) visit(this.#slots[i] ?? -1);
    this.#cursorValue = to;
    this.#cursor = from <= to ? this.#firstAtLeast(to, end) : start;
  }

  /** Every entry, in level order. */
  forEach(visit: (slot: number, level: number) => void): void {
    for (let i = 0; i < this.#values.length; i++) {
      visit(this.#slots[i] ?? -1, this.#values[i] ?? Number.NaN);
    }
  }

  #firstAtLeast(value: number, hint: number): number {
    return this.#search(value, false, hint);
  }

  #firstAbove(value: number, hint: number): number {
    return this.#search(value, true, hint);
  }

  /**
   * The first position whose level is above `value` (`strict`) or at least `value`, searching
   * outwards from `hint`. No closures: this runs for every tick.
   */
  #search(value: number, strict: boolean, hint: number): number {
    const values = this.#values;
    const n = values.length;
    const reached = (i: number): boolean => {
      const level = values[i] ?? Number.NaN;
      return strict ? level > value : level >= value;
    };
    let low: number;
    let high: number;
    const start = Math.min(Math.max(hint, 0), n);
    if (start < n && !reached(start)) {
      // Gallop right: the answer is past `start`.
      let step = 1;
      low = start + 1;
      while (low + step - 1 < n && !reached(low + step - 1)) {
        low += step;
        step *= 2;
      }
      high = Math.min(low + step - 1, n);
    } else if (start > 0 && reached(start - 1)) {
      // Gallop left: the answer is before `start`.
      let step = 1;
      high = start - 1;
      while (high - step >= 0 && reached(high - step)) {
        high -= step;
        step *= 2;
      }
      low = Math.max(high - step + 1, 0);
    } else {
      return start;
    }
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (reached(mid)) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}
