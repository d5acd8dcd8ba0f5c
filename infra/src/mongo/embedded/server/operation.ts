/**
 * One running command's share of the server: its deadline (`maxTimeMS`) and its turns on the
 * event loop. Every command runs on the one event loop that also answers every other
 * connection, so a long command (a scan of a million documents, a big sort, a multi-update)
 * works in slices: its loops ask `due()` (cheap) and, when the slice is used up, `await
 * yieldTurn()`, which lets the other connections' commands run before continuing and fails with
 * MaxTimeMSExpired (50) once the deadline has passed, as mongod's interrupt checks do.
 *
 * What a command sees across a yield is the isolation rule of the README: each document as it
 * is when reached (no snapshot across yields), each single-document write atomic, multi-document
 * writes possibly interleaved with other connections' writes.
 */
import { fail } from '../errors.ts';

/** A slice short enough that another connection waits at most a few milliseconds. */
export const SLICE_MS = 4;
/**
 * Cheap work units between clock reads. One unit is one loop iteration of the caller, which may
 * be a millisecond (a costly filter on one document), so the clock is read at every iteration
 * unless the caller says its units are lighter (`due(weight)` counts heavier ones).
 */
const CHECK_EVERY = 1;

export class Operation {
  /** Index keys and documents this operation examined (serverStatus metrics.queryExecutor). */
  readonly examined = { keys: 0, docs: 0 };
  readonly #deadline: number;
  #sliceEnd: number;
  #countdown = CHECK_EVERY;

  /** `maxTimeMS` 0 or absent: no deadline. */
  constructor(maxTimeMS = 0) {
    const now = performance.now();
    this.#deadline = maxTimeMS > 0 ? now + maxTimeMS : Infinity;
    this.#sliceEnd = now + SLICE_MS;
  }

  /**
   * Whether the current slice is used up (the caller should `await yieldTurn()`). `weight` says
   * how much work the caller did since the last call, in loop iterations of cheap work.
   */
  due(weight = 1): boolean {
    this.#countdown -= weight;
    if (this.#countdown > 0) return false;
    this.#countdown = CHECK_EVERY;
    return performance.now() >= this.#sliceEnd;
  }

  /** Lets every other ready connection run, then starts a new slice; throws past the deadline. */
  async yieldTurn(): Promise<void> {
    this.checkDeadline();
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.checkDeadline();
    this.#sliceEnd = performance.now() + SLICE_MS;
  }

  checkDeadline(): void {
    if (performance.now() > this.#deadline)
      throw fail('MaxTimeMSExpired', 'operation exceeded time limit');
  }
}
