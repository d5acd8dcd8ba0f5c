/**
 * The append-only journal with group commit. Records are appended synchronously, in the order
 * the engine applies changes, to an in-memory queue; one writer drains the queue to the file,
 * so commands arriving together share one write (and one fsync). `commit(fsync)` resolves when
 * everything appended before it is written, and fsynced when asked (`j: true`). Unforced
 * writes are fsynced within 100 ms anyway, like mongod's journal commit interval.
 */
import { close, fdatasync, openSync, writev, writevSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Document } from 'bson';
import type { Logger } from 'pino';
import { encodeRecord } from './record-format.ts';

const writevAsync = promisify(writev);
const fdatasyncAsync = promisify(fdatasync);
const closeAsync = promisify(close);

/** Records queued for one file; a rotation starts a new segment (file). */
interface Segment {
  readonly fd: number;
  buffers: Buffer[];
  /** Number of the last record queued in this segment (records are numbered from 1). */
  last: number;
}

interface Waiter {
  readonly target: number;
  readonly fsync: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const SYNC_INTERVAL_MS = 100;

export class Journal {
  readonly #logger: Logger;
  /** Oldest first; appends go to the last one. */
  #segments: Segment[];
  #appended = 0;
  /** Every record numbered up to this is written to its file. */
  #written = 0;
  /** Every record numbered up to this is fsynced. */
  #synced = 0;
  /** Bytes appended to the current file (compaction looks at it). */
  #bytes = 0;
  #waiters: Waiter[] = [];
  #draining: Promise<void> | undefined;
  #failure: Error | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(file: string, logger: Logger) {
    this.#logger = logger;
    this.#segments = [{ fd: openSync(file, 'a'), buffers: [], last: 0 }];
    this.#timer = setInterval(() => {
      if (this.#synced < this.#written) this.commit(true).catch(() => undefined);
    }, SYNC_INTERVAL_MS);
    this.#timer.unref();
  }

  get appended(): number {
    return this.#appended;
  }

  get currentBytes(): number {
    return this.#bytes;
  }

  append(record: Document): void {
    const frame = encodeRecord(record);
    const segment = this.#segments[this.#segments.length - 1] as Segment;
    segment.buffers.push(frame);
    segment.last = ++this.#appended;
    this.#bytes += frame.length;
    this.#drain();
  }

  /** New appends go to `file` from now on; the previous file is written, fsynced and closed. */
  rotate(file: string): void {
    this.#segments.push({ fd: openSync(file, 'a'), buffers: [], last: this.#appended });
    this.#bytes = 0;
    this.#drain();
  }

  commit(fsync: boolean): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const target = this.#appended;
    if (this.#written >= target && (!fsync || this.#synced >= target)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ target, fsync, resolve, reject });
      this.#drain();
    });
  }

  /**
   * Writes and fsyncs what is queued, then closes the files. Rejects when any of that failed
   * (or an earlier write did): the caller must learn that acknowledged changes may be missing.
   */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    let failure: Error | undefined = this.#failure;
    const keep = (error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    };
    await this.commit(true).catch(keep);
    await this.#draining;
    for (const segment of this.#segments.splice(0)) await closeAsync(segment.fd).catch(keep);
    if (failure) throw failure;
  }

  #drain(): void {
    this.#draining ??= this.#writeAll()
      .catch((error: unknown) => {
        this.#failure = error instanceof Error ? error : new Error(String(error));
        this.#logger.error(
          { err: this.#failure },
          'journal write failed; later changes are not durable',
        );
        for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
      })
      .finally(() => {
        this.#draining = undefined;
        if (!this.#failure && this.#hasWork()) this.#drain();
      });
  }

  #hasWork(): boolean {
    return (
      this.#segments.length > 1 ||
      this.#segments.some((segment) => segment.buffers.length > 0) ||
      this.#waiters.length > 0
    );
  }

  async #writeAll(): Promise<void> {
    // Let the current burst of synchronous appends finish, so they share one write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      const segment = this.#segments[0];
      if (!segment) return;
      if (segment.buffers.length > 0) {
        const buffers = segment.buffers;
        const upTo = segment.last;
        segment.buffers = [];
        await writeFully(segment.fd, buffers);
        this.#written = upTo;
      }
      if (this.#segments.length > 1) {
        if (segment.buffers.length > 0) continue;
        // A finished file: make it durable before the writer moves to the next one.
        await fdatasyncAsync(segment.fd);
        await closeAsync(segment.fd);
        this.#synced = Math.max(this.#synced, segment.last);
        this.#segments.shift();
        continue;
      }
      if (
        this.#synced < this.#written &&
        this.#waiters.some((w) => w.fsync && w.target <= this.#written)
      ) {
        const upTo = this.#written;
        await fdatasyncAsync(segment.fd);
        this.#synced = upTo;
      }
      this.#settle();
      if (segment.buffers.length === 0) return;
    }
  }

  #settle(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      const done =
        this.#written >= waiter.target && (!waiter.fsync || this.#synced >= waiter.target);
      if (done) waiter.resolve();
      return !done;
    });
  }
}

/**
 * Up to this many bytes, the journal writes from the event loop (writevSync): into the page
 * cache that takes microseconds, where a round trip through libuv's thread pool cost 150–250 µs
 * and made a journaled single-document write 4–5 × a ping (`npm run bench -- mongo`, quiet).
 * Larger bursts (a bulk load) stay off the event loop. Either way the bytes reach the kernel
 * before the command is acknowledged, so a killed process loses no acknowledged write.
 */
const WRITE_ON_LOOP_MAX_BYTES = 64 * 1024;

/** Writes every buffer, resuming after short writes (and within the 1024-buffer writev limit). */
async function writeFully(fd: number, buffers: readonly Buffer[]): Promise<void> {
  let pending = [...buffers];
  const total = pending.reduce((sum, buffer) => sum + buffer.length, 0);
  const write =
    total <= WRITE_ON_LOOP_MAX_BYTES
      ? (slice: Buffer[]) => Promise.resolve(writevSync(fd, slice))
      : async (slice: Buffer[]) => (await writevAsync(fd, slice)).bytesWritten;
  while (pending.length > 0) {
    const slice = pending.slice(0, 1024);
    let written = await write(slice);
    const rest: Buffer[] = [];
    for (const buffer of slice) {
      if (written >= buffer.length) written -= buffer.length;
      else {
        rest.push(buffer.subarray(written));
        written = 0;
      }
    }
    pending = [...rest, ...pending.slice(slice.length)];
  }
}
